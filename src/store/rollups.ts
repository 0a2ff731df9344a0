import type { KeyValue } from '../core/store-port.ts';
import { addToDay, DAY_MS, dayOf, foldDay, HOURLY_KEPT_MS, readDay, type Rollup, type StoredDay } from '../core/rollup.ts';
import { localLocks, type Locks } from './locks.ts';

/**
 * Each monitor's rollups, one value per monitor and UTC day (`rollup:<key>:<day>`), expiring
 * ISDOWN_RETENTION after the day ends, so the store stops growing once it holds that many days.
 * Only the process that schedules a monitor writes its rollups, so the lock is this process's own.
 */
export interface RollupRepository {
  /** Adds hourly rollups (keyed by the hour's start) to the stored ones. */
  add(key: string, hours: ReadonlyMap<number, Rollup>): Promise<void>;
  /** The stored days from..to (day numbers, inclusive): each day's hours while kept hourly, and its total. */
  days(key: string, fromDay: number, toDay: number): Promise<Map<number, { hours: Map<number, Rollup>; total: Rollup }>>;
}

/** A day read more than this far back is not read at all: retention bounds it anyway. */
const MAX_DAYS_READ = 400;

export function createRollupRepository(kv: KeyValue, opts: { retentionMs: number; now?: () => number; lock?: Locks }): RollupRepository {
  const now = opts.now ?? Date.now;
  const mutex = opts.lock ?? localLocks();
  const keyOf = (key: string, day: number) => `rollup:${key}:${day}`;
  const ttlOf = (day: number) => Math.max(1, (day + 1) * DAY_MS + opts.retentionMs - now());
  /** The last day each monitor's older days were looked at for folding: once a day, not once a write. */
  const foldedBefore = new Map<string, number>();

  async function foldOld(key: string, today: number): Promise<void> {
    // Days that ended more than HOURLY_KEPT_MS ago; a few back covers a process that was down.
    const newest = dayOf(now() - HOURLY_KEPT_MS) - 1;
    const from = Math.max(foldedBefore.get(key) ?? newest - 3, newest - 3);
    for (let day = from; day <= newest; day++) {
      await mutex.run(keyOf(key, day), async () => {
        const stored = await kv.get<StoredDay>(keyOf(key, day));
        const folded = stored && foldDay(stored, day, now());
        if (folded) await kv.set(keyOf(key, day), folded, ttlOf(day));
      });
    }
    foldedBefore.set(key, Math.max(newest + 1, today - 2));
  }

  return {
    async add(key, hours) {
      const byDay = new Map<number, Map<number, Rollup>>();
      for (const [hour, r] of hours) {
        const day = dayOf(hour);
        if (!byDay.has(day)) byDay.set(day, new Map());
        byDay.get(day)!.set(hour, r);
      }
      for (const [day, part] of byDay) {
        // Older than retention: it would expire at once.
        if ((day + 1) * DAY_MS + opts.retentionMs <= now()) continue;
        await mutex.run(keyOf(key, day), async () => {
          const stored = await kv.get<StoredDay>(keyOf(key, day));
          const next = addToDay(stored, day, part);
          await kv.set(keyOf(key, day), foldDay(next, day, now()) ?? next, ttlOf(day));
        });
      }
      const today = dayOf(now());
      if ((foldedBefore.get(key) ?? -Infinity) <= today - 2) await foldOld(key, today);
    },
    async days(key, fromDay, toDay) {
      const from = Math.max(fromDay, toDay - MAX_DAYS_READ);
      const list = Array.from({ length: Math.max(0, toDay - from + 1) }, (_, i) => from + i);
      const stored = await Promise.all(list.map((d) => kv.get<StoredDay>(keyOf(key, d))));
      const out = new Map<number, { hours: Map<number, Rollup>; total: Rollup }>();
      list.forEach((d, i) => {
        if (stored[i]) out.set(d, readDay(stored[i], d));
      });
      return out;
    },
  };
}
