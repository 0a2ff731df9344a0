/**
 * What a request costs at a monitoring pace, with nothing of isdown around it: the floor under
 * bench:scale's "CPU per check". N requests per interval, spread over the interval by a fixed
 * phase each (as monitors are), launched in 1 s batches (the scheduler's launch slot at this rate),
 * against bench:scale's local target sites. `--phases spread` (the default) spaces each site's
 * monitors evenly, as the scheduler does; `--phases scattered` puts them at random places, as it
 * did before (some slots then hold two checks of one site, and some lulls outlast the keep-alive).
 * Two clients, each in a fresh process:
 *  - `undici`: a bare undici request on an Agent with the prober's settings;
 *  - `prober`: isdown's prober (SSRF-guarded connector, timing, body reading), no scheduler,
 *    store or verdict.
 * Prints one JSON line per client. Usage:
 *   npm run bench:floor [-- --monitors 1000 --interval 60 --sites 20 --window 120 --phases spread|scattered]
 */
import { fork } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { spreadPhase } from '../src/app/watcher.ts';
import { createProber } from '../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../src/checks/ssrf.ts';

const { values } = parseArgs({
  options: {
    monitors: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '60' },
    sites: { type: 'string', default: '20' },
    window: { type: 'string', default: '120' },
    phases: { type: 'string', default: 'spread' },
    client: { type: 'string' },
  },
});
const monitors = Number(values.monitors);
const intervalMs = Number(values.interval) * 1_000;
const windowMs = Number(values.window) * 1_000;
for (const [name, v] of Object.entries({ monitors, interval: intervalMs, window: windowMs, sites: Number(values.sites) })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
}
if (values.phases !== 'spread' && values.phases !== 'scattered') throw new Error('--phases is spread or scattered');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!values.client) {
  // The parent: the target sites, then each client in its own process, one after the other.
  const targets = fork(new URL('./gap-targets.ts', import.meta.url).pathname, [values.sites], { execArgv: ['--import', 'tsx'] });
  const urls = await new Promise<string[]>((resolve) => targets.once('message', (m: { urls: string[] }) => resolve(m.urls)));
  for (const client of ['undici', 'prober']) {
    const child = fork(new URL(import.meta.url).pathname, ['--client', client, '--monitors', values.monitors, '--interval', values.interval, '--window', values.window, '--sites', values.sites, '--phases', values.phases], {
      execArgv: process.execArgv,
      env: { ...process.env, FLOOR_URLS: JSON.stringify(urls) },
    });
    await new Promise((resolve) => child.once('exit', resolve));
  }
  targets.disconnect();
} else {
  const urls = JSON.parse(process.env.FLOOR_URLS ?? '[]') as string[];
  let once: (url: string) => Promise<void>;
  let close: () => Promise<void>;
  if (values.client === 'undici') {
    const agent = new Agent({ keepAliveTimeout: 4_000, connections: 64, headersTimeout: 10_000, bodyTimeout: 10_000 });
    once = async (url) => {
      const res = await request(url, { dispatcher: agent, headers: { 'user-agent': 'isdown-floor' } });
      await res.body.text();
    };
    close = () => agent.close();
  } else {
    const prober = createProber({ policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }) });
    once = async (url) => {
      const r = await prober.probe({ url });
      if (!r.ok) throw new Error(r.error?.message ?? 'probe failed');
    };
    close = () => prober.close();
  }
  // A fixed phase per monitor: spread as the scheduler spreads a host's monitors, or scattered as
  // a hash of each monitor's key scattered them, from a seeded generator so runs repeat.
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const phase = Array.from({ length: monitors }, (_, i) =>
    values.phases === 'spread' ? spreadPhase(`${urls[i % urls.length]} ${intervalMs}`, Math.floor(i / urls.length), intervalMs) : random() * intervalMs,
  );
  let done = 0;
  let failed = 0;
  const start = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const slot = () => {
    const t = (Date.now() - start) % intervalMs;
    for (let i = 0; i < monitors; i++) {
      const p = phase[i]!;
      if (p <= t && p > t - 1_000) {
        once(`${urls[i % urls.length]}/?m=${i}`).then(
          () => done++,
          () => failed++,
        );
      }
    }
    timer = setTimeout(slot, 1_000 - ((Date.now() - start) % 1_000));
  };
  slot();
  // One whole interval first, so every connection and code path is warm.
  await sleep(intervalMs + 5_000);
  const cpu0 = process.cpuUsage();
  const done0 = done;
  await sleep(windowMs);
  const cpu = process.cpuUsage(cpu0);
  const n = done - done0;
  clearTimeout(timer);
  await close();
  const ms = (micros: number) => Math.round((micros / 1_000 / Math.max(1, n)) * 1_000) / 1_000;
  console.log(
    JSON.stringify({
      bench: 'paced-floor',
      client: values.client,
      phases: values.phases,
      node: process.version,
      monitors,
      intervalSeconds: intervalMs / 1_000,
      sites: urls.length,
      windowSeconds: windowMs / 1_000,
      requests: n,
      failed,
      cpuMsPerRequest: ms(cpu.user + cpu.system),
      cpuSplitMsPerRequest: { user: ms(cpu.user), system: ms(cpu.system) },
    }),
  );
  process.exit(0);
}
