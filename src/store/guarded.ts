import { Keyv } from 'keyv';
import { StoreFailure, type KeyValue } from '../core/store-port.ts';

/** How the store is doing, for /healthz, /metrics and the log. */
export interface StoreHealth {
  readonly ok: boolean;
  /** The latest failure while failing: what the store said. */
  readonly error?: string;
  /** Since when it has been failing (ms since epoch). */
  readonly since?: number;
  /** Operations that failed or timed out since start. */
  readonly failures: number;
}

export interface GuardedStore extends KeyValue {
  health(): StoreHealth;
  /** One write and one read of a marker key: how health recovers when nothing else writes. */
  probe(): Promise<void>;
}

export interface GuardOptions {
  /** Each operation's time limit. */
  readonly timeoutMs: number;
  readonly now?: () => number;
  /** Called once when the store starts failing, and once when it is back. */
  readonly onChange?: (health: StoreHealth) => void;
}

/** A failure's words, one line, bounded, and without a URL's password if a driver quoted one. */
export function describeStoreError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const line = (message.split('\n')[0] ?? '').replace(/\/\/[^/\s]*@/g, '//***@').slice(0, 200);
  const code = typeof e?.code === 'string' && !line.includes(e.code) ? `${e.code}: ` : '';
  return `${code}${line}` || 'unknown error';
}

/**
 * keyv with the guarantees the rest of isdown relies on: every operation either completes or
 * rejects with a StoreFailure within `timeoutMs`, a write keyv reports as not done is a
 * failure, and the store's health is tracked for /healthz. keyv's own default (log an error
 * event, resolve as if nothing happened) would let "Watching" be answered for a watch that was
 * never stored.
 */
export function guardKeyv(keyv: Keyv, opts: GuardOptions): GuardedStore {
  const now = opts.now ?? Date.now;
  keyv.throwOnErrors = true;
  // The same errors reach the caller as rejections; the event would otherwise be unhandled.
  keyv.on('error', () => {});
  let failures = 0;
  // Reads and writes fail separately (a full disk still reads): health is good only when both are.
  const last = { read: { ok: true } as { ok: boolean; error?: string; since?: number }, write: { ok: true } as { ok: boolean; error?: string; since?: number } };
  let reported = true;

  const health = (): StoreHealth => {
    const failing = !last.write.ok ? last.write : !last.read.ok ? last.read : undefined;
    return failing ? { ok: false, error: failing.error!, since: failing.since!, failures } : { ok: true, failures };
  };
  const changed = () => {
    const h = health();
    if (h.ok !== reported) {
      reported = h.ok;
      opts.onChange?.(h);
    }
  };

  async function run<T>(operation: 'read' | 'write', what: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        what(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new StoreFailure(`no answer within ${Math.round(opts.timeoutMs / 100) / 10} s`, operation)), opts.timeoutMs);
        }),
      ]);
      last[operation] = { ok: true };
      changed();
      return result;
    } catch (err) {
      failures++;
      const failure = err instanceof StoreFailure ? err : new StoreFailure(describeStoreError(err), operation);
      const prev = last[operation];
      last[operation] = { ok: false, error: failure.reason, since: prev.ok ? now() : (prev.since ?? now()) };
      changed();
      throw failure;
    } finally {
      clearTimeout(timer);
    }
  }

  const store: GuardedStore = {
    get: <T>(key: string) => run('read', () => keyv.get<T>(key) as Promise<T | undefined>),
    has: (key) => run('read', () => keyv.has(key)),
    set: (key, value, ttlMs) =>
      run('write', async () => {
        if (!(await keyv.set(key, value, ttlMs))) throw new StoreFailure('the write was not accepted');
      }),
    delete: (key) =>
      run('write', async () => {
        await keyv.delete(key);
      }),
    health,
    async probe() {
      await store.set('meta:health', now(), 60_000);
      await store.get('meta:health');
    },
  };
  return store;
}

/** An in-memory store with the same guarantees, for tests and the one-shot CLI. */
export function memoryStore(timeoutMs = 5_000): GuardedStore {
  return guardKeyv(new Keyv(), { timeoutMs });
}
