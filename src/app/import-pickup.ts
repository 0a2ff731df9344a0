import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../core/store-port.ts';

/**
 * How a bot that is already running hears of an `isdown import` run beside it, when no Redis
 * carries the news (one process on its store): the import leaves a mark in the store when it is
 * done, and the bot reads that one key every few seconds. A new mark makes the bot compare its
 * schedule with the store, so whatever the import wrote is scheduled, however many imports ran.
 */
const MARK = 'monitors:imported';
export const IMPORT_PICKUP_EVERY_MS = 5_000;

interface Mark {
  readonly id: string;
  readonly at: number;
}

export async function markImported(kv: KeyValue, now: number): Promise<void> {
  await kv.set(MARK, { id: randomUUID(), at: now } satisfies Mark);
}

export interface ImportPickup {
  stop(): void;
}

/**
 * Reads the mark now (what is in the store already is what the scheduler starts from), then
 * every `everyMs`; calls onImport once for each mark it has not seen. A read that fails is tried
 * again at the next turn, and said once until one succeeds.
 */
export async function followImports(kv: KeyValue, opts: { everyMs?: number; onImport: () => Promise<void>; log: (line: string) => void }): Promise<ImportPickup> {
  const read = async () => (await kv.get<Mark>(MARK))?.id;
  let seen = await read().catch(() => undefined);
  let failing = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const id = await read();
        failing = false;
        if (id === undefined || id === seen) return;
        // Marked seen only once done: a reconcile the store interrupted runs again next turn.
        await opts.onImport();
        seen = id;
      } catch (err) {
        if (!failing) opts.log(`isdown: could not pick up imported watches (${err instanceof Error ? err.message : String(err)}); trying again every ${(opts.everyMs ?? IMPORT_PICKUP_EVERY_MS) / 1_000} s`);
        failing = true;
      } finally {
        busy = false;
      }
    })();
  }, opts.everyMs ?? IMPORT_PICKUP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
