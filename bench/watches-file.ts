/**
 * How long a watches file of N entries takes to apply on the embedded store: the first time (all
 * added), again unchanged (nothing written), and after every tenth entry's interval changed.
 * Prints one JSON line. Usage: npm run bench:watches-file [-- --entries 10000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/app/config.ts';
import { startRuntime } from '../src/app/runtime.ts';
import { applyWatches } from '../src/app/watches-file.ts';
import type { ChatAdapter } from '../src/core/notify.ts';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '10000' } } });
const entries = Number(values.entries);
const dir = mkdtempSync(join(tmpdir(), 'isdown-watches-file-'));
// Targets on a port nothing listens on: the checks that follow each add fail fast and stay local.
const departures = { ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any', ISDOWN_CONTROL_URLS: '', ISDOWN_STATUS_POLL: 'off' };
const config = loadConfig({ ...departures, STORE_URL: `sqlite://${join(dir, 'isdown.sqlite')}` });
const silent: ChatAdapter = { platform: 'console', post: async () => ({ id: 'm', channel: 'c' }), update: async () => {}, reply: async () => ({ id: 'r', channel: 'c' }) };
const runtime = await startRuntime(config, { adapters: [silent], storeRetry: 'never' });
const deps = { watcher: runtime.watcher!, resolve: runtime.checker.resolve, minIntervalMs: config.minIntervalMs, platforms: new Set(['console']) };

const file = (slow: (i: number) => boolean) =>
  `watches:\n  console:\n${Array.from({ length: entries }, (_, i) => `    - target: http://127.0.0.1:9/?m=${i}\n      every: ${slow(i) ? '10m' : '5m'}\n`).join('')}`;
const timed = async (text: string) => {
  const t0 = performance.now();
  const report = await applyWatches(text, deps);
  return { seconds: Math.round((performance.now() - t0) / 100) / 10, added: report.added, changed: report.changed, unchanged: report.unchanged, problems: report.problems.length };
};

const first = await timed(file(() => false));
const again = await timed(file(() => false));
const tenthChanged = await timed(file((i) => i % 10 === 0));
console.log(JSON.stringify({ bench: 'watches-file', node: process.version, store: 'sqlite', settings: { defaults: 'all but these', departures }, entries, first, again, tenthChanged, target: 'first < 60 s at 10,000' }));
await runtime.close();
rmSync(dir, { recursive: true, force: true });
