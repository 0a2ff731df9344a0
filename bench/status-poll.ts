/**
 * What reading every known status page in the background costs (ISDOWN_STATUS_POLL): `--pages`
 * fake pages served over HTTPS by another process (each under its own host name, so each read
 * makes its own connection, as 1,000 vendors' hosts would), read by the real poller through the
 * real prober, status source and SQLite store, every `--every` (ISDOWN_STATUS_TTL).
 *
 *   npm run bench:status-poll                         # 1,000 pages every 2 min, 5 % changing per period
 *   npm run bench:status-poll -- --validators none    # servers that send no ETag/Last-Modified
 *
 * The first period (the spread-out first round) is left out; the next `--periods` are measured:
 * this process's CPU (process.cpuUsage, user + system) over the window, as a share of one core
 * and per read. The page server's CPU is its own process's, not counted. Prints one JSON line.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createProber } from '../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../src/checks/ssrf.ts';
import { createStatusSource } from '../src/checks/statuspage/index.ts';
import { parseDuration } from '../src/core/duration.ts';
import type { Service } from '../src/checks/catalog/catalog.ts';
import { createVendorStatus } from '../src/app/vendor-status.ts';
import { openStore } from '../src/store/open.ts';
import { createVendorStatusRepository } from '../src/store/vendor-status.ts';
import { pageOf } from './status-pages.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '1000' },
    every: { type: 'string', default: '2m' },
    periods: { type: 'string', default: '2' },
    changing: { type: 'string', default: '0.05' },
    validators: { type: 'string', default: 'etag' },
  },
});
const PAGES = Number(values.pages);
const EVERY_MS = parseDuration(values.every) ?? 120_000;
const PERIODS = Number(values.periods);

const server = fork(new URL('./status-pages-process.ts', import.meta.url), [String(PAGES), String(EVERY_MS), values.changing, values.validators === 'none' ? 'none' : 'etag'], { execArgv: ['--import', 'tsx'] });
const { port, ca } = await new Promise<{ port: number; ca: string }>((resolve) => server.once('message', (m) => resolve(m as { port: number; ca: string })));

const dir = mkdtempSync(join(tmpdir(), 'isdown-bench-poll-'));
const store = await openStore(`sqlite://${join(dir, 'isdown.sqlite')}`);
const prober = createProber({
  policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }),
  // Every page has a host of its own, all of them here.
  resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  extraCa: [ca],
});
const source = createStatusSource({ prober, ttlMs: EVERY_MS });
const services: Service[] = Array.from({ length: PAGES }, (_, i) => {
  const p = pageOf(i);
  return { id: `p${i}`, name: `Page ${i}`, aliases: [], urls: [`https://p${i}.status.test/`], statusPage: { kind: p.kind, url: `https://p${i}.status.test:${port}${p.path}` } };
});
let failuresLogged = 0;
const vendor = createVendorStatus({
  polling: true,
  services,
  source,
  repo: createVendorStatusRepository(store.kv, 90 * 86_400_000),
  everyMs: EVERY_MS,
  now: Date.now,
  log: (l) => void (failuresLogged++ < 5 && process.stderr.write(`${l}\n`)),
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
vendor.start();
// The first round is spread over the first minute (or period): let it finish, and a period pass.
await sleep(EVERY_MS);
const before = { cpu: process.cpuUsage(), at: performance.now(), stats: vendor.poller!.stats() };
let rssMax = 0;
const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 1_000);
await sleep(EVERY_MS * PERIODS);
const cpu = process.cpuUsage(before.cpu);
const wallMs = performance.now() - before.at;
const after = vendor.poller!.stats();
clearInterval(rssTimer);
const cpuMs = (cpu.user + cpu.system) / 1_000;
const reads = after.reads - before.stats.reads;
const snapshot = await vendor.port.snapshot();
console.log(
  JSON.stringify({
    bench: 'status-poll',
    pages: PAGES,
    everyMs: EVERY_MS,
    changingPerPeriod: Number(values.changing),
    validators: values.validators,
    windowS: Math.round(wallMs / 1_000),
    reads,
    readsPerS: Math.round((reads / wallMs) * 1_000 * 10) / 10,
    notModified: after.notModified - before.stats.notModified,
    failures: after.failures - before.stats.failures,
    changes: after.changes - before.stats.changes,
    queuedAtEnd: after.queued,
    cpuMs: Math.round(cpuMs),
    cpuShareOfOneCore: Math.round((cpuMs / wallMs) * 10_000) / 100,
    cpuMsPerRead: Math.round((cpuMs / Math.max(1, reads)) * 1_000) / 1_000,
    rssMaxMB: Math.round(rssMax / 1e5) / 10,
    snapshot: snapshot ? { read: snapshot.read, services: snapshot.services, trouble: snapshot.trouble.length } : null,
  }),
);
await vendor.stop();
await prober.close();
await store.close();
server.disconnect();
rmSync(dir, { recursive: true, force: true });
