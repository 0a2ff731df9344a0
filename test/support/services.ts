import { randomBytes } from 'node:crypto';

/** The real services tests use; CI starts them, and a test fails (not skips) without them. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A prefix of its own for each test: keys in Redis, a table in Postgres. */
export function uniquePrefix(label: string): string {
  return `t_${label}_${randomBytes(4).toString('hex')}`;
}

/** Distributed mode on the machine's Redis, under a test's own prefix (store keys, leases, queues). */
export function distributedOn(prefix: string) {
  return { STORE_URL: REDIS_URL, ISDOWN_KEY_PREFIX: prefix, ISDOWN_MODE: 'distributed' } as const;
}

/** Deletes every Redis key a test made under its prefix (store, leases, queues). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
  } finally {
    await redis.quit();
  }
}
