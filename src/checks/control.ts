import type { ControlResult } from '../core/types.ts';
import type { Prober } from './probe.ts';

/**
 * Our own network, checked against targets that are almost never down. Any HTTP answer,
 * even an error status, proves the path out works; only connection failures count.
 */
export async function checkControl(prober: Prober, urls: readonly string[]): Promise<ControlResult | undefined> {
  if (urls.length === 0) return undefined;
  const results = await Promise.all(urls.map((url) => prober.probe({ url })));
  const failed = results.filter((r) => r.status === undefined).length;
  return { checked: results.length, failed };
}
