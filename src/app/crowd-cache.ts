import type { CrowdPort } from '../core/bot.ts';
import { CROWD, summarise } from '../core/crowd.ts';
import type { CrowdSummary } from '../core/types.ts';

/**
 * Every check asks what other teams reported about its service: one store read per check, 833 a
 * second at 50,000 monitors, for a count that changes a few times a day. The summary is kept a
 * few seconds per service; a report made through this process shows at once (its service's entry
 * goes), one made through another process within the few seconds.
 * Most of the time no one has reported anything for half an hour: then one read of "the latest
 * report", shared by every service for those few seconds, answers all their checks.
 */
export function cacheCrowd(port: CrowdPort, opts: { ttlMs: number; now: () => number; maxEntries?: number }): CrowdPort {
  const cache = new Map<string, { at: number; summary: Promise<CrowdSummary> }>();
  const max = opts.maxEntries ?? 10_000;
  let latest: { at: number; value: Promise<number | undefined> } | undefined;

  function latestReport(): Promise<number | undefined> | undefined {
    if (!port.latest) return undefined;
    if (latest && opts.now() - latest.at < opts.ttlMs) return latest.value;
    const value = port.latest();
    const kept = (latest = { at: opts.now(), value });
    value.catch(() => {
      if (latest === kept) latest = undefined;
    });
    return value;
  }

  return {
    async add(serviceId, tenant, user, at) {
      cache.delete(serviceId);
      latest = undefined;
      const result = await port.add(serviceId, tenant, user, at);
      cache.delete(serviceId);
      latest = undefined;
      return result;
    },
    summary(serviceId, now) {
      const hit = cache.get(serviceId);
      if (hit && opts.now() - hit.at < opts.ttlMs) return hit.summary;
      const known = latestReport();
      if (!known) return readThrough(serviceId, now);
      return known.then((last) => (last !== undefined && now - last >= CROWD.summaryWindowMs ? summarise([], now) : readThrough(serviceId, now)));
    },
  };

  function readThrough(serviceId: string, now: number): Promise<CrowdSummary> {
    const summary = port.summary(serviceId, now);
    if (cache.size >= max) cache.clear();
    cache.set(serviceId, { at: opts.now(), summary });
    // A failed read is not kept: the next check asks the store again.
    summary.catch(() => cache.delete(serviceId));
    return summary;
  }
}
