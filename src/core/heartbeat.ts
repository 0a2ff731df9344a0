import { formatDuration } from './duration.ts';
import type { ClockFormat } from './incident.ts';
import type { ChannelRef } from './watch.ts';
import type { Target, Verdict } from './types.ts';

/**
 * Heartbeat (push) watches, for cron jobs and backups: the job calls its URL when it runs, and
 * silence past the expected period plus a grace is the outage. The verdict is pure: the last
 * beat, the period and the clock.
 */
export const PUSH_PERIOD = { minMs: 30_000, maxMs: 30 * 86_400_000, defaultMs: 3_600_000 } as const;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const MAX_BEAT_MESSAGE = 200;

export interface Beat {
  readonly at: number;
  /** The job said it failed (?status=down). */
  readonly down?: true;
  readonly message?: string;
}

/** Names are the channel's own: two channels' "nightly-backup" are two watches. */
export function parsePushName(text: string): { ok: true; name: string } | { ok: false; error: string } {
  const name = text.trim().toLowerCase();
  if (!NAME.test(name)) return { ok: false, error: `"${text.slice(0, 40)}" is not a heartbeat name; use letters, digits, "-", "_" or ".", like nightly-backup (at most 63).` };
  return { ok: true, name };
}

export function pushTarget(channel: ChannelRef, name: string): Target {
  return { kind: 'push', id: `push:${channel.platform}:${channel.tenant}:${channel.channel}:${name}`, name, urls: [] };
}

/** How long after the expected beat silence becomes an outage: a fifth of the period, 1 s to 1 h. */
export function graceOf(periodMs: number): number {
  return Math.min(3_600_000, Math.max(1_000, Math.round(periodMs / 5)));
}

/**
 * How often a heartbeat's deadline is looked at: a quarter of its period, at most a minute, so
 * a missed beat is seen soon after its grace ends rather than a whole period later.
 */
export function pushCheckEvery(periodMs: number): number {
  return Math.max(1_000, Math.min(60_000, Math.round(periodMs / 4)));
}

export function heartbeatVerdict(name: string, beat: Beat | undefined, periodMs: number, since: number, now: number, clock: ClockFormat): Verdict {
  const grace = graceOf(periodMs);
  const expected = `expected every ${formatDuration(periodMs)}, ${formatDuration(grace)} grace`;
  if (beat?.down) {
    return { state: 'down', summary: `${name} reported a failure at ${clock(beat.at)}${beat.message ? `: ${beat.message}` : '.'}`, reasons: [`Its last heartbeat said status=down (${expected}).`] };
  }
  // Before the first beat, the period runs from when the watch was made.
  const last = beat?.at ?? since;
  const late = now - last - periodMs - grace;
  if (late > 0) {
    const none = beat ? `no heartbeat since ${clock(beat.at)}` : `no heartbeat yet since the watch began at ${clock(since)}`;
    return { state: 'down', summary: `${name} missed its heartbeat: ${none} (${expected}).`, reasons: [] };
  }
  if (!beat) return { state: 'up', summary: `${name} is waiting for its first heartbeat (${expected}).`, reasons: [] };
  return { state: 'up', summary: `${name} beat at ${clock(beat.at)}${beat.message ? `: ${beat.message}` : ''}.`, reasons: [] };
}
