import { DEFAULT_BACKOFF, DeliveryError, nextAttemptDelay, type Backoff, type ChatAdapter } from '../core/notify.ts';
import { channelId, type ChannelRef } from '../core/watch.ts';
import type { OutboxEntry, OutboxRepository } from '../store/outbox.ts';
import type { StormRepository } from '../store/storms.ts';
import { isOpen, joinedMessage, recoveredMessage, stormRootMessage, type ChannelStorms, type StormMember, type StormPolicy } from '../core/storm.ts';
import type { ClockFormat } from '../core/incident.ts';
import { createHash } from 'node:crypto';

const isOpening = (e: OutboxEntry) => !e.reply && e.root.alert?.event === 'opened';
const isRecovery = (e: OutboxEntry) => e.reply?.alert?.event === 'recovered';

export interface NotifierOptions {
  readonly outbox: OutboxRepository;
  readonly adapters: ReadonlyMap<string, ChatAdapter>;
  readonly now?: () => number;
  readonly backoff?: Backoff;
  readonly random?: () => number;
  /** After this long undelivered an entry is reported as stuck (and still retried). */
  readonly stuckAfterMs?: number;
  /** How long a root message reference is kept (for edits and thread replies). */
  readonly refTtlMs: number;
  /** The platform says the bot can no longer post there: pause and tell someone, once. */
  readonly onChannelGone?: (channel: ChannelRef, reason: string) => Promise<void>;
  readonly log?: (line: string) => void;
  /** Storm grouping: several openings in one channel become one grouped alert (absent: none). */
  readonly storms?: {
    readonly repo: StormRepository;
    readonly policy: StormPolicy;
    readonly clock: ClockFormat;
    /** A shared cause the members' dependencies report, in words; undefined when none is known. */
    readonly cause?: (targets: readonly string[]) => Promise<string | undefined>;
  };
}

export interface NotifierHealth {
  readonly pending: number;
  readonly stuck: number;
  readonly oldestMs: number;
}

/** A platform this process cannot deliver to at all right now (its token refused, no adapter for it). */
export interface PlatformHealth {
  readonly ok: boolean;
  readonly error?: string;
  readonly since?: number;
}

export interface Notifier {
  /** Platforms with alerts waiting because the whole platform is unavailable here; ok ones are left out. */
  platforms(): Record<string, PlatformHealth>;
  /** Writes the entries to the outbox, then delivers them; resolves once they are durable. */
  enqueue(entries: readonly OutboxEntry[]): Promise<void>;
  /** Loads what a previous run left undelivered. */
  resume(): Promise<void>;
  health(): NotifierHealth;
  /** Resolves when nothing is pending or in flight (tests and graceful shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Delivers the outbox: per channel in order, channels in parallel, retrying with backoff and
 * jitter, honouring Retry-After, never dropping an alert for a transient failure.
 */
export function createNotifier(opts: NotifierOptions): Notifier {
  const now = opts.now ?? Date.now;
  const backoff = opts.backoff ?? DEFAULT_BACKOFF;
  const stuckAfter = opts.stuckAfterMs ?? 60 * 60_000;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const queues = new Map<string, OutboxEntry[]>();
  const busy = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const known = new Set<string>();
  let stopped = false;
  let idleWaiters: (() => void)[] = [];
  const unavailable = new Map<string, { error: string; since: number }>();
  const platformDown = (platform: string, error: string) => {
    if (!unavailable.has(platform)) log(`isdown: alerts to ${platform} wait: ${error}; they are delivered once it is back`);
    unavailable.set(platform, { error, since: unavailable.get(platform)?.since ?? now() });
  };
  const platformUp = (platform: string) => {
    if (unavailable.delete(platform)) log(`isdown: delivering to ${platform} again`);
  };

  const pendingCount = () => [...queues.values()].reduce((n, q) => n + q.length, 0);
  const checkIdle = () => {
    if (pendingCount() === 0 && busy.size === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      for (const f of w) f();
    }
  };

  function schedule(cid: string, atMs: number) {
    const existing = timers.get(cid);
    if (existing) clearTimeout(existing);
    const t = setTimeout(() => {
      timers.delete(cid);
      void drain(cid);
    }, Math.max(0, atMs - now()));
    timers.set(cid, t);
  }

  // Entries this process did not make itself: a previous run may have crashed after the platform
  // accepted one of their steps and before it was recorded.
  const resumed = new Set<string>();
  const maybeSent = (e: OutboxEntry) => e.attempts > 0 || resumed.has(e.id);

  /** Each accepted step is saved at once, so a retry (or a restart) never repeats it. */
  async function deliver(entry: OutboxEntry, progress: (e: OutboxEntry) => void): Promise<void> {
    const adapter = opts.adapters.get(entry.channel.platform);
    // A deploy without this platform's token (a typo, a half-done move) is not a channel that is
    // gone: the alert waits for the platform to come back.
    if (!adapter) throw new DeliveryError(`${entry.channel.platform} is not set up in this process (is its token set?)`, { unavailable: true, code: 'not_configured' });
    let e = entry;
    let ref = await opts.outbox.getRef(e.incidentId, e.channel);
    if (!e.done.root) {
      if (ref) await adapter.update(e.channel, ref, e.root);
      else {
        ref = await adapter.post(e.channel, e.root, { key: `${e.id}:root`, maybeSent: maybeSent(e) });
        await opts.outbox.setRef(e.incidentId, e.channel, ref, opts.refTtlMs);
      }
      e = { ...e, done: { ...e.done, root: true } };
      progress(e);
      await opts.outbox.save(e);
    }
    if (e.reply && !e.done.reply && ref) {
      await adapter.reply(e.channel, ref, e.reply, { broadcast: e.broadcast, key: `${e.id}:reply`, maybeSent: maybeSent(e) });
      progress({ ...e, done: { ...e.done, reply: true } });
    }
  }

  async function drain(cid: string): Promise<void> {
    if (busy.has(cid) || stopped) return;
    busy.add(cid);
    try {
      for (;;) {
        const queue = queues.get(cid);
        const head = queue?.[0];
        if (!head || stopped) break;
        if (head.nextAt > now()) {
          schedule(cid, head.nextAt);
          break;
        }
        try {
          if (opts.storms && grouped(head.channel) && (await stormStep(queue))) continue;
          // Claimed for the delivery: two processes sharing the store (a scheduler and the one
          // replacing it) never send the same alert, and each continues from the other's progress.
          await opts.outbox.claim(head.id, async (current) => {
            if (current === 'sent' || current === undefined) return;
            await deliver({ ...head, done: { ...current.done, ...head.done } }, (e) => (queue[0] = e));
            platformUp(head.channel.platform);
            await opts.outbox.delivered(head.id);
          });
          queue.shift();
          known.delete(head.id);
          resumed.delete(head.id);
        } catch (err) {
          const de = err instanceof DeliveryError ? err : undefined;
          if (de?.opts.gone) {
            log(`isdown: alert for ${cid} dropped: ${de.message}`);
            await opts.outbox.remove(head.id);
            queue.shift();
            known.delete(head.id);
            // Everything else queued for this channel would fail the same way.
            for (const rest of queue.splice(0)) {
              await opts.outbox.remove(rest.id);
              known.delete(rest.id);
            }
            if (opts.onChannelGone) await opts.onChannelGone(head.channel, de.message).catch((e: unknown) => log(`isdown: pausing ${cid} failed: ${String(e)}`));
            break;
          }
          if (de?.opts.unavailable) platformDown(head.channel.platform, de.message);
          const current = queue[0]!;
          const attempts = current.attempts + 1;
          const delay = nextAttemptDelay(attempts, backoff, de?.opts.retryAfterMs, opts.random);
          const failed: OutboxEntry = { ...current, attempts, nextAt: now() + delay, lastError: err instanceof Error ? err.message : String(err) };
          queue[0] = failed;
          await opts.outbox.save(failed).catch(() => undefined);
          if (now() - head.createdAt > stuckAfter) log(`isdown: alert ${head.id} undelivered for ${Math.round((now() - head.createdAt) / 60_000)} min: ${failed.lastError}`);
          schedule(cid, failed.nextAt);
          break;
        }
      }
    } finally {
      busy.delete(cid);
      if (!queues.get(cid)?.length) queues.delete(cid);
      checkIdle();
    }
  }

  /**
   * Storm grouping, before the head of a channel's queue is delivered. The openings queued when
   * the first is due (it waited `holdMs` for others) become one grouped alert when, with the channel's recent
   * single alerts, they reach the threshold, or join the channel's open storm; a member's later
   * events go into the storm's thread, its recoveries grouped the same way. The grouped entry
   * goes through the outbox like any other (durable, exactly once); the members' own entries are
   * then done. Returns true when it changed the queue (the loop looks at the new head).
   */
  async function stormStep(queue: OutboxEntry[]): Promise<boolean> {
    const s = opts.storms!;
    const head = queue[0]!;
    const t = now();
    const channel = head.channel;
    const state = await s.repo.get(channel);
    const storm = state.storm;
    const memberOf = (e: OutboxEntry) => storm?.members.find((m) => m.incidentId === e.incidentId);

    if (isOpening(head) && !memberOf(head)) {
      // Every opening queued here came within the hold of the first: they go together.
      const openings = queue.filter((e) => isOpening(e) && !memberOf(e));
      const recent = state.recent.filter((r) => t - r.at < s.policy.windowMs);
      const joining = storm && isOpen(storm) && t - storm.lastJoinAt < s.policy.joinForMs;
      if (!joining && openings.length + recent.length < s.policy.threshold) {
        // On its own; counted for the window.
        if (!recent.some((r) => r.incidentId === head.incidentId)) await s.repo.save(channel, { ...state, recent: [...recent, { incidentId: head.incidentId, service: head.root.alert?.service ?? '', at: t }].slice(-50) });
        return false;
      }
      const members: StormMember[] = openings.map((e) => ({ incidentId: e.incidentId, service: e.root.alert?.service ?? e.root.title, title: e.root.title, tone: e.root.tone }));
      const base = joining
        ? storm
        : { id: `storm-${createHash('sha1').update(`${channelId(channel)} ${t}`).digest('hex').slice(0, 12)}`, startedAt: Math.min(...openings.map((e) => e.root.at ?? e.createdAt)), lastJoinAt: t, members: [], earlier: recent.map((r) => r.service) };
      const cause = s.cause ? await s.cause(openings.map((e) => e.root.alert?.target ?? '')).catch(() => undefined) : undefined;
      const next = { ...base, lastJoinAt: t, members: [...base.members, ...members], ...(cause ? { cause } : {}) };
      const grouped = await groupedEntry(next, members.map((m) => m.incidentId), joining ? joinedMessage(members, t) : undefined, false, openings[0]!);
      await s.repo.save(channel, { storm: next, recent: joining ? recent : [] });
      await replace(queue, openings, grouped);
      return true;
    }

    const member = memberOf(head);
    if (!member || !storm) return false;
    if (isRecovery(head)) {
      const recoveries = queue.filter((e) => isRecovery(e) && memberOf(e));
      const ids = new Set(recoveries.map((e) => e.incidentId));
      const next = { ...storm, members: storm.members.map((m) => (ids.has(m.incidentId) ? { ...m, recoveredAt: t } : m)) };
      const recovered = next.members.filter((m) => ids.has(m.incidentId));
      const grouped = await groupedEntry(next, [...ids], recoveredMessage(recovered, t, s.clock), !isOpen(next), recoveries[0]!);
      await s.repo.save(channel, { ...state, storm: next });
      await replace(queue, recoveries, grouped);
      return true;
    }
    // Any other event of a member (worse, better, flapping, a vendor's update): a reply in the
    // storm's thread, with the storm's message brought up to date. The entry keeps its id.
    const reopened = head.reply?.alert?.event === 'reopened';
    const next = { ...storm, members: storm.members.map((m) => (m.incidentId === member.incidentId ? { ...m, title: head.root.title, tone: head.root.tone, ...(reopened ? { recoveredAt: undefined } : {}) } : m)) };
    const moved: OutboxEntry = { ...head, incidentId: next.id, root: stormRootMessage(next, t, s.clock), done: {} };
    await s.repo.save(channel, { ...state, storm: next });
    await opts.outbox.save(moved);
    queue[0] = moved;
    return true;
  }

  /** The storm's own entry for one step: its id names the step, so a replay makes the same one. */
  async function groupedEntry(storm: NonNullable<ChannelStorms['storm']>, members: readonly string[], reply: OutboxEntry['reply'], broadcast: boolean, first: OutboxEntry): Promise<OutboxEntry> {
    const step = createHash('sha1').update([...members].sort().join(' ') + (reply ? reply.title : '')).digest('hex').slice(0, 12);
    const t = now();
    return { id: `${storm.id}:${step}:${channelId(first.channel)}`, channel: first.channel, incidentId: storm.id, root: stormRootMessage(storm, t, opts.storms!.clock), ...(reply ? { reply } : {}), broadcast, createdAt: first.createdAt, attempts: 0, nextAt: t, done: {} };
  }

  /** The grouped entry takes the members' place: stored first, then the members are done. */
  async function replace(queue: OutboxEntry[], members: readonly OutboxEntry[], grouped: OutboxEntry): Promise<void> {
    await opts.outbox.enqueue([grouped]);
    for (const m of members) {
      await opts.outbox.delivered(m.id);
      known.delete(m.id);
      resumed.delete(m.id);
    }
    const gone = new Set(members.map((m) => m.id));
    const rest = queue.filter((e) => !gone.has(e.id));
    queue.length = 0;
    queue.push(grouped, ...rest);
    known.add(grouped.id);
  }

  function grouped(channel: ChannelRef): boolean {
    return !opts.adapters.get(channel.platform)?.ungrouped;
  }

  function accept(entries: readonly OutboxEntry[]) {
    const touched = new Set<string>();
    for (const e of entries) {
      if (known.has(e.id)) continue;
      known.add(e.id);
      const cid = channelId(e.channel);
      const q = queues.get(cid) ?? [];
      q.push(e);
      queues.set(cid, q);
      touched.add(cid);
    }
    for (const cid of touched) void drain(cid);
  }

  return {
    async enqueue(entries) {
      // With storm grouping, an opening or a recovery waits a few seconds for others to join it.
      const hold = opts.storms?.policy.holdMs ?? 0;
      const held = hold > 0 ? entries.map((e) => (grouped(e.channel) && (isOpening(e) || isRecovery(e)) ? { ...e, nextAt: Math.max(e.nextAt, e.createdAt + hold) } : e)) : entries;
      accept(await opts.outbox.enqueue(held));
    },
    async resume() {
      const pending = await opts.outbox.pending();
      for (const e of pending) resumed.add(e.id);
      accept(pending.sort((a, b) => a.createdAt - b.createdAt).map((e) => ({ ...e, nextAt: Math.min(e.nextAt, now()) })));
    },
    platforms() {
      return Object.fromEntries([...unavailable].map(([p, u]) => [p, { ok: false, error: u.error, since: u.since }]));
    },
    health() {
      const all = [...queues.values()].flat();
      const t = now();
      return {
        pending: all.length,
        stuck: all.filter((e) => t - e.createdAt > stuckAfter).length,
        oldestMs: all.length ? t - Math.min(...all.map((e) => e.createdAt)) : 0,
      };
    },
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      });
    },
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      while (busy.size) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
