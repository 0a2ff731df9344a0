import { Redis } from 'ioredis';
import type { MonitorRepository } from '../store/monitors.ts';

const SUBSCRIBE_TIMEOUT_MS = 10_000;

export interface MonitorSync {
  publish(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Tells every process of a deployment that a monitor changed (a watch, unwatch, mute or pause
 * that arrived at any web process), over Redis pub/sub, so the scheduler re-reads it at once.
 * A message missed while disconnected costs nothing lasting: a newly elected scheduler reads
 * every monitor from the store.
 */
export async function createMonitorSync(redisUrl: string, prefix: string, onChange: (key: string) => void, log: (line: string) => void): Promise<MonitorSync> {
  const channel = `${prefix}:monitor-changed`;
  const pub = new Redis(redisUrl, { maxRetriesPerRequest: 3 });
  const sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
  pub.on('error', () => {});
  sub.on('error', (err) => log(`isdown: monitor updates: ${err.message}`));
  sub.on('message', (_channel: string, key: string) => {
    if (/^[a-f0-9]{1,64}$/.test(key)) onChange(key);
  });
  // The subscriber retries forever once running; the first subscription has a limit, so a Redis
  // that never answers is an error at start, not a process that hangs.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      sub.subscribe(channel),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${SUBSCRIBE_TIMEOUT_MS / 1_000} s`)), SUBSCRIBE_TIMEOUT_MS))),
    ]);
  } catch (e) {
    sub.disconnect();
    pub.disconnect();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return {
    async publish(key) {
      await pub.publish(channel, key);
    },
    async close() {
      await sub.quit().catch(() => sub.disconnect());
      await pub.quit().catch(() => pub.disconnect());
    },
  };
}

/** The repository, announcing every change to a monitor's watches after it is stored. */
export function announcing(repo: MonitorRepository, publish: (key: string) => Promise<void>): MonitorRepository {
  const tell = (key: string) => publish(key).catch(() => undefined);
  return {
    ...repo,
    async watch(spec, watch) {
      const out = await repo.watch(spec, watch);
      await tell(spec.key);
      return out;
    },
    async unwatch(key, channel) {
      const out = await repo.unwatch(key, channel);
      await tell(key);
      return out;
    },
    async updateWatch(key, channel, change) {
      const out = await repo.updateWatch(key, channel, change);
      await tell(key);
      return out;
    },
  };
}
