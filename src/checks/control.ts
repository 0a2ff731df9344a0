import type { ControlResult } from '../core/types.ts';
import type { Prober } from './probe.ts';

/**
 * A control target: a captive-portal detection URL with a known answer. Healthy only on that
 * exact status (`URL=204`), or on a 2xx when none is given, and never through a redirect: a
 * captive portal or an intercepting proxy answers, but not with that.
 */
export interface ControlTarget {
  readonly url: string;
  readonly status?: number;
}

/** "https://host/generate_204=204" → the URL and its status; a plain URL has none. */
export function parseControlTarget(entry: string): ControlTarget {
  const m = /^(.*)=(\d{3})$/.exec(entry.trim());
  return m ? { url: m[1]!, status: Number(m[2]) } : { url: entry.trim() };
}

export async function checkControl(prober: Prober, targets: readonly ControlTarget[]): Promise<ControlResult | undefined> {
  if (targets.length === 0) return undefined;
  const results = await Promise.all(targets.map(async (t) => ({ t, r: await prober.probe({ url: t.url, acceptStatus: [[100, 599]] }) })));
  let failed = 0;
  let intercepted = 0;
  for (const { t, r } of results) {
    const healthy = r.status !== undefined && r.redirects.length === 0 && (t.status !== undefined ? r.status === t.status : r.status >= 200 && r.status < 300);
    if (healthy) continue;
    failed++;
    // An answer, but the wrong one, or a TLS failure on a host that never has one: someone in between.
    if (r.status !== undefined || r.error?.code === 'tls') intercepted++;
  }
  return { checked: results.length, failed, ...(intercepted ? { intercepted } : {}) };
}
