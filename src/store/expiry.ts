/**
 * keyv keeps a value's expiry inside the stored text on SQLite and Postgres and drops the value
 * only when it is read, so days and incidents nobody reads again would stay for ever. These are
 * the pieces of the sweep both stores share; open.ts runs it.
 */

/** One step of the sweep: the keys after `after`, `limit` of them; where to go on from (none at the end). */
export interface Sweepable {
  sweepStep(after: string, limit: number, now: number): Promise<SweepStep>;
}

export interface SweepStep {
  readonly next?: string;
  readonly deleted: number;
}

/** The expiry keyv wrote at the end of a stored value (`…,"expires":1803600000000}`); Infinity when none. */
export function expiryOf(stored: string): number {
  const at = stored.lastIndexOf('"expires":');
  if (at < 0 || !stored.endsWith('}')) return Infinity;
  const n = Number(stored.slice(at + 10, -1));
  return Number.isFinite(n) ? n : Infinity;
}

/** Of one page of rows in key order: the keys that have expired, and the key the next page starts after. */
export function sweepPage(rows: readonly { key: string; value: string }[], limit: number, now: number): { expired: string[]; next?: string } {
  return { expired: rows.filter((r) => expiryOf(r.value) < now).map((r) => r.key), ...(rows.length === limit ? { next: rows[rows.length - 1]!.key } : {}) };
}
