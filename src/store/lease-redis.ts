import { Redis } from 'ioredis';
import type { LeaseBackend } from './locks.ts';

// Only the holder may release or renew: compare the token and act in one step.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

export function redisLeases(url: string, prefix: string, timeoutMs = 5_000): LeaseBackend {
  // Every command answers or fails within the store's time limit, even while Redis is stopped.
  const redis = new Redis(url, { maxRetriesPerRequest: 3, lazyConnect: false, commandTimeout: timeoutMs, connectTimeout: timeoutMs });
  redis.on('error', () => {}); // commands reject with the error; the event would otherwise crash the process
  const k = (key: string) => `${prefix}:lease:${key}`;
  return {
    async tryAcquire(key, token, ttlMs) {
      return (await redis.set(k(key), token, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async renew(key, token, ttlMs) {
      return (await redis.eval(RENEW, 1, k(key), token, String(ttlMs))) === 1;
    },
    async release(key, token) {
      await redis.eval(RELEASE, 1, k(key), token);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
