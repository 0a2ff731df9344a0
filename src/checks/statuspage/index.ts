import type { StatusOutcome, StatusPageKind, StatusPageRef } from '../../core/types.ts';
import type { Prober } from '../probe.ts';
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
  read(ref: StatusPageRef): Promise<StatusOutcome>;
}

interface Cached {
  readonly until: number;
  readonly outcome: Promise<StatusOutcome>;
}

/** Reads status pages through the guarded prober, with a short per-page cache and no crashes. */
export function createStatusSource(opts: StatusSourceOptions): StatusSource {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const maxBytes = opts.maxBytes ?? 1024 * 1024;

  async function fetchOnce(ref: StatusPageRef): Promise<StatusOutcome> {
    const provider = PROVIDERS[ref.kind];
    const urls = provider.urls(ref);
    const fetched = await Promise.all(urls.map((url) => opts.prober.fetch(url, { maxBytes, accept: 'application/json, application/atom+xml, application/rss+xml, text/xml;q=0.9, */*;q=0.5' })));
    const first = fetched[0]!;
    if (!first.result.ok || !first.body) {
      return { ok: false, reason: first.result.error?.message ?? 'no answer' };
    }
    if (first.result.truncated) return { ok: false, reason: `the page is larger than ${Math.round(maxBytes / 1024)} KiB` };
    const bodies = fetched.map((f) => (f.result.ok && f.body && !f.result.truncated ? f.body.toString('utf8') : undefined));
    try {
      return { ok: true, report: provider.parse(bodies, { now: now(), page: ref.page ?? ref.url, ...(opts.feedHorizonMs ? { horizonMs: opts.feedHorizonMs } : {}) }) };
    } catch (err) {
      if (err instanceof PayloadError) return { ok: false, reason: err.message };
      // A provider bug must not take the answer down with it; say so and move on.
      return { ok: false, reason: `could not read it (${err instanceof Error ? err.message : String(err)})` };
    }
  }

  return {
    read(ref) {
      const key = `${ref.kind} ${ref.url}`;
      const t = now();
      const hit = cache.get(key);
      if (hit && hit.until > t) return hit.outcome;
      const outcome = fetchOnce(ref);
      cache.set(key, { until: t + opts.ttlMs, outcome });
      void outcome.then((o) => {
        if (!o.ok) cache.set(key, { until: t + (opts.failureTtlMs ?? Math.min(opts.ttlMs, 15_000)), outcome });
      });
      if (cache.size > 5_000) for (const [k, v] of cache) if (v.until <= t) cache.delete(k);
      return outcome;
    },
  };
}
