import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProber, type Prober } from '../../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import { createStatusSource, type Refreshed, type StatusSource } from '../../src/checks/statuspage/index.ts';
import { createStatusPoller, type PolledService } from '../../src/checks/statuspage/poller.ts';
import type { StatusPageRef, StatusReport } from '../../src/core/types.ts';
import { StoreFailure } from '../../src/core/store-port.ts';
import { fixture } from '../fakes/statuspage.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const LAST_MODIFIED = 'Fri, 27 Nov 2026 10:00:00 GMT';

describe('conditional status page reads', () => {
  let server: FakeTarget;
  let prober: Prober;
  before(async () => {
    server = await startTarget();
    prober = createProber({ policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }) });
  });
  after(async () => {
    await prober.close();
    await server.close();
  });

  it('sends the validators back and takes a 304 as "not modified", with no body', async () => {
    server.set('/cond/api/v2/summary.json', { kind: 'ok', body: fixture('atlassian-github-minor.json'), contentType: JSON_TYPE, validators: { lastModified: LAST_MODIFIED } });
    const url = `${server.url}/cond/api/v2/summary.json`;
    const first = await prober.fetch(url);
    assert.equal(first.result.status, 200);
    assert.ok(first.validators?.etag?.startsWith('W/"'));
    assert.equal(first.validators?.lastModified, LAST_MODIFIED);
    assert.equal(first.notModified, undefined);
    const second = await prober.fetch(url, { validators: first.validators! });
    assert.equal(server.last.get('/cond/api/v2/summary.json')!.headers['if-none-match'], first.validators!.etag);
    assert.equal(second.result.ok, true);
    assert.equal(second.result.status, 304);
    assert.equal(second.notModified, true);
    assert.equal(second.body?.length ?? 0, 0);
  });

  it('without validators a 304 is not a page (it was not asked for)', async () => {
    server.set('/unasked', { kind: 'status', status: 304 });
    const r = await prober.fetch(`${server.url}/unasked`);
    assert.equal(r.result.ok, false);
    assert.equal(r.notModified, undefined);
  });

  it('refresh: the first read is a change, an unchanged page is a 304 that reuses the report, a new body is a change', async () => {
    const path = '/refresh/api/v2/summary.json';
    server.set(path, { kind: 'ok', body: fixture('atlassian-github-minor.json'), contentType: JSON_TYPE, validators: { lastModified: LAST_MODIFIED } });
    const source = createStatusSource({ prober, ttlMs: 60_000 });
    const ref: StatusPageRef = { kind: 'atlassian', url: `${server.url}${path}` };
    const a = await source.refresh(ref, 60_000);
    assert.equal(a.changed, true);
    assert.equal(a.notModified, false);
    assert.ok(a.outcome.ok);
    const b = await source.refresh(ref, 60_000);
    assert.deepEqual([b.changed, b.notModified], [false, true]);
    assert.ok(b.outcome.ok && a.outcome.ok);
    assert.deepEqual(b.outcome.report, a.outcome.report);
    // A command in between is answered from what the poller read: no request.
    const hits = server.hits.get(path);
    assert.ok((await source.read(ref)).ok);
    assert.equal(server.hits.get(path), hits);

    server.set(path, { kind: 'ok', body: fixture('atlassian-major.json'), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 11:00:00 GMT' } });
    const c = await source.refresh(ref, 60_000);
    assert.deepEqual([c.changed, c.notModified], [true, false]);
    assert.ok(c.outcome.ok);
    assert.equal(c.outcome.report.indicator, 'major');
  });

  it('a page without validators is read in full each time, and is a change only when its report differs', async () => {
    const path = '/plain/api/v2/summary.json';
    server.set(path, { kind: 'ok', body: fixture('atlassian-discord-operational.json'), contentType: JSON_TYPE });
    const source = createStatusSource({ prober, ttlMs: 60_000 });
    const ref: StatusPageRef = { kind: 'atlassian', url: `${server.url}${path}` };
    assert.equal((await source.refresh(ref, 1)).changed, true);
    const again = await source.refresh(ref, 1);
    assert.deepEqual([again.changed, again.notModified], [false, false]);
    assert.equal(server.last.get(path)!.headers['if-none-match'], undefined);
  });

  it('a feed answered 304 is read again from the kept body, against the clock', async () => {
    const path = '/cond/history.atom';
    server.set(path, { kind: 'ok', body: fixture('statuspage-history.atom'), contentType: 'application/atom+xml', validators: { lastModified: LAST_MODIFIED } });
    let now = Date.parse('2026-11-20T11:00:00Z');
    const source = createStatusSource({ prober, ttlMs: 60_000, now: () => now, feedHorizonMs: 3_600_000 });
    const ref: StatusPageRef = { kind: 'feed', url: `${server.url}${path}` };
    const a = await source.refresh(ref, 1);
    assert.ok(a.outcome.ok);
    // Far later, the same unchanged feed: its open events have passed the horizon.
    now += 30 * 86_400_000;
    const b = await source.refresh(ref, 1);
    assert.equal(b.notModified, true);
    assert.ok(b.outcome.ok);
    assert.equal(b.outcome.report.incidents.length, 0);
  });
});

const report = (indicator: StatusReport['indicator']): StatusReport => ({ provider: 'atlassian', page: 'https://status.example', indicator, description: indicator, components: [], incidents: [], maintenances: [] });

/** A status source that answers on command, counting reads in flight. */
function fakeSource() {
  const state = { active: 0, maxActive: 0, reads: new Map<string, number>(), hold: false, waiting: [] as (() => void)[], indicator: new Map<string, StatusReport['indicator']>() };
  const source: StatusSource = {
    read: () => Promise.reject(new Error('the poller refreshes; it does not read')),
    async refresh(ref): Promise<Refreshed> {
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      state.reads.set(ref.url, (state.reads.get(ref.url) ?? 0) + 1);
      if (state.hold) await new Promise<void>((r) => state.waiting.push(r));
      state.active--;
      if (ref.url.includes('broken')) return { outcome: { ok: false, reason: 'timed out' }, changed: false, notModified: false };
      return { outcome: { ok: true, report: report(state.indicator.get(ref.url) ?? 'none') }, changed: state.reads.get(ref.url) === 1, notModified: false };
    },
  };
  return { source, state };
}

const svc = (id: string, url = `https://${id}.example/api/v2/summary.json`): PolledService => ({ id, name: id, ref: { kind: 'atlassian', url } });

describe('status poller', () => {
  it('reads a page shared by several services once, and tells each service', async () => {
    const { source, state } = fakeSource();
    const told: string[] = [];
    const shared = 'https://shared.example/api/v2/summary.json';
    const poller = createStatusPoller({ source, services: [svc('a', shared), svc('b', shared), svc('c')], everyMs: 60_000, onChange: (p) => void told.push(p.service.id) });
    await poller.pollAll();
    assert.equal(state.reads.get(shared), 1);
    assert.deepEqual([...poller.latest().keys()].sort(), ['a', 'b', 'c']);
    assert.deepEqual(told.sort(), ['a', 'b', 'c']);
    assert.equal(poller.stats().pages, 2);
  });

  it('keeps at most `concurrency` reads in flight', async () => {
    const { source, state } = fakeSource();
    state.hold = true;
    const poller = createStatusPoller({ source, services: Array.from({ length: 20 }, (_, i) => svc(`s${i}`)), everyMs: 60_000, concurrency: 3 });
    const all = poller.pollAll();
    while (state.reads.size < 20) {
      await new Promise((r) => setImmediate(r));
      state.waiting.splice(0).forEach((r) => r());
    }
    state.hold = false;
    state.waiting.splice(0).forEach((r) => r());
    await all;
    assert.equal(state.maxActive, 3);
    assert.equal(poller.stats().reads, 20);
  });

  it('reads each page once a period, each at its own place in it, on its clock', async () => {
    const { source, state } = fakeSource();
    let now = 1_000_000;
    const services = Array.from({ length: 50 }, (_, i) => svc(`p${i}`));
    const poller = createStatusPoller({ source, services, everyMs: 120_000, now: () => now, random: () => 0.5 });
    poller.start();
    try {
      const firstSecond = () => [...state.reads.values()].reduce((a, b) => a + b, 0);
      // The first round is spread out (random() = 0.5 puts every page 30 s in): nothing at once.
      await new Promise((r) => setImmediate(r));
      assert.equal(firstSecond(), 0);
      const perStep: number[] = [];
      for (let t = 0; t < 3 * 120; t++) {
        now += 1_000;
        poller.tick();
        await new Promise((r) => setImmediate(r));
        perStep.push(firstSecond());
      }
      // The first read at 30 s, then at the page's own place in each 2-minute period: 3 or 4
      // reads in 6 minutes, and exactly one per page in each whole period after the first.
      for (const s of services) assert.ok([3, 4].includes(state.reads.get(s.ref.url)!), `${s.id}: ${state.reads.get(s.ref.url)}`);
      assert.equal(perStep[239]! - perStep[119]!, 50);
      assert.equal(perStep[359]! - perStep[239]!, 50);
      // After the first round the reads trickle: no second reads 50 pages at once.
      const increments = perStep.slice(31).map((v, i) => v - perStep[30 + i]!);
      assert.ok(Math.max(...increments) < 10, `${Math.max(...increments)}`);
    } finally {
      await poller.stop();
    }
  });

  it('with the jitter at its extremes, still once a period: an early read is not followed by another at once', async () => {
    const { source, state } = fakeSource();
    let now = 7_000_000;
    let flip = false;
    const services = Array.from({ length: 40 }, (_, i) => svc(`j${i}`));
    const poller = createStatusPoller({ source, services, everyMs: 120_000, now: () => now, random: () => {
      flip = !flip;
      return flip ? 0 : 0.9999;
    } });
    poller.start();
    try {
      const total = () => [...state.reads.values()].reduce((a, b) => a + b, 0);
      const at: number[] = [];
      for (let t = 0; t < 6 * 120; t++) {
        now += 1_000;
        poller.tick();
        await new Promise((r) => setImmediate(r));
        at.push(total());
      }
      // Each whole period after the first two holds one read of each page, give or take the
      // ±5 % jitter at the period's edges.
      for (const [from, to] of [[240, 360], [360, 480], [480, 600]] as const) {
        const n = at[to - 1]! - at[from - 1]!;
        assert.ok(n >= 36 && n <= 44, `${from}–${to} s: ${n} reads of 40 pages`);
      }
      assert.ok(at[719]! - at[239]! <= 4 * 40 + 4, `${at[719]! - at[239]!} reads in 4 periods`);
    } finally {
      await poller.stop();
    }
  });

  it('a change whose handling failed (the store) is handed over again at the next read, though the page is unchanged', async () => {
    const { source } = fakeSource();
    const calls: string[] = [];
    let failing = true;
    const poller = createStatusPoller({
      source,
      services: [svc('s')],
      everyMs: 60_000,
      onChange: (p) => {
        calls.push(p.service.id);
        if (failing) throw new StoreFailure('SQLITE_FULL: database or disk is full');
      },
    });
    await poller.pollAll();
    failing = false;
    await poller.pollAll();
    await poller.pollAll();
    // Read 1 changed (failed), read 2 unchanged but owed (handled), read 3 nothing.
    assert.deepEqual(calls, ['s', 's']);
  });

  it('a page that fails keeps what it said last, and "since" moves only when what it says changes', async () => {
    const { source, state } = fakeSource();
    let now = 5_000;
    const good = svc('good');
    const poller = createStatusPoller({ source, services: [good, svc('broken', 'https://broken.example/x')], everyMs: 60_000, now: () => now });
    state.indicator.set(good.ref.url, 'major');
    await poller.pollAll();
    const first = poller.latest().get('good')!;
    assert.equal(first.since, 5_000);
    now = 9_000;
    await poller.pollAll();
    assert.equal(poller.latest().get('good')!.since, 5_000);
    state.indicator.set(good.ref.url, 'none');
    now = 12_000;
    await poller.pollAll();
    assert.equal(poller.latest().get('good')!.since, 12_000);
    assert.equal(poller.latest().get('broken')!.outcome.ok, false);
    assert.equal(poller.stats().failures, 3);
  });
});
