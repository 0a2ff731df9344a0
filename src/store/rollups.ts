import type { KeyValue } from '../core/store-port.ts';
import { addToDay, addToHistory, DAY_MS, dayOf, isFoldable, readDay, readHistory, sumRollups, type History, type Rollup, type StoredDay } from '../core/rollup.ts';
import { localLocks, type Locks } from './locks.ts';

/**
 * Each monitor's rollups: its recent days by the hour (`rollup:<key>:<day>`, a few of them), and
 * one value with the total of every older day (`rollhist:<key>`), pruned to ISDOWN_RETENTION at
 * each write and expiring that long after its last one. A 90-day answer reads one value and the
 * recent days, not 90; the store stops growing once it holds retention's worth.
 * Only the process that schedules a monitor writes its rollups, so the lock is this process's own.
 */
export interface RollupRepository {
  /** Adds hourly rollups (keyed by the hour's start) to the stored ones; one write per day they fall in, so give it one day's hours to make it all or nothing. */
  add(key: string, hours: ReadonlyMap<number, Rollup>): Promise<void>;
  /** The stored days from..to (day numbers, inclusive): each day's hours while kept hourly, and its total. */
  days(key: string, fromDay: number, toDay: number): Promise<Map<number, { hours: Map<number, Rollup>; total: Rollup }>>;
}

/** Recent days read by the hour: those not yet folded, and a margin for a fold that is late. */
const RECENT_DAYS = 5;

export function createRollupRepository(kv: KeyValue, opts: { retentionMs: number; now?: () => number; lock?: Locks }): RollupRepository {
  const now = opts.now ?? Date.now;
  const mutex = opts.lock ?? localLocks();
  const dayKey = (key: string, day: number) => `rollup:${key}:${day}`;
  const historyKey = (key: string) => `rollhist:${key}`;
  const oldestDay = () => dayOf(now() - opts.retentionMs);
  /** A recent day lives until it is folded; if no fold comes (the monitor went), until retention. */
  const dayTtl = (day: number) => Math.max(1, (day + 1) * DAY_MS + opts.retentionMs - now());
  // Values are kept as JSON text: keyv's own (de)serializer walks every number of a value with a
  // reviver, which made reading a 90-day history five times dearer than JSON.parse.
  const read = async <T>(k: string): Promise<T | undefined> => {
    const text = await kv.get<string>(k);
    if (typeof text !== 'string') return undefined;
    try {
      return JSON.parse(text) as T;
    } catch {
      return undefined;
    }
  };
  const write = (k: string, value: unknown, ttlMs: number) => kv.set(k, JSON.stringify(value), ttlMs);
  /** The last day each monitor's recent days were folded up to: looked at once a day, not once a write. */
  const foldedThrough = new Map<string, number>();

  /** `replace`: a fold's total is the whole day, so writing it twice (a retry) changes nothing. */
  async function addToHistoryOf(key: string, totals: ReadonlyMap<number, Rollup>, replace: boolean): Promise<void> {
    await mutex.run(historyKey(key), async () => {
      const stored = await read<History>(historyKey(key));
      const base = replace && stored ? { d: Object.fromEntries(Object.entries(stored.d).filter(([k]) => !totals.has(Number(k)))) } : stored;
      const history = addToHistory(base, totals, oldestDay());
      if (Object.keys(history.d).length) await write(historyKey(key), history, opts.retentionMs);
      else await kv.delete(historyKey(key));
    });
  }

  /** Moves each foldable recent day's total into the history, then deletes the day. */
  async function fold(key: string): Promise<void> {
    const last = dayOf(now()) - 2;
    const first = Math.max(oldestDay(), (foldedThrough.get(key) ?? last - RECENT_DAYS) + 1);
    for (let day = first; day <= last; day++) {
      if (!isFoldable(day, now())) break;
      await mutex.run(dayKey(key, day), async () => {
        const stored = await read<StoredDay>(dayKey(key, day));
        if (!stored) return;
        // The history first, replacing the day there: a failure before the delete leaves the day
        // in both (days() reads the history's), and the next fold writes the same total again.
        await addToHistoryOf(key, new Map([[day, readDay(stored, day).total]]), true);
        await kv.delete(dayKey(key, day));
      });
      foldedThrough.set(key, day);
    }
  }

  return {
    async add(key, hours) {
      const byDay = new Map<number, Map<number, Rollup>>();
      for (const [hour, r] of hours) {
        const day = dayOf(hour);
        if (day < oldestDay()) continue;
        if (!byDay.has(day)) byDay.set(day, new Map());
        byDay.get(day)!.set(hour, r);
      }
      const late = new Map<number, Rollup>();
      for (const [day, part] of byDay) {
        await mutex.run(dayKey(key, day), async () => {
          const stored = await read<StoredDay>(dayKey(key, day));
          // Hours of a day already folded (owed while the store failed) join its total.
          if (!stored && isFoldable(day, now())) late.set(day, sumRollups(part.values()));
          else await write(dayKey(key, day), addToDay(stored, day, part), dayTtl(day));
        });
      }
      if (late.size) await addToHistoryOf(key, late, false);
      // Folding is housekeeping: the hours above are stored whatever it does. A failed fold is
      // not this write's failure (the caller would write the hours again); it is tried again at
      // the next write, as foldedThrough did not move, and the store's health reports the failure.
      if ((foldedThrough.get(key) ?? -Infinity) < dayOf(now()) - 2) await fold(key).catch(() => undefined);
    },
    async days(key, fromDay, toDay) {
      const recentFrom = Math.max(fromDay, toDay - RECENT_DAYS);
      const recent = Array.from({ length: Math.max(0, toDay - recentFrom + 1) }, (_, i) => recentFrom + i);
      const [history, ...stored] = await Promise.all([read<History>(historyKey(key)), ...recent.map((d) => read<StoredDay>(dayKey(key, d)))]);
      const out = new Map<number, { hours: Map<number, Rollup>; total: Rollup }>();
      for (const [day, total] of readHistory(history, Math.max(fromDay, oldestDay()))) if (day <= toDay) out.set(day, { hours: new Map(), total });
      recent.forEach((d, i) => {
        if (stored[i] && !out.has(d)) out.set(d, readDay(stored[i], d));
      });
      return out;
    },
  };
}
