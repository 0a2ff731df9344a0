import type { DaySummary } from './uptime.ts';
import { createHash } from 'node:crypto';
import type { Incident } from './incident.ts';
import type { MonitorState } from './monitor.ts';
import type { Resolution, Target } from './types.ts';
import { formatExactDuration } from './duration.ts';
import type { HttpMethod } from './conditions.ts';
import { pushTarget } from './heartbeat.ts';

/** Where an alert goes: one channel of one tenant on one platform. */
export interface ChannelRef {
  readonly platform: string;
  readonly tenant: string;
  readonly channel: string;
}

/** One channel's wish to hear about a monitor. */
export interface Watch {
  readonly channel: ChannelRef;
  readonly everyMs: number;
  readonly createdBy: string;
  readonly createdAt: number;
  /** Set when the platform refused delivery (bot removed from the channel): no alerts until fixed. */
  readonly pausedReason?: string;
  /** This channel hears nothing about the monitor until then; the timeline goes on. */
  readonly mutedUntil?: number;
}

/** How a watch checks its target, beyond the address: one shape from the command to the probe. */
export interface WatchOptions {
  readonly expect?: string;
  readonly forbid?: string;
  readonly component?: string;
  /** Accepted status codes, normalised ("200-299,401"); absent: the default reading. */
  readonly status?: string;
  /** Absent: GET. */
  readonly method?: HttpMethod;
  /** "Name: $ISDOWN_HEADER_…", normalised (conditions.ts); the value is read from the environment at each check. */
  readonly headers?: readonly string[];
  /** A JSON body condition, normalised: "$.status == UP". */
  readonly json?: string;
  /** Slower than this is degraded (in place of the operator's ISDOWN_SLOW_THRESHOLD). */
  readonly slowerThanMs?: number;
  /** `only statuspage`: alert from the vendor's official page alone; nothing is probed. */
  readonly only?: 'statuspage';
}

/** Only the options set, copied: the one way options move from one shape to the next. */
export function pickOptions(o: WatchOptions): WatchOptions {
  return {
    ...(o.expect ? { expect: o.expect } : {}),
    ...(o.forbid ? { forbid: o.forbid } : {}),
    ...(o.component ? { component: o.component } : {}),
    ...(o.status ? { status: o.status } : {}),
    ...(o.method && o.method !== 'GET' ? { method: o.method } : {}),
    ...(o.headers?.length ? { headers: [...o.headers] } : {}),
    ...(o.json ? { json: o.json } : {}),
    ...(o.slowerThanMs !== undefined ? { slowerThanMs: o.slowerThanMs } : {}),
    ...(o.only ? { only: o.only } : {}),
  };
}

/** The options in the chat grammar's words, for answers and lists. */
export function describeOptions(o: WatchOptions): string[] {
  return [
    o.method && o.method !== 'GET' ? `method ${o.method}` : '',
    ...(o.headers ?? []).map((h) => `header "${h}"`),
    o.status ? `status ${o.status}` : '',
    o.expect ? `expect "${o.expect}"` : '',
    o.forbid ? `forbid "${o.forbid}"` : '',
    o.json ? `json "${o.json}"` : '',
    o.slowerThanMs !== undefined ? `slower than ${formatExactDuration(o.slowerThanMs)}` : '',
    o.component ? `component "${o.component}"` : '',
    o.only ? `only ${o.only}` : '',
  ].filter(Boolean);
}

/** Why these options cannot go with this target (HTTP options on a TCP check), or null. */
export function optionsMisfit(target: Target, o: WatchOptions): string | null {
  const p = pickOptions(o);
  if (p.only === 'statuspage') {
    if (!target.statusPage) return `${target.name} has no status page I can read, so "only statuspage" has nothing to watch. Watch it without "only statuspage" to check it directly.`;
    const probing = [p.status && 'status', p.method && 'method', p.headers && 'header', p.json && 'json', p.expect && 'expect', p.forbid && 'forbid', p.slowerThanMs !== undefined && 'slower than'].filter(Boolean);
    if (probing.length) return `"only statuspage" reads ${target.name}'s official page and checks nothing itself, so ${probing.join(', ')} cannot apply; leave ${probing.length === 1 ? 'it' : 'them'} out, or drop "only statuspage".`;
    return null;
  }
  if (!target.urls[0]?.startsWith('tcp:')) return null;
  const http = [p.status && 'status', p.method && 'method', p.headers && 'header', p.json && 'json'].filter(Boolean);
  if (!http.length) return null;
  return `${target.name} is a TCP check: it connects, and with expect or forbid reads what the server says first. ${http.join(', ')} ${http.length === 1 ? 'is' : 'are'} for HTTP watches.`;
}

/**
 * Where a parsed watch points: a heartbeat of this channel, or what `resolve` makes of its
 * target; refused, with why, when its options do not fit that target.
 */
export function resolveWatchTarget(w: { readonly target: string; readonly push?: true } & WatchOptions, channel: ChannelRef, resolve: (input: string) => Resolution): Resolution {
  const resolved: Resolution = w.push ? { ok: true, target: pushTarget(channel, w.target) } : resolve(w.target);
  if (!resolved.ok) return resolved;
  const misfit = optionsMisfit(resolved.target, w);
  return misfit ? { ok: false, message: misfit } : resolved;
}

/**
 * What gets checked. Channels that watch the same target with the same options share one
 * monitor, checked once per interval (the shortest any of them asked for).
 */
export interface MonitorSpec extends WatchOptions {
  readonly key: string;
  readonly target: Target;
  /** A heartbeat's secret: its URL is ISDOWN_PUBLIC_URL/push/<token>. */
  readonly pushToken?: string;
}

export interface MonitorRecord extends MonitorSpec {
  readonly watches: readonly Watch[];
}

export function monitorKey(targetId: string, opts: WatchOptions): string {
  // Later options are added only when set, so monitors made before they existed keep their keys.
  const o = pickOptions(opts);
  const later = o.method || o.headers || o.json || o.slowerThanMs !== undefined || o.only ? [o.method ?? 'GET', o.headers ?? [], o.json ?? '', o.slowerThanMs ?? 0] : [];
  const material = JSON.stringify([targetId, o.expect ?? '', o.forbid ?? '', (o.component ?? '').toLowerCase(), ...(o.status || later.length ? [o.status ?? ''] : []), ...later, ...(o.only ? [o.only] : [])]);
  return createHash('sha256').update(material).digest('hex').slice(0, 20);
}

export function channelId(c: ChannelRef): string {
  return `${c.platform}:${c.tenant}:${c.channel}`;
}

export function sameChannel(a: ChannelRef, b: ChannelRef): boolean {
  return a.platform === b.platform && a.tenant === b.tenant && a.channel === b.channel;
}

/** The interval a monitor runs at: the shortest any active watch asked for. */
export function intervalOf(record: MonitorRecord): number | undefined {
  const active = record.watches.filter((w) => !w.pausedReason);
  return active.length ? Math.min(...active.map((w) => w.everyMs)) : undefined;
}

export interface WatchRequest extends WatchOptions {
  readonly channel: ChannelRef;
  readonly user: string;
  readonly target: Target;
  readonly everyMs: number;
}

export interface ChannelMonitor {
  readonly record: MonitorRecord;
  readonly watch: Watch;
  readonly state?: MonitorState;
}

export interface ServiceUptime {
  readonly record: MonitorRecord;
  /** Stored days (with the hours not yet written added in), by UTC day number. */
  readonly days: ReadonlyMap<number, DaySummary>;
  readonly incidents: readonly Incident[];
}

/**
 * Channel references as operators write them (the watches file, `isdown export --channel`):
 * `console`, `slack:<team>/<channel>`, `discord:<guild>/<channel>`, `webhook:<name>`.
 */
export function parseChannelRef(text: string): { ok: true; channel: ChannelRef } | { ok: false; error: string } {
  const t = text.trim();
  if (t === 'console') return { ok: true, channel: { platform: 'console', tenant: 'console', channel: 'console' } };
  const m = /^(slack|discord):([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,64})$/.exec(t);
  if (m) return { ok: true, channel: { platform: m[1]!, tenant: m[2]!, channel: m[3]! } };
  const w = /^webhook:([A-Za-z0-9_-]{1,64})$/.exec(t);
  if (w) return { ok: true, channel: { platform: 'webhook', tenant: 'webhook', channel: w[1]! } };
  return { ok: false, error: `"${t.slice(0, 80)}" is not a channel; use console, slack:<team>/<channel>, discord:<guild>/<channel> or webhook:<name>` };
}

export function formatChannelRef(c: ChannelRef): string {
  if (c.platform === 'console') return 'console';
  if (c.platform === 'webhook') return `webhook:${c.channel}`;
  return `${c.platform}:${c.tenant}/${c.channel}`;
}
