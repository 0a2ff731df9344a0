/**
 * How far one process goes: N monitors against local targets at an interval, added the way a
 * chat command adds them, then a steady window measured. One JSON line per level:
 * checks/s, the per-monitor gap between checks measured at the target (p50/p99/max), CPU ms per
 * check from the process's own usage, RSS, store bytes and disk bytes written per check
 * (/proc/self/io write_bytes), and add-watch p50/p99 over the last 1,000 adds.
 *
 *   npm run bench:scale                                   # 1,000, 10,000, 50,000 at 60 s; 20,000 at 20 s
 *   npm run bench:scale -- --levels 10000@60 --store redis
 *
 * Settings are the defaults except what reaching local targets needs (private address, any
 * port, no control URLs); `--store redis|postgres` uses REDIS_URL / DATABASE_URL instead of the
 * embedded SQLite file and reports what the server wrote (Redis: bytes it received; Postgres:
 * WAL bytes). The window is two intervals plus 10 s, after one interval of warm-up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/app/config.ts';
import { startRuntime } from '../src/app/runtime.ts';
import type { ChatAdapter } from '../src/core/notify.ts';

const { values } = parseArgs({
  options: {
    levels: { type: 'string', default: '1000@60,10000@60,50000@60,20000@20' },
    sites: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite' },
  },
});
const levels = values.levels.split(',').map((l) => {
  const [n, s] = l.split('@');
  const monitors = Number(n);
  const intervalS = Number(s ?? '60');
  if (!Number.isInteger(monitors) || monitors < 1 || !Number.isFinite(intervalS) || intervalS < 20) throw new Error(`a level is MONITORS@SECONDS (SECONDS ≥ 20), got "${l}"`);
  return { monitors, intervalS };
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const diskWrites = () => Number(/write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
const dirBytes = (dir: string) => readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);

/** Asks the targets process one question and waits for its answer. */
function ask<T>(child: ChildProcess, msg: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

/** What the shared store's server wrote (--store redis|postgres), and the level's data dropped after. */
async function sharedStore(kind: string, prefix: string): Promise<{ written(): Promise<number>; drop(): Promise<void> }> {
  if (kind === 'redis') {
    const redis = new Redis(REDIS_URL);
    return {
      written: async () => Number(/total_net_input_bytes:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0),
      async drop() {
        for (let cursor = '0'; ; ) {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
          if (keys.length) await redis.del(...keys);
          if ((cursor = next) === '0') break;
        }
        await redis.quit();
      },
    };
  }
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    return {
      written: async () => Number((await client.query("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS b")).rows[0].b),
      async drop() {
        await client.query(`DROP TABLE IF EXISTS ${prefix}, ${prefix}_leases`);
        await client.end();
      },
    };
  }
  return { written: async () => 0, drop: async () => {} };
}

// One process per level: a level's memory and CPU are its own, not what the previous one left.
if (levels.length > 1) {
  for (const level of levels) {
    const child = fork(new URL(import.meta.url).pathname, ['--levels', `${level.monitors}@${level.intervalS}`, '--sites', values.sites, '--store', values.store], { execArgv: process.execArgv });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the ${level.monitors}@${level.intervalS} level exited with ${code}`);
  }
  process.exit(0);
}

const targets = fork(new URL('./gap-targets.ts', import.meta.url).pathname, [values.sites], { execArgv: ['--import', 'tsx'] });
const urls = await new Promise<string[]>((resolve) => targets.once('message', (m: { urls: string[] }) => resolve(m.urls)));

for (const level of levels) {
  const dir = mkdtempSync(join(tmpdir(), 'isdown-scale-'));
  const prefix = `scale_${process.pid}_${level.monitors}`;
  const storeUrl = values.store === 'redis' ? REDIS_URL : values.store === 'postgres' ? DATABASE_URL : `sqlite://${join(dir, 'isdown.sqlite')}`;
  const departures = {
    ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
    ISDOWN_ALLOWED_PORTS: 'any',
    ISDOWN_CONTROL_URLS: '',
    ISDOWN_STATUS_POLL: 'off',
    // Chat may not watch more often than every 30 s by default; the 20 s level needs the operator's setting.
    ...(level.intervalS < 30 ? { ISDOWN_MIN_INTERVAL: `${level.intervalS}s` } : {}),
  };
  const config = loadConfig({ ...departures, STORE_URL: storeUrl, ISDOWN_KEY_PREFIX: prefix });
  const silent: ChatAdapter = { platform: 'console', post: async () => ({ id: 'm', channel: 'c' }), update: async () => {}, reply: async () => ({ id: 'r', channel: 'c' }) };
  const runtime = await startRuntime(config, { adapters: [silent], storeRetry: 'never' });
  const who = { platform: 'console', tenant: 'console', channel: 'bench', user: 'bench' };

  // Through the command path, as a person typing "/isdown watch … every 60s" would.
  const addMs: number[] = [];
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 1_000);
  const addStart = performance.now();
  for (let i = 0; i < level.monitors; i++) {
    const s = performance.now();
    const answer = await runtime.bot.handle(`watch ${urls[i % urls.length]}/?m=${i} every ${level.intervalS}s`, who);
    addMs.push(performance.now() - s);
    if (answer.tone === 'error') throw new Error(`watch ${i}: ${answer.title}`);
    // Commands arrive as separate events; yield as they would, so timers and checks run between them.
    await new Promise((r) => setImmediate(r));
  }
  const addSeconds = (performance.now() - addStart) / 1_000;

  await sleep(level.intervalS * 1_000 + 5_000);
  targets.send({ reset: true });
  const shared = await sharedStore(values.store, prefix);
  const checks0 = runtime.watcher!.stats().checks;
  const cpu0 = process.cpuUsage();
  const disk0 = diskWrites();
  const server0 = await shared.written();
  const store0 = values.store === 'sqlite' ? dirBytes(dir) : 0;
  const t0 = performance.now();
  const rssBeforeWindow = rssMax;
  rssMax = 0;
  await sleep((2 * level.intervalS + 10) * 1_000);
  clearInterval(sampler);
  const seconds = (performance.now() - t0) / 1_000;
  const checks = runtime.watcher!.stats().checks - checks0;
  const cpu = process.cpuUsage(cpu0);
  const disk = diskWrites() - disk0;
  const server = (await shared.written()) - server0;
  const gaps = await ask<{ hits: number; connections: number; gapMs: { p50: number; p99: number; max: number } }>(targets, { stats: true });
  const perCheck = (bytes: number) => Math.round(bytes / Math.max(1, checks));

  console.log(
    JSON.stringify({
      bench: 'scale',
      node: process.version,
      store: values.store,
      settings: { defaults: 'all but these', departures, checkConcurrency: config.checkConcurrency, hostConcurrency: config.hostConcurrency, sites: urls.length },
      monitors: level.monitors,
      intervalSeconds: level.intervalS,
      windowSeconds: Math.round(seconds),
      checksPerSecond: Math.round((checks / seconds) * 10) / 10,
      expectedChecksPerSecond: Math.round((level.monitors / level.intervalS) * 10) / 10,
      gapAtTargetMs: { ...gaps.gapMs, target: `p99 ≤ ${level.intervalS * 1_000 + 1_000}` },
      cpuMsPerCheck: Math.round(((cpu.user + cpu.system) / 1_000 / Math.max(1, checks)) * 1_000) / 1_000,
      // Where it goes: user is JavaScript and the engine, system is the kernel (sockets, timers, the store's file).
      cpuSplitMsPerCheck: { user: Math.round((cpu.user / 1_000 / Math.max(1, checks)) * 1_000) / 1_000, system: Math.round((cpu.system / 1_000 / Math.max(1, checks)) * 1_000) / 1_000 },
      newConnectionsPerCheck: Math.round((gaps.connections / Math.max(1, gaps.hits)) * 100) / 100,
      rssMB: { maxWhileAdding: Math.round(rssBeforeWindow / 1e6), max: Math.round(rssMax / 1e6), end: Math.round(process.memoryUsage().rss / 1e6), heapUsedEnd: Math.round(process.memoryUsage().heapUsed / 1e6), target: '< 500' },
      diskWriteBytesPerCheck: values.store === 'sqlite' ? perCheck(disk) : undefined,
      storeGrowthBytesPerCheck: values.store === 'sqlite' ? perCheck(dirBytes(dir) - store0) : undefined,
      serverWriteBytesPerCheck: values.store === 'redis' ? { receivedByRedis: perCheck(server) } : values.store === 'postgres' ? { postgresWal: perCheck(server) } : undefined,
      addWatch: { seconds: Math.round(addSeconds * 10) / 10, p50Ms: pct(addMs, 50), p99Ms: pct(addMs, 99), lastThousandP50Ms: pct(addMs.slice(-1_000), 50), lastThousandP99Ms: pct(addMs.slice(-1_000), 99), target: 'p99 < 20' },
    }),
  );
  await runtime.close();
  await shared.drop();
  rmSync(dir, { recursive: true, force: true });
}
targets.disconnect();
