import { randomBytes } from 'node:crypto';

/** The real services tests use; CI starts them, and a test fails (not skips) without them. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A prefix of its own for each test: keys in Redis, a table in Postgres. */
export function uniquePrefix(label: string): string {
  return `t_${label}_${randomBytes(4).toString('hex')}`;
}
