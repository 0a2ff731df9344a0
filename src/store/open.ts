import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Keyv } from 'keyv';
import { leaseLocks, localLocks, type LeaseBackend, type Locks } from './locks.ts';

/**
 * keyv is the storage seam: SQLite by default, Redis or Postgres by URL. Each repository gets
 * its own namespace on one connection.
 */
export interface StoreHandle {
  readonly url: string;
  /** One keyv over one connection; repositories prefix their own keys ("reports:github"). */
  readonly kv: Keyv;
  /** Read-modify-write locks that hold across every process sharing this store. */
  readonly lock: Locks;
  /** Leases in the shared store (Redis, Postgres); absent for the embedded one-process store. */
  readonly leases?: LeaseBackend;
  close(): Promise<void>;
}

export async function openStore(url: string, opts: { prefix?: string } = {}): Promise<StoreHandle> {
  const prefix = opts.prefix ?? 'isdown';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each keyv adapter has its own store type
  let makeStore: () => any;
  const closers: (() => Promise<void>)[] = [];
  let leases: LeaseBackend | undefined;
  if (url.startsWith('sqlite://')) {
    const path = url.slice('sqlite://'.length);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    const { default: KeyvSqlite } = await import('@keyv/sqlite');
    const store = new KeyvSqlite({ uri: `sqlite://${path}`, table: prefix.replace(/[^a-z0-9_]/gi, '_'), busyTimeout: 10_000 });
    makeStore = () => store;
    closers.push(async () => {
      await store.disconnect();
    });
  } else if (/^rediss?:\/\//.test(url)) {
    const { default: KeyvRedis } = await import('@keyv/redis');
    const store = new KeyvRedis(url);
    makeStore = () => store;
    const { redisLeases } = await import('./lease-redis.ts');
    leases = redisLeases(url, prefix);
    closers.push(async () => {
      await store.disconnect();
    });
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const { default: KeyvPostgres } = await import('@keyv/postgres');
    const table = prefix.replace(/[^a-z0-9_]/gi, '_');
    const store = new KeyvPostgres({ uri: url, table });
    makeStore = () => store;
    const { postgresLeases } = await import('./lease-postgres.ts');
    leases = postgresLeases(url, table);
    closers.push(async () => {
      // @keyv/postgres keeps one pool per process: a second store closing it is not an error.
      await store.disconnect().catch((err: Error) => {
        if (!/end on pool more than once/.test(err.message)) throw err;
      });
    });
  } else {
    throw new Error(`unsupported STORE_URL scheme: ${url.split(':')[0]}`);
  }
  const kv = new Keyv({ store: makeStore(), namespace: prefix });
  kv.on('error', () => {}); // errors reach the caller as rejected promises; keyv also emits them
  const shared = leases;
  return {
    url,
    kv,
    lock: shared ? leaseLocks(shared) : localLocks(),
    ...(shared ? { leases: shared } : {}),
    async close() {
      for (const c of closers) await c();
      await shared?.close();
    },
  };
}
