import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { gatherPage } from '../../src/app/status-page.ts';
import { loadConfig } from '../../src/app/config.ts';
import { clockFormat } from '../../src/core/incident.ts';
import { DAY_MS, dayOf } from '../../src/core/rollup.ts';
import { renderStatusPage } from '../../src/core/status-page.ts';
import { StoreFailure, type KeyValue } from '../../src/core/store-port.ts';
import type { ProbeResult } from '../../src/core/types.ts';
import { monitorKey, type ChannelRef } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { createPageRepository } from '../../src/store/pages.ts';
import { createRollupRepository } from '../../src/store/rollups.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';

const A: ChannelRef = { platform: 'slack', tenant: 'T1', channel: 'CA' };
const B: ChannelRef = { platform: 'slack', tenant: 'T2', channel: 'CB' };

function target(url: string) {
  const r = adhocTarget(url, makePolicy());
  if (!r.ok) throw new Error(r.message);
  return r.target;
}

/** A store whose rollup writes fail while `failing` is set (a full disk, say). */
function flakyRollupStore(kv: KeyValue) {
  const flags: { failing: boolean; only?: (key: string) => boolean } = { failing: false };
  const wrapped: KeyValue = {
    get: (k) => kv.get(k),
    has: (k) => kv.has(k),
    delete: (k) => kv.delete(k),
    async set(k, v, ttl) {
      if (flags.failing && k.startsWith('rollup:') && (!flags.only || flags.only(k))) throw new StoreFailure('SQLITE_FULL: database or disk is full');
      return kv.set(k, v, ttl);
    },
  };
  return { kv: wrapped, flags };
}

async function setUp() {
  let clock = Date.UTC(2026, 10, 27, 9, 0);
  const now = () => clock;
  const kv = memoryStore();
  const flaky = flakyRollupStore(kv);
  const repo = createMonitorRepository(kv, { retentionMs: 90 * DAY_MS, now });
  const rollups = createRollupRepository(flaky.kv, { retentionMs: 90 * DAY_MS, now });
  let down = false;
  const probe = async (req: { url: string }): Promise<ProbeResult[]> =>
    down ? [{ ...answered(req.url, clock)[0]!, ok: false, status: 503, error: { code: 'http_5xx', message: '503' } }] : answered(req.url, clock);
  const make = () => bareScheduler({ repo, probe, concurrency: 4, perHostConcurrency: 4, now, rollups });
  /** A started scheduler whose channel A watches one site. */
  const watchOne = async (url: string, everyMs = 60_000) => {
    const site = target(url);
    const watcher = make();
    await watcher.watch({ channel: A, user: 'U', target: site, everyMs });
    await watcher.start();
    return { site, key: monitorKey(site.id, {}), watcher };
  };
  return {
    watchOne,
    kv,
    flaky,
    repo,
    make,
    now,
    advance: (ms: number) => (clock += ms),
    setDown: (d: boolean) => (down = d),
  };
}

describe('rollups from the scheduler', () => {
  it('count every round, survive a restart, and are kept while the store refuses them', async () => {
    const t = await setUp();
    const first = await t.watchOne('https://shop.example/');
    const { site, key } = first;
    let watcher = first.watcher;
    for (let i = 0; i < 10; i++) {
      t.setDown(i >= 4 && i < 7);
      await watcher.checkNow(key);
      t.advance(60_000);
    }
    const before = (await watcher.uptime(A, site.id, t.now() - DAY_MS))[0]!;
    const today = before.days.get(dayOf(t.now()))!;
    assert.deepEqual([today.total.checks, today.total.failures], [10, 3], 'nothing written yet, but the answer counts it');
    assert.equal(before.incidents.length, 1, 'the three failing rounds opened an incident');
    // The store refuses the write at shutdown: the counts stay in memory and go at the next try.
    t.flaky.flags.failing = true;
    await watcher.stop();
    assert.equal((await createRollupRepository(t.kv, { retentionMs: 90 * DAY_MS, now: t.now }).days(key, dayOf(t.now()), dayOf(t.now()))).size, 0, 'the failed write was not taken as done');
    t.flaky.flags.failing = false;
    await watcher.stop();
    const stored = await createRollupRepository(t.kv, { retentionMs: 90 * DAY_MS, now: t.now }).days(key, dayOf(t.now()), dayOf(t.now()));
    assert.deepEqual([stored.get(dayOf(t.now()))!.total.checks, stored.get(dayOf(t.now()))!.total.failures], [10, 3]);
    // A new process reads them from the store, and adds its own.
    watcher = t.make();
    await watcher.start();
    await watcher.checkNow(key);
    const after = (await watcher.uptime(A, site.id, t.now() - DAY_MS))[0]!;
    assert.equal(after.days.get(dayOf(t.now()))!.total.checks, 11);
    await watcher.stop();
  });

  it('never count an hour twice when a write of several days half succeeds', async () => {
    const t = await setUp();
    const { key, watcher } = await t.watchOne('https://midnight.example/');
    t.advance(Date.UTC(2026, 10, 27, 23, 50) - t.now());
    const before = dayOf(t.now());
    t.flaky.flags.failing = true;
    // Ten minutes before midnight and twenty after: two days owed, the store refusing both.
    for (let i = 0; i < 30; i++) {
      await watcher.checkNow(key);
      t.advance(60_000);
    }
    // Now only the second day's write fails: the first is written, the second stays owed.
    t.flaky.flags.only = (k) => k.endsWith(`:${before + 1}`);
    await watcher.checkNow(key);
    t.advance(60_000);
    t.flaky.flags.failing = false;
    await watcher.stop();
    const stored = await createRollupRepository(t.kv, { retentionMs: 90 * DAY_MS, now: t.now }).days(key, before, before + 1);
    assert.deepEqual([stored.get(before)?.total.checks, stored.get(before + 1)?.total.checks], [10, 21], 'each check counted once');
  });

  it('write an hour at its end, not once a check', async () => {
    const t = await setUp();
    const { key, watcher } = await t.watchOne('https://hourly.example/', 30_000);
    let writes = 0;
    const rollupKey = `rollup:${key}:${dayOf(t.now())}`;
    for (let i = 0; i < 25; i++) {
      const had = JSON.stringify(await t.kv.get(rollupKey));
      await watcher.checkNow(key);
      if (JSON.stringify(await t.kv.get(rollupKey)) !== had) writes++;
      t.advance(30_000);
    }
    // 25 rounds over 12 minutes: one write, once ten minutes are gathered.
    assert.equal(writes, 1, `${writes} writes for 25 checks`);
    await watcher.stop();
  });
});

describe('per-monitor metrics', () => {
  it('are off unless ISDOWN_METRICS_PER_MONITOR=true: their number grows with the watches', () => {
    assert.equal(loadConfig({}).metricsPerMonitor, false);
    assert.equal(loadConfig({ ISDOWN_METRICS_PER_MONITOR: 'true' }).metricsPerMonitor, true);
    assert.throws(() => loadConfig({ ISDOWN_METRICS_PER_MONITOR: 'yes' }), /ISDOWN_METRICS_PER_MONITOR/);
  });
});

describe("a channel's status page", () => {
  it("shows that channel's watches only, trouble first, with 90 daily bars and open incidents", async () => {
    const t = await setUp();
    const mine = target('https://mine.example/');
    const theirs = target('https://theirs.example/');
    const watcher = t.make();
    await watcher.watch({ channel: A, user: 'U', target: mine, everyMs: 60_000 });
    await watcher.watch({ channel: B, user: 'V', target: theirs, everyMs: 60_000 });
    await watcher.start();
    t.setDown(true);
    for (let i = 0; i < 4; i++) {
      await watcher.checkNow(monitorKey(mine.id, {}));
      await watcher.checkNow(monitorKey(theirs.id, {}));
      t.advance(60_000);
    }
    const data = await gatherPage({ pages: createPageRepository(t.kv), watcher, now: t.now, clock: clockFormat() }, A);
    assert.deepEqual(data.watches.map((w) => w.service), ['mine.example']);
    const [w] = data.watches;
    assert.equal(w!.state, 'down');
    assert.equal(w!.days.length, 90);
    assert.equal(w!.days.at(-1)!.state, 'down');
    assert.equal(w!.days.at(-2)!.state, 'none');
    assert.equal(w!.openIncidents.length, 1);
    assert.match(w!.openIncidents[0]!.story, /Down/);
    const html = renderStatusPage(data);
    assert.match(html, /<html lang="en">/);
    assert.match(html, /1 of 1 service has problems/);
    assert.ok(!html.includes('theirs.example'), "another tenant's watch is not on the page");
    assert.ok(!/<script/i.test(html), 'no script');
    await watcher.stop();
  });
});
