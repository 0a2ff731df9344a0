import { formatDuration } from './duration.ts';
import type { ClockFormat } from './incident.ts';
import type { Message, Tone } from './messages.ts';

/**
 * Storm grouping: when several watches of one channel go down together (a shared dependency, our
 * side of a network), one grouped alert names them all and keeps one thread, instead of one alert
 * each. Pure: the notifier keeps the state and delivers what these functions say.
 */

export interface StormPolicy {
  /** This many openings in one channel within `windowMs` make a storm. */
  readonly threshold: number;
  readonly windowMs: number;
  /** How long an opening (or a recovery) waits before it is delivered, for others to join it. */
  readonly holdMs: number;
  /** A new opening joins an open storm this long after its last member joined. */
  readonly joinForMs: number;
}

export const DEFAULT_STORM: StormPolicy = { threshold: 3, windowMs: 60_000, holdMs: 5_000, joinForMs: 10 * 60_000 };

export interface StormMember {
  readonly incidentId: string;
  readonly service: string;
  /** The member's own alert title as of its latest event: "GitHub is down since 11:23". */
  readonly title: string;
  readonly tone: Tone;
  readonly recoveredAt?: number;
}

export interface Storm {
  readonly id: string;
  readonly startedAt: number;
  readonly lastJoinAt: number;
  readonly members: readonly StormMember[];
  /** Openings alerted on their own just before the storm began (named, not moved). */
  readonly earlier: readonly string[];
  /** "Likely cause: Cloudflare's status page reports a major outage", where one is known. */
  readonly cause?: string;
}

/** What the notifier keeps per channel. */
export interface ChannelStorms {
  readonly storm?: Storm;
  /** Openings delivered on their own lately, for the window's count. */
  readonly recent: readonly { readonly incidentId: string; readonly service: string; readonly at: number }[];
}

export const isOpen = (s: Storm) => s.members.some((m) => m.recoveredAt === undefined);

/** Members listed in the root message; past this, "and N more" (Slack and Discord cap a message). */
const MAX_LISTED = 50;

export function stormRootMessage(storm: Storm, now: number, clock: ClockFormat): Message {
  const down = storm.members.filter((m) => m.recoveredAt === undefined);
  const n = storm.members.length;
  const open = down.length > 0;
  const lastRecovery = Math.max(...storm.members.map((m) => m.recoveredAt ?? 0));
  const title = open
    ? `${n} services down since ${clock(storm.startedAt)}${down.length < n ? ` — ${n - down.length} recovered` : ''}`
    : `${n} services recovered — down ${clock(storm.startedAt)}–${clock(lastRecovery)} (${formatDuration(lastRecovery - storm.startedAt)})`;
  const listed = [...storm.members].sort((a, b) => Number(a.recoveredAt !== undefined) - Number(b.recoveredAt !== undefined) || a.service.localeCompare(b.service));
  const lines = [
    ...(storm.cause ? [storm.cause] : []),
    ...listed.slice(0, MAX_LISTED).map((m) => `• ${m.recoveredAt !== undefined ? `✅ ${m.service} recovered at ${clock(m.recoveredAt)}` : m.title}`),
    ...(listed.length > MAX_LISTED ? [`…and ${listed.length - MAX_LISTED} more.`] : []),
    ...(storm.earlier.length ? [`Also down shortly before, alerted on their own: ${storm.earlier.join(', ')}.`] : []),
    open ? 'One alert for all of them: each one that recovers or fails later is told in this thread.' : 'All of them are up again.',
  ];
  const tone: Tone = !open ? 'up' : down.some((m) => m.tone === 'down') ? 'down' : (down[0]?.tone ?? 'down');
  return { tone, title, lines, fields: [], links: [], actions: [], visibility: 'channel', at: now };
}

/** The reply when members join a storm after its first alert. */
export function joinedMessage(joined: readonly StormMember[], at: number): Message {
  const one = joined.length === 1;
  return {
    tone: joined.some((m) => m.tone === 'down') ? 'down' : (joined[0]?.tone ?? 'down'),
    title: one ? `Also: ${joined[0]!.title}` : `${joined.length} more: ${joined.map((m) => m.service).join(', ')}`,
    lines: one ? [] : joined.map((m) => `• ${m.title}`),
    fields: [],
    links: [],
    actions: [],
    visibility: 'channel',
    at,
  };
}

/** The reply when members recover, grouped like the openings. */
export function recoveredMessage(recovered: readonly StormMember[], at: number, clock: ClockFormat): Message {
  return {
    tone: 'up',
    title: recovered.length === 1 ? `✅ ${recovered[0]!.service} recovered at ${clock(at)}` : `✅ ${recovered.length} recovered at ${clock(at)}: ${recovered.map((m) => m.service).join(', ')}`,
    lines: [],
    fields: [],
    links: [],
    actions: [],
    visibility: 'channel',
    at,
  };
}
