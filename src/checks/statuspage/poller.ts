import { createHash } from 'node:crypto';
import type { StatusOutcome, StatusPageRef } from '../../core/types.ts';
import { isStoreFailure } from '../../core/store-port.ts';
import { pageKey, type Refreshed, type StatusSource } from './index.ts';

/**
 * Reads every known status page in the background (ISDOWN_STATUS_POLL), once per
 * ISDOWN_STATUS_TTL each, for every tenant at once: `/isdown now` and vendor watches read what
 * it found, and a check of a known service finds its page already read.
 *
 * Each page has its own place in the period (a hash of its id, so a restart keeps it) plus a
 * little jitter, so a thousand pages are a steady trickle, not a burst; at most `concurrency`
 * reads are in flight; the reads are conditional, so an unchanged page costs a 304.
 */

export interface PolledService {
  readonly id: string;
  readonly name: string;
  readonly ref: StatusPageRef;
}

export interface PolledPage {
  readonly service: PolledService;
  readonly outcome: StatusOutcome;
  /** When it was last read. */
  readonly at: number;
  /** When its page first said what it says now about trouble (its indicator), as far as this process saw. */
  readonly since: number;
}

export interface PollerStats {
  readonly pages: number;
  readonly reads: number;
  readonly notModified: number;
  readonly failures: number;
  readonly changes: number;
  /** Reads waiting for a slot right now: a backlog that grows means the period is too short. */
  readonly queued: number;
}

export interface StatusPoller {
  start(): void;
  stop(): Promise<void>;
  /** The latest read of every page read at least once. */
  latest(): ReadonlyMap<string, PolledPage>;
  /** Queues the reads now due (a timer calls it every second; tests with their own clock call it). */
  tick(): void;
  /** Reads every page once now and waits for them (tests, benchmarks). */
  pollAll(): Promise<void>;
  stats(): PollerStats;
}

export interface StatusPollerOptions {
  readonly source: StatusSource;
  readonly services: readonly PolledService[];
  /** How often each page is read (ISDOWN_STATUS_TTL). */
  readonly everyMs: number;
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Told of each page whose report changed (a new incident, an update, a resolution), in order per page. */
  readonly onChange?: (page: PolledPage, before: PolledPage | undefined) => Promise<void> | void;
  readonly log?: (line: string) => void;
}

/** Spread within ±5 % of the period around each page's place. */
const JITTER = 0.05;
/** How often due pages are looked for. */
const PLAN_EVERY_MS = 1_000;

export function createStatusPoller(opts: StatusPollerOptions): StatusPoller {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const concurrency = opts.concurrency ?? 8;
  const log = opts.log ?? (() => {});
  const latest = new Map<string, PolledPage>();
  const unhandled = new Set<string>();
  // One entry per page address: services sharing a page (a vendor's several products) are read once.
  const byPage = new Map<string, { ref: StatusPageRef; services: PolledService[]; offset: number; nextDue: number; queued: boolean }>();
  for (const s of opts.services) {
    const key = pageKey(s.ref);
    const have = byPage.get(key);
    if (have) have.services.push(s);
    else {
      const offset = createHash('sha1').update(key).digest().readUInt32BE(0) % opts.everyMs;
      byPage.set(key, { ref: s.ref, services: [s], offset, nextDue: 0, queued: false });
    }
  }
  const queue: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  const counts = { reads: 0, notModified: 0, failures: 0, changes: 0 };

  /**
   * The page's next place after a read at `after`, jittered. A read jittered early comes before
   * its own place: the next place is looked for past the jitter's reach, or the page would be
   * read again at once (bench:status-poll first measured 1.7 reads a page a period).
   */
  function nextDue(offset: number, after: number): number {
    const k = Math.floor((after + JITTER * opts.everyMs - offset) / opts.everyMs) + 1;
    return k * opts.everyMs + offset + Math.round((random() * 2 - 1) * JITTER * opts.everyMs);
  }

  async function readOne(key: string): Promise<void> {
    const page = byPage.get(key)!;
    let r: Refreshed;
    try {
      // Held a little past the next read, so a command never races the poller to the same page.
      r = await opts.source.refresh(page.ref, opts.everyMs * 2);
    } catch (err) {
      r = { outcome: { ok: false, reason: err instanceof Error ? err.message : String(err) }, changed: false, notModified: false };
    }
    const at = now();
    counts.reads++;
    if (r.notModified) counts.notModified++;
    if (!r.outcome.ok) counts.failures++;
    for (const service of page.services) {
      const before = latest.get(service.id);
      const troubleBefore = before?.outcome.ok ? before.outcome.report.indicator : undefined;
      const troubleNow = r.outcome.ok ? r.outcome.report.indicator : undefined;
      // A failed read keeps what the page said last (a page that does not answer is not news);
      // only a good read moves "since".
      if (!r.outcome.ok && before?.outcome.ok) {
        latest.set(service.id, { ...before, at });
        continue;
      }
      const polled: PolledPage = { service, outcome: r.outcome, at, since: before && troubleBefore === troubleNow ? before.since : at };
      latest.set(service.id, polled);
      // A change whose handling failed (the store was failing) is handed over again at the next
      // read, even though the page itself has not changed since: otherwise it would be lost.
      if ((r.changed || unhandled.has(service.id)) && r.outcome.ok && opts.onChange) {
        counts.changes++;
        try {
          await opts.onChange(polled, before);
          unhandled.delete(service.id);
        } catch (err) {
          unhandled.add(service.id);
          if (!isStoreFailure(err)) log(`isdown: handling a change of ${service.name}'s status page failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }

  function pump(): void {
    while (active < concurrency && queue.length) {
      const key = queue.shift()!;
      active++;
      const p = readOne(key).finally(() => {
        active--;
        byPage.get(key)!.queued = false;
        inFlight.delete(p);
        if (!stopped || queue.length) pump();
      });
      inFlight.add(p);
    }
  }

  function enqueue(key: string): void {
    const page = byPage.get(key)!;
    if (page.queued) return;
    page.queued = true;
    queue.push(key);
  }

  function plan(): void {
    const t = now();
    for (const [key, page] of byPage) {
      if (page.nextDue > t) continue;
      page.nextDue = nextDue(page.offset, t);
      enqueue(key);
    }
    pump();
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      const t = now();
      // The first round is spread over the first period too: a start is not a burst of a thousand reads.
      for (const page of byPage.values()) page.nextDue = t + Math.round(random() * Math.min(opts.everyMs, 60_000));
      plan();
      timer = setInterval(plan, PLAN_EVERY_MS);
      timer.unref();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      queue.length = 0;
      for (const page of byPage.values()) page.queued = false;
      await Promise.allSettled([...inFlight]);
    },
    latest: () => latest,
    tick: plan,
    async pollAll() {
      for (const key of byPage.keys()) enqueue(key);
      pump();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
    stats: () => ({ pages: byPage.size, ...counts, queued: queue.length }),
  };
}
