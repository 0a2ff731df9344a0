import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheCrowd } from '../../src/app/crowd-cache.ts';
import type { CrowdPort } from '../../src/core/bot.ts';

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
});
