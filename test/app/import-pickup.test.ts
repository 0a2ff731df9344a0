import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followImports, markImported } from '../../src/app/import-pickup.ts';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { StoreFailure, type KeyValue } from '../../src/core/store-port.ts';
import { monitorKey, type MonitorRecord } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository, type MonitorRepository } from '../../src/store/monitors.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';

const T = Date.UTC(2026, 11, 7, 12, 0, 0);
const channel = { platform: 'console', tenant: 'local', channel: 'console' };

function spec(path: string) {
  const r = adhocTarget(`https://example.com/${path}`, makePolicy());
  if (!r.ok) throw new Error(r.message);
  return { key: monitorKey(r.target.id, {}), target: r.target };
}
const watchOf = (everyMs: number) => ({ channel, everyMs, createdBy: 'U', createdAt: T });

describe('a running scheduler picking up what another process wrote', () => {
  it('reconcile schedules what is new, drops what is gone, takes what changed, and counts each', async () => {
    const kv = memoryStore();
    // Two repositories over one store: the bot's and an import's.
    const bot = createMonitorRepository(kv, { retentionMs: 86_400_000, now: () => T });
    const other = createMonitorRepository(kv, { retentionMs: 86_400_000, now: () => T });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(spec) as [ReturnType<typeof spec>, ReturnType<typeof spec>, ReturnType<typeof spec>, ReturnType<typeof spec>];
    await bot.watch(a, watchOf(60_000));
    await bot.watch(b, watchOf(60_000));
    const watcher = bareScheduler({ repo: bot, probe: async (req) => answered(req.url, T), concurrency: 10, perHostConcurrency: 10, now: () => T });
    await watcher.start();
    assert.equal(watcher.stats().monitors, 2);
    assert.deepEqual(await watcher.reconcile(), { added: 0, removed: 0, changed: 0 }, 'nothing to do when nothing changed');

    await other.watch(c, watchOf(60_000));
    await other.watch(d, watchOf(60_000));
    await other.unwatch(a.key, channel);
    await other.watch(b, watchOf(30_000));
    assert.deepEqual(await watcher.reconcile(), { added: 2, removed: 1, changed: 1 });
    assert.equal(watcher.stats().monitors, 3);
    assert.deepEqual(await watcher.reconcile(), { added: 0, removed: 0, changed: 0 });
    await watcher.stop();
  });

  it('a watch made here while the list was being read is not undone by the older list', async () => {
    const stored = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000, now: () => T });
    const stale: { list?: MonitorRecord[] } = {};
    const repo: MonitorRepository = { ...stored, all: async () => stale.list ?? stored.all() };
    const watcher = bareScheduler({ repo, probe: async (req) => answered(req.url, T), concurrency: 10, perHostConcurrency: 10, now: () => T });
    await watcher.start();
    stale.list = await stored.all();
    const url = 'https://example.com/new';
    const r = adhocTarget(url, makePolicy());
    if (!r.ok) throw new Error(r.message);
    await watcher.watch({ channel, user: 'U', target: r.target, everyMs: 60_000 });
    assert.deepEqual(await watcher.reconcile(), { added: 0, removed: 0, changed: 0 });
    assert.equal(watcher.stats().monitors, 1, 'the new watch is still scheduled');
    await watcher.stop();
  });
});

describe('the import mark', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('an import that ended before the bot started is not news; each later one is news once', async () => {
    const kv = memoryStore();
    await markImported(kv, T);
    let heard = 0;
    const pickup = await followImports(kv, { everyMs: 10, onImport: async () => void heard++, log: () => {} });
    try {
      await tick(60);
      assert.equal(heard, 0);
      await markImported(kv, T + 1);
      await tick(60);
      assert.equal(heard, 1);
      await markImported(kv, T + 2);
      await markImported(kv, T + 3);
      await tick(60);
      assert.equal(heard, 2, 'two imports between two looks are one reconcile');
    } finally {
      pickup.stop();
    }
  });

  it('a reconcile the store interrupted runs again; a store that fails to answer is said once', async () => {
    const inner = memoryStore();
    let failing = false;
    const kv: KeyValue = { ...inner, get: (k) => (failing ? Promise.reject(new StoreFailure('SQLITE_BUSY: database is locked', 'read')) : inner.get(k)) };
    const logged: string[] = [];
    let attempts = 0;
    let done = 0;
    const pickup = await followImports(kv, {
      everyMs: 10,
      onImport: async () => {
        if (++attempts === 1) throw new StoreFailure('timed out after 5 s', 'read');
        done++;
      },
      log: (l) => logged.push(l),
    });
    try {
      await markImported(inner, T);
      await tick(80);
      assert.equal(done, 1, 'tried again after the first failed');
      failing = true;
      await tick(80);
      failing = false;
      await markImported(inner, T + 1);
      await tick(80);
      assert.equal(done, 2);
      assert.equal(logged.filter((l) => /could not pick up imported watches \(the store is failing \(SQLITE_BUSY/.test(l)).length, 1, logged.join('\n'));
    } finally {
      pickup.stop();
    }
  });
});
