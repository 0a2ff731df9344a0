import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Keyv } from 'keyv';

/**
 * keyv is the storage seam: SQLite by default, Redis or Postgres by URL. Each repository gets
 * its own namespace on one connection.
 */
export interface StoreHandle {
  readonly url: string;
  /** One keyv over one connection; repositories prefix their own keys ("reports:github"). */
  readonly kv: Keyv;
  close(): Promise<void>;
}

export async function openStore(url: string, opts: { prefix?: string } = {}): Promise<StoreHandle> {
  const prefix = opts.prefix ?? 'isdown';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each keyv adapter has its own store type
  let makeStore: () => any;
  const closers: (() => Promise<void>)[] = [];
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
    closers.push(async () => {
      await store.disconnect();
    });
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const { default: KeyvPostgres } = await import('@keyv/postgres');
    const store = new KeyvPostgres({ uri: url, table: prefix.replace(/[^a-z0-9_]/gi, '_') });
    makeStore = () => store;
    closers.push(async () => {
      await store.disconnect();
    });
  } else {
    throw new Error(`unsupported STORE_URL scheme: ${url.split(':')[0]}`);
  }
  const kv = new Keyv({ store: makeStore(), namespace: prefix });
  kv.on('error', () => {}); // errors reach the caller as rejected promises; keyv also emits them
  return {
    url,
    kv,
    async close() {
      for (const c of closers) await c();
    },
  };
}
