import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChecker } from '../../src/app/checker.ts';
import { loadConfig } from '../../src/app/config.ts';
import { singleFlight } from '../../src/checks/single-flight.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';

describe('single flight', () => {
  it('shares a call among concurrent callers with the same key, and only while it runs', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const once = singleFlight(async (x: { k: string }) => {
      calls++;
      await gate;
      return `${x.k}#${calls}`;
    }, (x) => x.k);
    const a = once({ k: 'a' });
    const b = once({ k: 'a' });
    const c = once({ k: 'c' });
    release();
    assert.deepEqual(await Promise.all([a, b, c]), ['a#2', 'a#2', 'c#2']);
    assert.equal(calls, 2);
    assert.equal(await once({ k: 'a' }), 'a#3', 'a settled call is not reused');
  });

  it('passes a failure to every waiter and forgets it', async () => {
    let calls = 0;
    const once = singleFlight(async () => {
      calls++;
      throw new Error(`boom ${calls}`);
    }, () => 'k');
    const results = await Promise.allSettled([once(undefined), once(undefined)]);
    assert.deepEqual(results.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['boom 1', 'boom 1']);
    await assert.rejects(once(undefined), /boom 2/);
  });
});

describe('the checker probes a site once for a burst of the same question', () => {
  let site: FakeTarget;
  before(async () => {
    site = await startTarget();
    site.set('/slow', { kind: 'ok', body: 'fine', delayMs: 300 });
  });
  after(() => site.close());

  it('fifty concurrent checks of one URL reach the site once; a different expect text is its own probe', async () => {
    const checker = createChecker(loadConfig({ ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any', ISDOWN_CONTROL_URLS: '' }));
    try {
      const url = `${site.url}/slow`;
      const results = await Promise.all([
        ...Array.from({ length: 50 }, () => checker.ports.probe({ url })),
        checker.ports.probe({ url, expect: 'fine' }),
      ]);
      assert.equal(site.hits.get('/slow'), 2);
      assert.ok(results.every(([r]) => r!.status === 200));
    } finally {
      await checker.close();
    }
  });
});
