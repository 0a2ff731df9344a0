import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheCrowd } from '../../src/app/crowd-cache.ts';
import type { CrowdPort } from '../../src/core/bot.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createReportRepository } from '../../src/store/reports.ts';

describe("other teams' reports, read once per service every few seconds", () => {
  function counting() {
    let reads = 0;
    let reports = 0;
    let failNext = false;
    const port: CrowdPort = {
      add: async () => {
        reports++;
        return { accepted: true };
      },
      summary: async () => {
        reads++;
        if (failNext) {
          failNext = false;
          throw new Error('store down');
        }
        return { reports, teams: reports, windowMs: 3_600_000 };
      },
    };
    return { port, reads: () => reads, failOnce: () => (failNext = true) };
  }

  it('serves checks from memory within the TTL, and a report made here shows at once', async () => {
    let t = 0;
    const store = counting();
    const crowd = cacheCrowd(store.port, { ttlMs: 5_000, now: () => t });
    for (let i = 0; i < 100; i++) await crowd.summary('github', t);
    assert.equal(store.reads(), 1);
    await crowd.summary('gitlab', t);
    assert.equal(store.reads(), 2, 'per service');
    await crowd.add('github', 'T1', 'U1', t);
    assert.equal((await crowd.summary('github', t)).reports, 1, 'the report is counted at once');
    t += 5_000;
    await crowd.summary('github', t);
    assert.equal(store.reads(), 4, 'read again after the TTL');
  });

  it('keeps no failed read: the next check asks the store again', async () => {
    const store = counting();
    const crowd = cacheCrowd(store.port, { ttlMs: 5_000, now: () => 0 });
    store.failOnce();
    await assert.rejects(crowd.summary('github', 0), /store down/);
    assert.equal((await crowd.summary('github', 0)).reports, 0);
    assert.equal(store.reads(), 2);
  });

  it('when no one has reported for half an hour, checks of every service are answered by one shared read', async () => {
    let t = 10 * 3_600_000;
    // A store an earlier version wrote: it has its hash key, and may hold reports, but not the time of the latest.
    const kv = memoryStore();
    await kv.set('meta:user-hash-key', 'made-by-an-earlier-version');
    const repo = await createReportRepository(kv, undefined, () => t);
    let perService = 0;
    let latestReads = 0;
    const port: CrowdPort = {
      add: (...a) => repo.add(...a),
      summary: (id, now) => (perService++, repo.summary(id, now)),
      latest: () => (latestReads++, repo.latest()),
    };
    // The store met this code at t0 (its "latest" until a report is made): reports made before it
    // count for a whole window, so services are read one by one until then.
    const crowd = cacheCrowd(port, { ttlMs: 5_000, now: () => t });
    await crowd.summary('github', t);
    assert.equal(perService, 1, 'within the window of the first start, each service is read');
    t += 31 * 60_000;
    for (let i = 0; i < 200; i++) assert.deepEqual(await crowd.summary(`service-${i}`, t), { reports: 0, teams: 0, windowMs: 30 * 60_000 });
    assert.equal(perService, 1, 'no per-service read once nothing is recent');
    assert.equal(latestReads, 2, 'one shared read of the latest report per TTL');

    // A report made here counts at once; one made by another process, within the TTL.
    assert.deepEqual(await crowd.add('github', 'T1', 'U1', t), { accepted: true });
    assert.equal((await crowd.summary('github', t)).reports, 1);
    t += 31 * 60_000;
    assert.equal((await crowd.summary('gitlab', t)).reports, 0);
    const before = perService;
    await repo.add('gitlab', 'T2', 'U2', t);
    assert.equal((await crowd.summary('gitlab', t)).reports, 0, 'the shared read is kept for its TTL');
    t += 5_000;
    assert.equal((await crowd.summary('gitlab', t)).reports, 1, 'seen after the TTL');
    assert.ok(perService > before);
  });

  it('reads service by service when the store cannot say when the latest report was', async () => {
    const store = counting();
    const crowd = cacheCrowd({ ...store.port, latest: async () => undefined }, { ttlMs: 5_000, now: () => 0 });
    await crowd.summary('a', 0);
    await crowd.summary('b', 0);
    assert.equal(store.reads(), 2);
  });

  it('a new store has had no report, ever: no check reads a service\'s reports until one is made', async () => {
    const t = 10 * 3_600_000;
    const repo = await createReportRepository(memoryStore(), undefined, () => t);
    assert.equal(await repo.latest(), 0);
    let perService = 0;
    const crowd = cacheCrowd({ add: (...a) => repo.add(...a), summary: (id, now) => (perService++, repo.summary(id, now)), latest: () => repo.latest() }, { ttlMs: 5_000, now: () => t });
    for (let i = 0; i < 50; i++) await crowd.summary(`service-${i}`, t);
    assert.equal(perService, 0);
    await crowd.add('github', 'T1', 'U1', t);
    assert.equal((await crowd.summary('github', t)).reports, 1, 'the first report counts at once');
  });

  it('keeps the time of the latest report moving forward only', async () => {
    const kv = memoryStore();
    await kv.set('meta:user-hash-key', 'made-by-an-earlier-version');
    const repo = await createReportRepository(kv, undefined, () => 1_000);
    assert.equal(await repo.latest(), 1_000, 'on a store an earlier version wrote, the first start stands in until a report is made');
    await repo.add('a', 'T1', 'U1', 5_000);
    await repo.add('b', 'T1', 'U2', 3_000);
    assert.equal(await repo.latest(), 5_000, 'a report that arrives late does not move it back');
  });
});
