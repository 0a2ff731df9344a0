import type { RedisOptions } from 'bullmq';

/**
 * The probe queues in distributed mode: one BullMQ queue per region, so a regional probe
 * worker takes only its own region's jobs. Names and options are shared by the side that
 * publishes checks and the workers that run them.
 */
export const queueName = (region: string) => `probe-${region}`;

/** A job lock this long, checked this often: a killed worker's job is run again within ~15 s. */
export const JOB_LOCK_MS = 10_000;
export const STALLED_CHECK_MS = 5_000;

/** BullMQ's connection options for a redis:// or rediss:// URL; it makes its own connections. */
export function redisOptions(url: string): RedisOptions {
  // Workers block on Redis; they must wait for it to come back, not give up after a few retries.
  return { url, maxRetriesPerRequest: null };
}

