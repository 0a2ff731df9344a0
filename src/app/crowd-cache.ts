import type { CrowdPort } from '../core/bot.ts';
import type { CrowdSummary } from '../core/types.ts';

/**
 * Every check asks what other teams reported about its service: one store read per check, 833 a
 * second at 50,000 monitors, for a count that changes a few times a day. The summary is kept a
 * few seconds per service; a report made through this process shows at once (its service's entry
 * goes), one made through another process within the few seconds.
 */
export function cacheCrowd(port: CrowdPort, opts: { ttlMs: number; now: () => number; maxEntries?: number }): CrowdPort {
  const cache = new Map<string, { at: number; summary: Promise<CrowdSummary> }>();
  const max = opts.maxEntries ?? 10_000;
  return {
    async add(serviceId, tenant, user, at) {
      cache.delete(serviceId);
      const result = await port.add(serviceId, tenant, user, at);
      cache.delete(serviceId);
      return result;
    },
    summary(serviceId, now) {
      const hit = cache.get(serviceId);
      if (hit && opts.now() - hit.at < opts.ttlMs) return hit.summary;
      const summary = port.summary(serviceId, now);
      if (cache.size >= max) cache.clear();
      cache.set(serviceId, { at: opts.now(), summary });
      // A failed read is not kept: the next check asks the store again.
      summary.catch(() => cache.delete(serviceId));
      return summary;
    },
  };
}
