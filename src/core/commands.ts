import { formatDuration, formatExactDuration, parseDuration } from './duration.ts';
import { parseStatusList } from './status-codes.ts';
import { formatHeader, formatJsonCondition, JSON_OPS, MAX_HEADERS, METHODS, parseHeader, parseJsonCondition, type HttpMethod } from './conditions.ts';
import { describeOptions, type WatchOptions } from './watch.ts';
import { parsePushName, PUSH_PERIOD } from './heartbeat.ts';
import { DEFAULT_UPTIME_PERIOD, isUptimePeriod, UPTIME_PERIODS, type UptimePeriod } from './uptime.ts';

/** One grammar for every platform. Adapters hand over the text after "/isdown". */
export type Command =
  | { kind: 'check'; target: string }
  /** `push`: a heartbeat watch named `target` (watch push nightly-backup every 1h). */
  | ({ kind: 'watch'; target: string; everyMs?: number; everyText?: string; push?: true } & WatchOptions)
  | { kind: 'unwatch'; target: string }
  | { kind: 'list' }
  | { kind: 'history'; target: string; windowMs: number }
  | { kind: 'uptime'; target: string; period: UptimePeriod }
  /** The channel's public status page: answer its address (making it the first time), or retire it. */
  | { kind: 'page'; off?: true }
  /** What is down right now, among known services and this channel's watches. */
  | { kind: 'now' }
  | { kind: 'report'; target: string }
  | { kind: 'mute'; target: string; durationMs: number }
  | { kind: 'unmute'; target: string }
  | { kind: 'help'; topic?: CommandName };

export type CommandName = Command['kind'];

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string; usage: string };

export const WATCH_INTERVAL = { minMs: 30_000, maxMs: 86_400_000, defaultMs: 60_000 } as const;
export const HISTORY_WINDOW = { defaultMs: 7 * 86_400_000, maxMs: 90 * 86_400_000 } as const;
export const MUTE_LIMIT = { maxMs: 30 * 86_400_000 } as const;
export const MAX_TEXT_LENGTH = 200;

export const USAGE: Record<CommandName, string> = {
  check: '/isdown <service|url>',
  watch: '/isdown watch <service|url|tcp://host:port> [every 1m] [status 200-299,401] [expect "text"] [forbid "text"] [method HEAD] [header "Name: $ISDOWN_HEADER_…"] [json "$.status == UP"] [slower than 2s] [component "API"] [only statuspage]',
  unwatch: '/isdown unwatch <service|url>',
  list: '/isdown list',
  history: '/isdown history <service> [7d]',
  uptime: '/isdown uptime <service> [24h|7d|30d|90d]',
  page: '/isdown page [off]',
  now: '/isdown now',
  report: '/isdown report <service>',
  mute: '/isdown mute <service> <duration>',
  unmute: '/isdown unmute <service>',
  help: '/isdown help [command]',
};

export const DESCRIPTIONS: Record<CommandName, string> = {
  check: 'check now: down for everyone, or just you?',
  watch: 'watch it for this channel and alert on outages',
  unwatch: 'stop watching it in this channel',
  list: 'what this channel watches, and the state of each',
  history: 'past incidents, as a timeline',
  uptime: 'uptime %, response times and a chart for a period',
  page: "this channel's public status page (page off retires it)",
  now: "what is down right now: known services' status pages and this channel's watches",
  report: '"it is down for me": tell other teams',
  mute: 'silence alerts for a while (maintenance)',
  unmute: 'end a mute early',
  help: 'this help',
};

const KEYWORDS = new Set<string>(['check', 'watch', 'unwatch', 'list', 'history', 'uptime', 'page', 'now', 'report', 'mute', 'unmute', 'help']);

/** Splits on spaces, keeping "quoted text" together. Chat apps turn quotes into “smart” ones. */
export function tokenize(input: string): { tokens: string[]; error?: string } {
  const tokens: string[] = [];
  const s = input.replace(/[“”„‟«»]/g, '"').replace(/[‘’‚‛]/g, "'");
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1);
      if (end < 0) return { tokens, error: `A quote is not closed: add the missing ${c}.` };
      tokens.push(s.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!)) j++;
    tokens.push(s.slice(i, j));
    i = j;
  }
  return { tokens };
}

function err(kind: CommandName, error: string): ParseResult {
  return { ok: false, error, usage: USAGE[kind] };
}

function cleanTarget(t: string): string {
  // Slack wraps pasted links as <https://x.com|x.com>; keep the address.
  const m = /^<([^|>]+)(\|[^>]*)?>$/.exec(t);
  return (m ? m[1]! : t).trim();
}

export interface ParseOptions {
  /** The shortest watch interval allowed here (an operator setting; 30 s unless lowered). */
  readonly minIntervalMs?: number;
}

/** A whole command line; anything longer is refused before it is read. */
export const MAX_COMMAND_LENGTH = 2_000;

export function parseCommand(input: string, opts: ParseOptions = {}): ParseResult {
  if (input.length > MAX_COMMAND_LENGTH) return { ok: false, error: `That is ${input.length.toLocaleString('en-US')} characters; a command is at most ${MAX_COMMAND_LENGTH.toLocaleString('en-US')}.`, usage: USAGE.help };
  const stripped = input.trim().replace(/^\/isdown\b/i, '').trim();
  const { tokens, error } = tokenize(stripped);
  if (error) return { ok: false, error, usage: USAGE.help };
  if (tokens.length === 0) return { ok: true, command: { kind: 'help' } };

  const head = tokens[0]!.toLowerCase();
  if (!KEYWORDS.has(head)) {
    if (tokens.length > 1) {
      return err('check', `I can check one service at a time; I read "${tokens.join(' ')}". Did you mean one of the commands? Try /isdown help.`);
    }
    return { ok: true, command: { kind: 'check', target: cleanTarget(tokens[0]!) } };
  }
  const kind = head as CommandName;
  const args = tokens.slice(1);

  switch (kind) {
    case 'help': {
      const topic = args[0]?.toLowerCase();
      if (topic && !KEYWORDS.has(topic)) return err('help', `There is no command "${topic}".`);
      return { ok: true, command: topic ? { kind, topic: topic as CommandName } : { kind } };
    }
    case 'list':
    case 'now':
      if (args.length) return err(kind, `"${kind}" takes no arguments.`);
      return { ok: true, command: { kind } };
    case 'check':
    case 'unwatch':
    case 'report':
    case 'unmute': {
      if (args.length !== 1) return err(kind, args.length ? 'Name one service or address.' : 'Which service? Name one.');
      return { ok: true, command: { kind, target: cleanTarget(args[0]!) } };
    }
    case 'history': {
      if (args.length < 1 || args.length > 2) return err(kind, 'Name one service, and optionally a window like 7d.');
      let windowMs: number = HISTORY_WINDOW.defaultMs;
      if (args[1]) {
        const d = parseDuration(args[1]);
        if (d === null) return err(kind, `"${args[1]}" is not a duration; use something like 24h or 7d.`);
        if (d > HISTORY_WINDOW.maxMs) return err(kind, `History goes back at most ${formatDuration(HISTORY_WINDOW.maxMs)}.`);
        windowMs = d;
      }
      return { ok: true, command: { kind, target: cleanTarget(args[0]!), windowMs } };
    }
    case 'uptime': {
      if (args.length < 1 || args.length > 2) return err(kind, 'Name one service, and optionally a period: 24h, 7d, 30d or 90d.');
      const period = (args[1] ?? DEFAULT_UPTIME_PERIOD).toLowerCase();
      if (!isUptimePeriod(period)) return err(kind, `"${args[1]!.slice(0, 20)}" is not a period I keep; use one of ${Object.keys(UPTIME_PERIODS).join(', ')}.`);
      return { ok: true, command: { kind, target: cleanTarget(args[0]!), period } };
    }
    case 'page': {
      if (args.length === 0) return { ok: true, command: { kind } };
      if (args.length === 1 && args[0]!.toLowerCase() === 'off') return { ok: true, command: { kind, off: true } };
      return err(kind, '"page" takes nothing, or "off" to retire the page.');
    }
    case 'mute': {
      if (args.length !== 2) return err(kind, 'Name the service and how long, like: /isdown mute github 2h');
      const d = parseDuration(args[1]!);
      if (d === null) return err(kind, `"${args[1]}" is not a duration; use something like 30m or 2h.`);
      if (d > MUTE_LIMIT.maxMs) return err(kind, `A mute lasts at most ${formatDuration(MUTE_LIMIT.maxMs)}.`);
      return { ok: true, command: { kind, target: cleanTarget(args[0]!), durationMs: d } };
    }
    case 'watch':
      return parseWatch(args, opts.minIntervalMs ?? WATCH_INTERVAL.minMs);
  }
}

export const PUSH_USAGE = '/isdown watch push <name> [every 1h]';

/** A watch's interval: as asked, else the default for its kind (a heartbeat's period is longer). */
export function everyOf(w: { readonly everyMs?: number; readonly push?: true }): number {
  return w.everyMs ?? (w.push ? PUSH_PERIOD.defaultMs : WATCH_INTERVAL.defaultMs);
}

/** The longest and shortest "slower than": under the probe's own 15 s limit, or it could never be seen. */
export const SLOWER_THAN = { minMs: 10, maxMs: 15_000 } as const;

/** The words after "watch", as tokens: the chat grammar, also used for the watches file's entries. */
export function parseWatch(args: string[], minMs: number): ParseResult {
  if (args.length === 0) return err('watch', 'Which service should this channel watch?');
  const command: { -readonly [K in keyof Extract<Command, { kind: 'watch' }>]: Extract<Command, { kind: 'watch' }>[K] } = { kind: 'watch', target: cleanTarget(args[0]!) };
  const push = args[0]!.toLowerCase() === 'push';
  if (push) {
    if (args.length < 2 || args[1]!.toLowerCase() === 'every') return { ok: false, error: 'Name the heartbeat, like: watch push nightly-backup every 1h', usage: PUSH_USAGE };
    const named = parsePushName(args[1]!);
    if (!named.ok) return { ok: false, error: named.error, usage: PUSH_USAGE };
    command.target = named.name;
    command.push = true;
  }
  const maxMs = push ? PUSH_PERIOD.maxMs : WATCH_INTERVAL.maxMs;
  const headers: string[] = [];
  let i = push ? 2 : 1;
  while (i < args.length) {
    const key = args[i]!.toLowerCase();
    const value = args[i + 1];
    if (value === undefined) return err('watch', `"${key}" needs a value.`);
    i += 2;
    switch (key) {
      case 'every': {
        const d = parseDuration(value);
        if (d === null) return err('watch', `"${value}" is not an interval; use something like 30s, 5m or 1h.`);
        if (d < minMs || d > maxMs) {
          return err('watch', `The interval must be between ${formatDuration(minMs)} and ${formatDuration(maxMs)}; you asked for ${formatDuration(d)}.`);
        }
        command.everyMs = d;
        // Echoed as typed ("every 90s", not "every 1 min").
        command.everyText = value.trim();
        break;
      }
      case 'status': {
        const list = parseStatusList(value);
        if (!list.ok) return err('watch', list.error);
        command.status = list.text;
        break;
      }
      case 'expect':
      case 'forbid':
      case 'component':
        if (!value.trim()) return err('watch', `"${key}" needs some text.`);
        if (value.length > MAX_TEXT_LENGTH) return err('watch', `"${key}" text is limited to ${MAX_TEXT_LENGTH} characters.`);
        command[key] = value;
        break;
      case 'method': {
        const m = value.toUpperCase();
        if (!(METHODS as readonly string[]).includes(m)) return err('watch', `"${value.slice(0, 20)}" is not a method; use one of ${METHODS.join(', ')}.`);
        command.method = m as HttpMethod;
        break;
      }
      case 'header': {
        const h = parseHeader(value);
        if (!h.ok) return err('watch', h.error);
        if (headers.some((x) => x.split(':')[0]!.toLowerCase() === h.value.name.toLowerCase())) return err('watch', `The ${h.value.name} header is given twice.`);
        if (headers.length >= MAX_HEADERS) return err('watch', `A watch sends at most ${MAX_HEADERS} headers.`);
        headers.push(formatHeader(h.value));
        break;
      }
      case 'json': {
        // Either one quoted condition, or three words: json "$.status" == UP.
        let text = value;
        const op = args[i];
        if (op !== undefined && (JSON_OPS as readonly string[]).includes(op) && args[i + 1] !== undefined) {
          text = `${value} ${op} "${args[i + 1]}"`;
          i += 2;
        }
        const c = parseJsonCondition(text);
        if (!c.ok) return err('watch', c.error);
        command.json = formatJsonCondition(c.value);
        break;
      }
      case 'only': {
        if (value.toLowerCase() !== 'statuspage') return err('watch', `"only" takes one word, statuspage: alert from the official status page alone. I read "${value.slice(0, 30)}".`);
        command.only = 'statuspage';
        break;
      }
      case 'slower': {
        const amount = value.toLowerCase() === 'than' ? args[i++] : undefined;
        if (amount === undefined) return err('watch', 'Say how slow is too slow, like: slower than 2s.');
        const d = parseDuration(amount);
        if (d === null) return err('watch', `"${amount}" is not a duration; use something like 800ms or 2s.`);
        if (d < SLOWER_THAN.minMs || d > SLOWER_THAN.maxMs) return err('watch', `"slower than" must be between ${formatExactDuration(SLOWER_THAN.minMs)} and ${formatExactDuration(SLOWER_THAN.maxMs)} (the longest a check waits).`);
        command.slowerThanMs = d;
        break;
      }
      default:
        return err('watch', `I don't understand "${args[i - 2]}" here; the options are every, status, expect, forbid, method, header, json, slower than, component and only statuspage.`);
    }
  }
  if (headers.length) command.headers = headers;
  const extra = push ? describeOptions(command) : [];
  if (extra.length) {
    return { ok: false, error: `A heartbeat watch takes only "every" (how often its job calls in); ${extra.join(', ')} ${extra.length === 1 ? 'is' : 'are'} for checks isdown makes.`, usage: PUSH_USAGE };
  }
  if (command.method === 'HEAD' && (command.expect || command.forbid || command.json)) {
    return err('watch', 'A HEAD answer has no body, so expect, forbid and json cannot be checked; leave out "method HEAD".');
  }
  return { ok: true, command };
}
