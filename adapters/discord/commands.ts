import { parseDuration } from '../../src/core/duration.ts';
import { HISTORY_WINDOW, type Command } from '../../src/core/commands.ts';
import { METHODS } from '../../src/core/conditions.ts';
import { UPTIME_PERIODS } from '../../src/core/uptime.ts';

/**
 * /isdown as Discord subcommands with typed options. The same grammar as everywhere: each
 * subcommand becomes the core's Command, and free-text options go through the same checks.
 */
const STRING = 3;
const SUB = 1;

const service = (description = 'A service name or a web address') => ({ type: STRING, name: 'service', description, required: true, autocomplete: true, max_length: 200 });

export const ISDOWN_COMMAND = {
  name: 'isdown',
  description: 'Is it down for everyone, or just you?',
  dm_permission: false,
  options: [
    { type: SUB, name: 'check', description: 'Check now: down for everyone, or just you?', options: [service()] },
    {
      type: SUB,
      name: 'watch',
      description: 'Watch it for this channel and alert on outages',
      options: [
        service(),
        { type: STRING, name: 'every', description: 'How often, like 1m or 5m (30s to 24h)', required: false, max_length: 20 },
        { type: STRING, name: 'expect', description: 'Text the page must contain', required: false, max_length: 200 },
        { type: STRING, name: 'forbid', description: 'Text that means it is down, like "is currently down"', required: false, max_length: 200 },
        { type: STRING, name: 'component', description: 'One status page component, like API', required: false, max_length: 100 },
        { type: STRING, name: 'status', description: 'Accepted HTTP status codes, like 200-299,401', required: false, max_length: 100 },
        { type: STRING, name: 'method', description: 'HTTP method (GET unless set)', required: false, choices: METHODS.map((m) => ({ name: m, value: m })) },
        { type: STRING, name: 'header', description: 'A header from the environment, like "X-Api-Key: $ISDOWN_HEADER_KEY"', required: false, max_length: 200 },
        { type: STRING, name: 'json', description: 'A JSON body condition, like $.status == UP', required: false, max_length: 200 },
        { type: STRING, name: 'slower_than', description: 'Slower than this is degraded, like 2s', required: false, max_length: 20 },
        { type: STRING, name: 'only', description: 'statuspage: alert from the official status page alone, probing nothing', required: false, choices: [{ name: 'statuspage', value: 'statuspage' }] },
      ],
    },
    {
      type: SUB,
      name: 'heartbeat',
      description: 'Watch a cron job or backup that calls in (answers its URL, only to you)',
      options: [
        { type: STRING, name: 'name', description: 'A name for the job, like nightly-backup', required: true, max_length: 63 },
        { type: STRING, name: 'every', description: 'How often it runs, like 1h or 1d (30s to 30d)', required: false, max_length: 20 },
      ],
    },
    { type: SUB, name: 'unwatch', description: 'Stop watching it in this channel', options: [service()] },
    { type: SUB, name: 'list', description: 'What this channel watches, and the state of each' },
    { type: SUB, name: 'history', description: 'Past incidents, as a timeline', options: [service(), { type: STRING, name: 'window', description: 'How far back, like 7d', required: false, max_length: 10 }] },
    {
      type: SUB,
      name: 'uptime',
      description: 'Uptime %, response times and a chart',
      options: [service(), { type: STRING, name: 'period', description: 'Over the last 24h, 7d (default), 30d or 90d', required: false, choices: Object.keys(UPTIME_PERIODS).map((p) => ({ name: p, value: p })) }],
    },
    {
      type: SUB,
      name: 'page',
      description: "This channel's public status page (answers its address, only to you)",
      options: [{ type: STRING, name: 'action', description: 'off retires the page: its address stops working', required: false, choices: [{ name: 'off', value: 'off' }] }],
    },
    { type: SUB, name: 'now', description: "What is down right now: known services' status pages and this channel's watches" },
    { type: SUB, name: 'report', description: '"It is down for me": tell other servers', options: [service()] },
    { type: SUB, name: 'mute', description: 'Silence alerts here for a while', options: [service(), { type: STRING, name: 'for', description: 'How long, like 2h', required: true, max_length: 20 }] },
    { type: SUB, name: 'unmute', description: 'End a mute early', options: [service()] },
    {
      type: SUB,
      name: 'help',
      description: 'How to use isdown',
      options: [{ type: STRING, name: 'command', description: 'One command', required: false, choices: ['check', 'watch', 'unwatch', 'list', 'history', 'uptime', 'page', 'now', 'report', 'mute', 'unmute'].map((c) => ({ name: c, value: c })) }],
    },
  ],
} as const;

export type OptionReader = (name: string) => string | null;

/**
 * A subcommand and its options as the core's grammar text, so Discord gets exactly the same
 * validation and error messages as Slack and the console.
 */
export function toGrammar(sub: string, opt: OptionReader): string {
  const quote = (s: string) => `"${s.replace(/["“”]/g, "'")}"`;
  const svc = opt('service') ?? '';
  switch (sub) {
    case 'check':
      return `check ${quote(svc)}`;
    case 'watch':
      return ['watch', quote(svc), ...(['every', 'expect', 'forbid', 'component', 'status', 'method', 'header', 'json', 'slower_than', 'only'] as const).flatMap((k) => (opt(k) ? [k === 'slower_than' ? 'slower than' : k, quote(opt(k)!)] : []))].join(' ');
    case 'heartbeat':
      return ['watch', 'push', quote(opt('name') ?? ''), ...(opt('every') ? ['every', quote(opt('every')!)] : [])].join(' ');
    case 'history':
      return `history ${quote(svc)}${opt('window') ? ` ${quote(opt('window')!)}` : ''}`;
    case 'uptime':
      return `uptime ${quote(svc)}${opt('period') ? ` ${quote(opt('period')!)}` : ''}`;
    case 'page':
      return opt('action') === 'off' ? 'page off' : 'page';
    case 'mute':
      return `mute ${quote(svc)} ${quote(opt('for') ?? '')}`;
    case 'help':
      return opt('command') ? `help ${opt('command')}` : 'help';
    case 'list':
    case 'now':
      return sub;
    default:
      return `${sub} ${quote(svc)}`;
  }
}

/** Button custom ids: `isdown:<action>:<target>`, 100 characters at most. */
export function buttonCommand(customId: string): Command | null {
  const m = /^isdown:(recheck|mute|watch):(.+)$/.exec(customId);
  if (!m) return null;
  const target = m[2]!;
  if (m[1] === 'recheck') return { kind: 'check', target };
  if (m[1] === 'watch') return { kind: 'watch', target };
  const sep = target.lastIndexOf('|');
  const duration = sep > 0 ? parseDuration(target.slice(sep + 1)) : null;
  return duration ? { kind: 'mute', target: target.slice(0, sep), durationMs: duration } : null;
}

export const DEFAULT_HISTORY = HISTORY_WINDOW.defaultMs;
