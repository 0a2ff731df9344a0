/**
 * Probe throughput against a local fake target, beside a bare undici request loop on the same
 * target (the ceiling). Prints JSON. Usage: npm run bench:probe [-- --concurrency 50 --seconds 5]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { createProber } from '../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../src/checks/ssrf.ts';
import { fork } from 'node:child_process';

const { values } = parseArgs({ options: { concurrency: { type: 'string', default: '50' }, seconds: { type: 'string', default: '5' } } });
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

async function loop(name: string, once: () => Promise<void>) {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1_000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const s = performance.now();
        await once();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    perSecond: Math.round(latencies.length / elapsed),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
    cpuMsPerRequest: Number(((cpu.user + cpu.system) / 1_000 / latencies.length).toFixed(3)),
  };
}

// The target runs in its own process: on 2 cores the client then has one to itself.
const server = fork(new URL('./target-process.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
const targetUrl = await new Promise<string>((resolve) => server.once('message', (m: { url: string }) => resolve(m.url)));
const url = `${targetUrl}/ok`;

const agent = new Agent({ connections: 64, keepAliveTimeout: 4_000 });
const bare = await loop('bare undici request', async () => {
  const res = await request(url, { dispatcher: agent });
  await res.body.text();
  if (res.statusCode !== 200) throw new Error(`unexpected ${res.statusCode}`);
});
await agent.close();

const prober = createProber({ policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }) });
const probe = await loop('isdown probe', async () => {
  const r = await prober.probe({ url, expect: 'good' });
  if (!r.ok) throw new Error(`probe failed: ${r.error?.message}`);
});
await prober.close();
server.disconnect();

const costPercent = Number((100 * (1 - probe.perSecond / bare.perSecond)).toFixed(1));
console.log(JSON.stringify({ bench: 'probe', concurrency, seconds, node: process.version, bare, probe, probeCostPercentOfCeiling: costPercent, target: '< 20' }, null, 2));
