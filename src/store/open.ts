import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Keyv } from 'keyv';
import { guardKeyv, type GuardedStore, type StoreHealth } from './guarded.ts';
import { redactUrl } from '../core/redact.ts';
import { leaseLocks, localLocks, type LeaseBackend, type Locks } from './locks.ts';
import type { Sweepable, SweepStep } from './expiry.ts';

/**
 * keyv is the storage seam: SQLite by default, Redis or Postgres by URL. Each repository gets
 * its own namespace on one connection.
 */
export interface StoreHandle {
  /** The store's URL with any password hidden, for messages. */
  readonly url: string;
  /** One guarded keyv over one connection; repositories prefix their own keys ("reports:github"). */
  readonly kv: GuardedStore;
  /** Read-modify-write locks that hold across every process sharing this store. */
  readonly lock: Locks;
  /** Leases in the shared store (Redis, Postgres); absent for the embedded one-process store. */
  readonly leases?: LeaseBackend;
  health(): StoreHealth;
  /**
   * Deletes what has expired (SQLite, Postgres: keyv drops an expired value only when it is read,
   * so without this the store would grow past ISDOWN_RETENTION). Redis expires keys itself.
   * Runs every hour on its own; returns how many values went.
   */
  sweep(now?: number): Promise<number>;
  close(): Promise<void>;
}

/** How often the expiry sweep runs, and how many keys one step reads. */
const SWEEP_EVERY_MS = 3_600_000;
const SWEEP_STEP = 1_000;

export interface StoreOptions {
  readonly prefix?: string;
  /** Every store operation's time limit (ISDOWN_STORE_TIMEOUT). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export async function openStore(url: string, opts: StoreOptions = {}): Promise<StoreHandle> {
  const prefix = opts.prefix ?? 'isdown';
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const log = opts.log ?? (() => {});
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each keyv adapter has its own store type
  let store: any;
  const closers: (() => Promise<void>)[] = [];
  let leases: LeaseBackend | undefined;
  // Locks that hold across the processes sharing the file (the bot and an import run beside it).
  let fileLeases: LeaseBackend | undefined;
  const table = prefix.replace(/[^a-z0-9_]/gi, '_');
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const { SqliteKv } = await import('./sqlite-kv.ts');
    // Waiting on SQLite's own lock stays inside the operation's time limit.
    const busyMs = Math.max(100, timeoutMs - 1_000);
    store = new SqliteKv(path, table, busyMs);
    closers.push(() => store.disconnect());
    if (path !== ':memory:') {
      const { sqliteLeases } = await import('./lease-sqlite.ts');
      const file = (fileLeases = sqliteLeases(resolve(path), table, busyMs));
      closers.push(() => file.close());
    }
  } else if (/^rediss?:\/\//.test(url)) {
    const { default: KeyvRedis } = await import('@keyv/redis');
    store = new KeyvRedis(url, { throwOnConnectError: true, throwOnErrors: true, connectionTimeout: timeoutMs });
    const { redisLeases } = await import('./lease-redis.ts');
    leases = redisLeases(url, prefix, timeoutMs);
    closers.push(async () => {
      await store.disconnect();
    });
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const { PostgresKv } = await import('./postgres-kv.ts');
    store = new PostgresKv(url, table, { timeoutMs, log });
    const { postgresLeases } = await import('./lease-postgres.ts');
    leases = postgresLeases(url, table, timeoutMs);
    closers.push(() => store.disconnect());
  } else {
    throw new Error(`unsupported STORE_URL scheme: ${url.split(':')[0]}`);
  }
  const shown = redactUrl(url);
  const kv = guardKeyv(new Keyv({ store, namespace: prefix }), {
    timeoutMs,
    onChange: (h) => log(h.ok ? `isdown: the store (${shown}) answers again` : `isdown: the store (${shown}) is failing: ${h.error}`),
  });
  const shared = leases;
  const crossProcess = shared ?? fileLeases;
  const sweeper = typeof store.sweepStep === 'function' ? (store as Sweepable) : undefined;
  let sweeping: Promise<number> | undefined;
  const sweep = (now = Date.now()): Promise<number> =>
    (sweeping ??= (async () => {
      let deleted = 0;
      let after: string | undefined = '';
      try {
        while (sweeper && after !== undefined) {
          const step: SweepStep = await sweeper.sweepStep(after, SWEEP_STEP, now);
          deleted += step.deleted;
          after = step.next;
          // Other work goes between steps.
          await new Promise((r) => setImmediate(r));
        }
        return deleted;
      } finally {
        sweeping = undefined;
      }
    })());
  const sweepTimer = sweeper
    ? setInterval(() => {
        sweep().catch((err: unknown) => log(`isdown: store: the expiry sweep failed (${err instanceof Error ? err.message : String(err)}); it runs again in an hour`));
      }, SWEEP_EVERY_MS)
    : undefined;
  sweepTimer?.unref();
  closers.unshift(async () => clearInterval(sweepTimer));
  return {
    sweep,
    url: shown,
    kv,
    lock: crossProcess ? leaseLocks(crossProcess) : localLocks(),
    ...(shared ? { leases: shared } : {}),
    health: () => kv.health(),
    async close() {
      await sweeping?.catch(() => undefined);
      for (const c of closers) await c().catch(() => undefined);
      await shared?.close();
    },
  };
}
