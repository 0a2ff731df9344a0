/**
 * 10,000 monitors at a 60 s interval against local fake targets: add them, let the first
 * interval pass, then measure a steady window of --seconds (default 180).
 * Prints JSON: checks/s, scheduling lag p50/p99, event-loop delay, RSS and heap, time to add a
 * watch with 10,000 in place, and store growth. Usage:
 *   npm run bench:scheduler [-- --monitors 10000 --seconds 180 --interval 60]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { adhocTarget } from '../src/checks/adhoc.ts';
import { createChecker } from '../src/app/checker.ts';
import { loadConfig } from '../src/app/config.ts';
import { createNotifier } from '../src/app/notifier.ts';
import { createWatcher } from '../src/app/watcher.ts';
import { DEFAULT_THRESHOLDS } from '../src/core/monitor.ts';
import type { ChatAdapter } from '../src/core/notify.ts';
import { createMonitorRepository } from '../src/store/monitors.ts';
import { openStore } from '../src/store/open.ts';
import { createOutboxRepository } from '../src/store/outbox.ts';

const { values } = parseArgs({
  options: { monitors: { type: 'string', default: '10000' }, seconds: { type: 'string', default: '180' }, interval: { type: 'string', default: '60' }, sites: { type: 'string', default: '20' } },
});
const monitors = Number(values.monitors);
const seconds = Number(values.seconds);
const intervalMs = Number(values.interval) * 1_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10 : 0;
};

const server = fork(new URL('./targets-process.ts', import.meta.url).pathname, [values.sites], { execArgv: ['--import', 'tsx'] });
const urls = await new Promise<string[]>((resolve) => server.once('message', (m: { urls: string[] }) => resolve(m.urls)));

const dir = mkdtempSync(join(tmpdir(), 'isdown-bench-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const dbPath = join(dir, 'bench.sqlite');
// Default concurrency settings (200 in all, 4 per host): only what lets it reach local targets is changed.
const departures = { ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any', ISDOWN_CONTROL_URLS: '' };
const config = loadConfig({ ...departures, STORE_URL: `sqlite://${dbPath}` });
const store = await openStore(config.storeUrl);
const checker = createChecker(config);
let alerts = 0;
const silent: ChatAdapter = {
  platform: 'bench',
  post: async () => ({ id: String(++alerts), channel: 'c' }),
  update: async () => {},
  reply: async () => ({ id: String(++alerts), channel: 'c' }),
};
const repo = createMonitorRepository(store.kv, { retentionMs: config.retentionMs });
const notifier = createNotifier({ outbox: createOutboxRepository(store.kv), adapters: new Map([['bench', silent]]), refTtlMs: config.retentionMs });
const watcher = createWatcher({
  repo,
  notifier,
  ports: checker.ports,
  policy: checker.policy,
  thresholds: DEFAULT_THRESHOLDS,
  concurrency: config.checkConcurrency,
  perHostConcurrency: config.hostConcurrency,
});
await watcher.start();

// Add the watches the way users do, timing each.
const addMs: number[] = [];
const t0 = performance.now();
for (let i = 0; i < monitors; i++) {
  const resolved = adhocTarget(`${urls[i % urls.length]}/?monitor=${i}`, config.policy);
  if (!resolved.ok) throw new Error(resolved.message);
  const s = performance.now();
  await watcher.watch({ channel: { platform: 'bench', tenant: `T${i % 50}`, channel: `C${i % 500}` }, user: 'U', target: resolved.target, everyMs: intervalMs });
  addMs.push(performance.now() - s);
}
const addSeconds = (performance.now() - t0) / 1_000;
const lastThousand = addMs.slice(-1_000);

// Warm-up: the first interval holds every new monitor's first look; measure the steady state after it.
await new Promise((r) => setTimeout(r, intervalMs + 5_000));
const warm = watcher.stats();
const checksFrom = warm.checks;
const sizeFrom = statSync(dbPath).size;
const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const cpu0 = process.cpuUsage();
const steadyStart = performance.now();
const rssSamples: number[] = [];
const sampler = setInterval(() => rssSamples.push(process.memoryUsage().rss), 1_000);
await new Promise((r) => setTimeout(r, seconds * 1_000));
clearInterval(sampler);
loop.disable();
const steadySeconds = (performance.now() - steadyStart) / 1_000;
const cpu = process.cpuUsage(cpu0);
const end = watcher.stats();
const steadyChecks = end.checks - checksFrom;
// The latest starts, all of them from the steady window (the ring holds 50,000).
const lag = end.lagMs.slice(-Math.min(steadyChecks, end.lagMs.length));
const mem = process.memoryUsage();

console.log(
  JSON.stringify(
    {
      bench: 'scheduler',
      node: process.version,
      settings: { defaults: 'all but these', departures, checkConcurrency: config.checkConcurrency, hostConcurrency: config.hostConcurrency, sites: urls.length },
      monitors,
      intervalSeconds: intervalMs / 1_000,
      totalSeconds: Math.round((performance.now() - t0) / 1_000),
      steadySeconds: Math.round(steadySeconds),
      checksPerSecond: Math.round((steadyChecks / steadySeconds) * 10) / 10,
      expectedChecksPerSecond: Math.round((monitors / (intervalMs / 1_000)) * 10) / 10,
      lagMs: { p50: pct(lag, 50), p99: pct(lag, 99), max: pct(lag, 100), samples: lag.length, target: 'p99 < 1000' },
      skippedOverlaps: end.skippedOverlaps,
      eventLoopDelayMs: { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
      cpuMsPerCheck: Math.round(((cpu.user + cpu.system) / 1_000 / Math.max(1, steadyChecks)) * 1000) / 1000,
      rssMB: { end: Math.round(mem.rss / 1e6), max: Math.round(Math.max(...rssSamples, mem.rss) / 1e6), target: '< 300' },
      heapUsedMB: Math.round(mem.heapUsed / 1e6),
      addWatch: { seconds: Math.round(addSeconds * 10) / 10, p50Ms: pct(addMs, 50), p99Ms: pct(addMs, 99), lastThousandP99Ms: pct(lastThousand, 99), target: '< 50 at 10,000' },
      store: { bytesAfterAdding: sizeFrom, growthBytesPerHour: Math.round(((statSync(dbPath).size - sizeFrom) / steadySeconds) * 3_600) },
      alertsSent: alerts,
    },
    null,
    2,
  ),
);
await watcher.stop();
await notifier.stop();
await checker.close();
await store.close();
server.disconnect();
