/**
 * Distributed mode on this machine: 20,000 monitors at a 60 s interval, one scheduler, and
 * 1, 2 and 4 `isdown worker` processes taking the probe jobs from the real Redis.
 * For each worker count, after a warm-up, a steady window of --seconds (default 60): checks/s,
 * scheduling lag p99, Redis commands per check, and CPU per check in the scheduler and the
 * workers. Prints JSON. Usage:
 *   npm run bench:distributed [-- --monitors 20000 --seconds 60 --workers 1,2,4]
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { createChecker } from '../src/app/checker.ts';
import { loadConfig } from '../src/app/config.ts';
import { createNotifier } from '../src/app/notifier.ts';
import { createWatcher } from '../src/app/watcher.ts';
import { adhocTarget } from '../src/checks/adhoc.ts';
import { createRemoteProbe } from '../src/checks/remote-probe.ts';
import { DEFAULT_THRESHOLDS } from '../src/core/monitor.ts';
import type { ChatAdapter } from '../src/core/notify.ts';
import { monitorKey } from '../src/core/watch.ts';
import { createMonitorRepository } from '../src/store/monitors.ts';
import { openStore } from '../src/store/open.ts';
import { createOutboxRepository } from '../src/store/outbox.ts';
import { startBot } from '../test/support/run-isdown.ts';
import { distributedOn, dropRedisPrefix, REDIS_URL, uniquePrefix } from '../test/support/services.ts';
import { LOCAL_TARGETS } from '../test/support/settings.ts';

const { values } = parseArgs({
  options: { monitors: { type: 'string', default: '20000' }, seconds: { type: 'string', default: '60' }, interval: { type: 'string', default: '60' }, workers: { type: 'string', default: '1,2,4' } },
});
const monitors = Number(values.monitors);
const seconds = Number(values.seconds);
const intervalMs = Number(values.interval) * 1_000;
const workerCounts = values.workers.split(',').map(Number);
const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

const server = fork(new URL('./targets-process.ts', import.meta.url).pathname, ['20'], { execArgv: ['--import', 'tsx'] });
const urls = await new Promise<string[]>((resolve) => server.once('message', (m: { urls: string[] }) => resolve(m.urls)));

const prefix = uniquePrefix('bench');
const env = {
  ...distributedOn(prefix),
  ...LOCAL_TARGETS,
  ISDOWN_CHECK_CONCURRENCY: '256',
  ISDOWN_HOST_CONCURRENCY: '256',
};
const config = loadConfig(env);
const store = await openStore(config.storeUrl, { prefix });
const remote = await createRemoteProbe({ redisUrl: config.redisUrl!, prefix, regions: config.regions, waitMs: config.limits.totalTimeoutMs + 20_000 });
const checker = createChecker(config, { remote });
const silent: ChatAdapter = { platform: 'bench', post: async () => ({ id: '1', channel: 'c' }), update: async () => {}, reply: async () => ({ id: '2', channel: 'c' }) };
const repo = createMonitorRepository(store.kv, { retentionMs: config.retentionMs, lock: store.lock });
const notifier = createNotifier({ outbox: createOutboxRepository(store.kv, store.lock), adapters: new Map([['bench', silent]]), refTtlMs: config.retentionMs });
const watcher = createWatcher({ repo, notifier, ports: checker.ports, policy: checker.policy, thresholds: DEFAULT_THRESHOLDS, concurrency: 4_096, perHostConcurrency: 4_096 });

log(`adding ${monitors} monitors to Redis…`);
const addStart = performance.now();
for (let i = 0; i < monitors; i += 200) {
  await Promise.all(
    Array.from({ length: Math.min(200, monitors - i) }, (_, k) => {
      const n = i + k;
      const resolved = adhocTarget(`${urls[n % urls.length]}/?monitor=${n}`, config.policy);
      if (!resolved.ok) throw new Error(resolved.message);
      return repo.watch({ key: monitorKey(resolved.target.id, {}), target: resolved.target }, { channel: { platform: 'bench', tenant: `T${n % 50}`, channel: `C${n % 500}` }, everyMs: intervalMs, createdBy: 'U', createdAt: 0 });
    }),
  );
}
const addSeconds = (performance.now() - addStart) / 1_000;
await watcher.start();

const redis = new Redis(REDIS_URL);
const commandsProcessed = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))![1]);

/**
 * Commands the clients themselves sent, for a few seconds, from Redis's MONITOR feed: it tags the
 * commands a Lua script runs inside Redis ("[0 lua]"), and those cost no round trip. Pipelined
 * commands count one each, so this is an upper bound on round trips.
 */
async function clientCommands(ms: number): Promise<{ client: number; lua: number }> {
  // A raw connection: MONITOR floods it, and a client library's reply bookkeeping is no help here.
  const url = new URL(REDIS_URL);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  let client = 0;
  let lua = 0;
  let rest = '';
  socket.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString('latin1')).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (/^\+\d+\.\d+ \[\d+ lua\]/.test(line)) lua++;
      else if (/^\+\d+\.\d+ \[\d+ /.test(line)) client++;
    }
  });
  socket.on('error', () => {});
  socket.write('MONITOR\r\n');
  await sleep(ms);
  socket.destroy();
  return { client, lua };
}
const runs = [];
for (const count of workerCounts) {
  log(`${count} worker(s)…`);
  const workers = Array.from({ length: count }, () => startBot({ ...env }, ['worker']));
  for (const w of workers) await w.waitForErr(/taking probe jobs/, 60_000);
  // Warm-up: whatever queued while the workers changed drains first.
  await sleep(15_000);
  const before = watcher.stats();
  const cmd0 = await commandsProcessed();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1_000);
  const elapsed = (performance.now() - t0) / 1_000;
  const after = watcher.stats();
  const cmds = (await commandsProcessed()) - cmd0;
  const cpu = process.cpuUsage(cpu0);
  const checks = after.checks - before.checks;
  // A short sample after the window: MONITOR slows Redis down, so it is kept out of the numbers above.
  const sampleBefore = watcher.stats().checks;
  const sample = await clientCommands(5_000);
  const sampleChecks = watcher.stats().checks - sampleBefore;
  const lag = after.lagMs.slice(-Math.min(checks, after.lagMs.length));
  runs.push({
    workers: count,
    checksPerSecond: Math.round((checks / elapsed) * 10) / 10,
    expectedChecksPerSecond: Math.round((monitors / (intervalMs / 1_000)) * 10) / 10,
    lagMs: { p50: pct(lag, 50), p99: pct(lag, 99), max: pct(lag, 100) },
    running: after.running,
    redisCommandsPerCheck: checks ? Math.round((cmds / checks) * 10) / 10 : null,
    redisRoundTripsPerCheck: sampleChecks ? Math.round((sample.client / sampleChecks) * 10) / 10 : null,
    redisLuaCommandsPerCheck: sampleChecks ? Math.round((sample.lua / sampleChecks) * 10) / 10 : null,
    schedulerCpuMsPerCheck: checks ? Math.round(((cpu.user + cpu.system) / 1_000 / checks) * 1_000) / 1_000 : null,
  });
  log(JSON.stringify(runs.at(-1)));
  for (const w of workers) await w.kill('SIGTERM');
}

console.log(JSON.stringify({ bench: 'distributed', node: process.version, cores: (await import('node:os')).availableParallelism(), monitors, intervalSeconds: intervalMs / 1_000, addSeconds: Math.round(addSeconds * 10) / 10, windowSeconds: seconds, runs }, null, 2));

await watcher.stop();
await notifier.stop();
await checker.close();
await redis.quit();
await dropRedisPrefix(prefix);
await store.close();
server.disconnect();
process.exit(0);
