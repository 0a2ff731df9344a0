import type { StatusOutcome, StatusPageKind, StatusPageRef, StatusReport } from '../../core/types.ts';
import type { Prober, Validators } from '../probe.ts';
import { atlassian } from './atlassian.ts';
import { feed } from './feed.ts';
import { incidentio } from './incidentio.ts';
import { instatus } from './instatus.ts';
import { PayloadError, type StatusProvider } from './provider.ts';

export const PROVIDERS: Record<StatusPageKind, StatusProvider> = { atlassian, incidentio, instatus, feed };
export const STATUS_PAGE_KINDS = Object.keys(PROVIDERS) as StatusPageKind[];

export interface StatusSourceOptions {
  readonly prober: Prober;
  /** How long a read page is reused: a burst of /isdown commands reads it once. */
  readonly ttlMs: number;
  /** A failed read is retried sooner than a good one is refreshed. */
  readonly failureTtlMs?: number;
  /** Status pages are small; a body past this is a broken page, not a big one. */
  readonly maxBytes?: number;
  /** Feeds: how long an unresolved event stays open after its last update (ISDOWN_FEED_HORIZON). */
  readonly feedHorizonMs?: number;
  readonly now?: () => number;
}

export interface StatusSource {
  /** The page as last read, if read within the TTL; otherwise read now. */
  read(ref: StatusPageRef): Promise<StatusOutcome>;
  /**
   * Reads the page now (conditionally: an unchanged page costs a 304 and no parsing) and keeps
   * the result for `holdMs`, so that commands in between use it: the background poller's read.
   */
  refresh(ref: StatusPageRef, holdMs: number): Promise<Refreshed>;
}

export interface Refreshed {
  readonly outcome: StatusOutcome;
  /** The page's report differs from the one read before (or this is the first good read). */
  readonly changed: boolean;
  /** The page answered 304 to every document: nothing was downloaded or parsed. */
  readonly notModified: boolean;
}

interface Cached {
  readonly until: number;
  readonly outcome: Promise<StatusOutcome>;
}

/** What the last good read of a page left behind for the next, conditional one. */
interface Known {
  readonly validators: readonly (Validators | undefined)[];
  /** Kept only where a 304 needs them again: a feed (read against the clock) or a page of several documents. */
  readonly bodies?: readonly (string | undefined)[];
  readonly report: StatusReport;
  readonly json: string;
}

/** Reads status pages through the guarded prober, with a short per-page cache and no crashes. */
export function createStatusSource(opts: StatusSourceOptions): StatusSource {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const known = new Map<string, Known>();
  const maxBytes = opts.maxBytes ?? 1024 * 1024;
  const accept = 'application/json, application/atom+xml, application/rss+xml, text/xml;q=0.9, */*;q=0.5';

  async function fetchOnce(ref: StatusPageRef): Promise<Refreshed> {
    const key = pageKey(ref);
    const provider = PROVIDERS[ref.kind];
    const urls = provider.urls(ref);
    const before = known.get(key);
    const fetched = await Promise.all(urls.map((url, i) => opts.prober.fetch(url, { maxBytes, accept, ...(before?.validators[i] ? { validators: before.validators[i] } : {}) })));
    const first = fetched[0]!;
    const fail = (reason: string): Refreshed => ({ outcome: { ok: false, reason }, changed: false, notModified: false });
    if (!first.result.ok || (!first.body && !first.notModified)) return fail(first.result.error?.message ?? 'no answer');
    if (first.result.truncated) return fail(`the page is larger than ${Math.round(maxBytes / 1024)} KiB`);
    const allSame = before !== undefined && fetched.every((f) => f.notModified);
    if (allSame && before.bodies === undefined) return { outcome: { ok: true, report: before.report }, changed: false, notModified: true };
    if (first.notModified && !before?.bodies) {
      // A 304 for a document whose body was not kept (cannot happen unless the server answers
      // 304 unasked); read it again in full next time.
      known.delete(key);
      return fail('the page answered "not modified" to a question it was not asked');
    }
    const bodies = fetched.map((f, i) => (f.notModified ? before?.bodies?.[i] : f.result.ok && f.body && !f.result.truncated ? f.body.toString('utf8') : undefined));
    try {
      const report = provider.parse(bodies, { now: now(), page: ref.page ?? ref.url, ...(opts.feedHorizonMs ? { horizonMs: opts.feedHorizonMs } : {}) });
      const json = JSON.stringify(report);
      const keepBodies = ref.kind === 'feed' || urls.length > 1;
      known.set(key, { validators: fetched.map((f, i) => f.validators ?? (f.notModified ? before?.validators[i] : undefined)), ...(keepBodies ? { bodies } : {}), report, json });
      return { outcome: { ok: true, report }, changed: json !== before?.json, notModified: allSame };
    } catch (err) {
      known.delete(key);
      if (err instanceof PayloadError) return fail(err.message);
      // A provider bug must not take the answer down with it; say so and move on.
      return fail(`could not read it (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  function remember(ref: StatusPageRef, t: number, holdMs: number, outcome: Promise<StatusOutcome>): void {
    const key = pageKey(ref);
    cache.set(key, { until: t + holdMs, outcome });
    void outcome.then((o) => {
      // A failure is held for less time, but only while it is still the latest read: a slow read
      // that fails after a newer one answered must not put its failure over the newer answer.
      if (!o.ok && cache.get(key)?.outcome === outcome) cache.set(key, { until: t + (opts.failureTtlMs ?? Math.min(holdMs, 15_000)), outcome });
    });
    if (cache.size > 5_000) for (const [k, v] of cache) if (v.until <= t) cache.delete(k);
  }

  return {
    read(ref) {
      const t = now();
      const hit = cache.get(pageKey(ref));
      if (hit && hit.until > t) return hit.outcome;
      const outcome = fetchOnce(ref).then((r) => r.outcome);
      remember(ref, t, opts.ttlMs, outcome);
      return outcome;
    },
    refresh(ref, holdMs) {
      const t = now();
      const done = fetchOnce(ref);
      remember(ref, t, holdMs, done.then((r) => r.outcome));
      return done;
    },
  };
}

/** One page, however many services share it: the cache's key and the poller's. */
export const pageKey = (ref: StatusPageRef) => `${ref.kind} ${ref.url}`;
