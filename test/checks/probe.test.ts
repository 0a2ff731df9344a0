import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProber, type Prober } from '../../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import { testPki } from '../fakes/certs.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';

const loopbackOnly = makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' });
const fastLimits = { connectTimeoutMs: 1_000, headersTimeoutMs: 500, totalTimeoutMs: 1_500 };

describe('HTTP probe against a fake target', () => {
  let target: FakeTarget;
  let prober: Prober;
  before(async () => {
    target = await startTarget();
    prober = createProber({ policy: loopbackOnly, limits: fastLimits, region: 'test' });
  });
  after(async () => {
    await prober.close();
    await target.close();
  });

  it('answers 200 with the latency split and bytes read', async () => {
    const r = await prober.probe({ url: `${target.url}/ok` });
    assert.equal(r.ok, true);
    assert.equal(r.status, 200);
    assert.equal(r.statusText, 'OK');
    assert.equal(r.bytesRead, 'all good'.length);
    assert.equal(r.region, 'test');
    assert.equal(r.error, undefined);
    for (const k of ['dns', 'connect', 'firstByte', 'total'] as const) assert.ok(Number.isFinite(r.latency[k]) && r.latency[k] >= 0, k);
    assert.ok(r.latency.total >= r.latency.firstByte);
  });

  it('measures the wait for the first byte: a server that pauses 150 ms before answering shows it there', async () => {
    target.set('/slow-head', { kind: 'ok', body: 'late', delayMs: 150 });
    const r = await prober.probe({ url: `${target.url}/slow-head` });
    assert.equal(r.ok, true);
    // A lower bound only: the server waited that long, so no honest measurement can be shorter.
    assert.ok(r.latency.firstByte >= 140, `first byte after ${r.latency.firstByte} ms`);
    assert.ok(r.latency.total >= r.latency.firstByte);
    assert.ok(r.latency.connect < r.latency.firstByte, 'connecting is not where the wait went');
  });

  it('reads status codes by the default policy: walls and challenges answer, 429 is a rate limit, other 4xx and 5xx fail', async () => {
    const cases: [string, number, Record<string, string> | undefined, { ok: boolean; refusal?: string; code?: string }][] = [
      ['/s401', 401, undefined, { ok: true, refusal: 'auth' }],
      ['/s403', 403, undefined, { ok: true, refusal: 'auth' }],
      ['/s407', 407, undefined, { ok: true, refusal: 'auth' }],
      ['/s429', 429, { 'retry-after': '30' }, { ok: true, refusal: 'rate_limited' }],
      ['/cf403', 403, { 'cf-mitigated': 'challenge' }, { ok: true, refusal: 'challenge' }],
      ['/cf503', 503, { 'cf-mitigated': 'challenge' }, { ok: true, refusal: 'challenge' }],
      ['/waf', 405, { 'x-amzn-waf-action': 'captcha' }, { ok: false, code: 'http_4xx' }],
      ['/s404', 404, undefined, { ok: false, code: 'http_4xx' }],
      ['/s410', 410, undefined, { ok: false, code: 'http_4xx' }],
      ['/s418', 418, undefined, { ok: false, code: 'http_4xx' }],
      ['/s500', 500, undefined, { ok: false, code: 'http_5xx' }],
      ['/s204', 204, undefined, { ok: true }],
      ['/s304', 304, undefined, { ok: true }],
    ];
    for (const [path, status, headers, want] of cases) {
      target.set(path, { kind: 'status', status, body: 'x', ...(headers ? { headers } : {}) });
      // A wall's page is not the site's: text checks do not apply to it.
      const r = await prober.probe({ url: `${target.url}${path}`, ...(want.refusal ? { expect: 'text that is not there' } : {}) });
      assert.equal(r.status, status, path);
      assert.equal(r.ok, want.ok, path);
      assert.equal(r.refusal, want.refusal, path);
      assert.equal(r.error?.code, want.code, path);
    }
  });

  it('a status list replaces the default reading entirely', async () => {
    target.set('/only401', { kind: 'status', status: 401, body: 'login' });
    const accepted = await prober.probe({ url: `${target.url}/only401`, acceptStatus: [[200, 299], [401, 401]] });
    assert.deepEqual([accepted.ok, accepted.refusal], [true, undefined]);
    const notListed = await prober.probe({ url: `${target.url}/ok`, acceptStatus: [[201, 201]] });
    assert.equal(notListed.ok, false);
    assert.equal(notListed.error?.code, 'http_status');
    assert.equal(notListed.error?.message, '200 OK, not an accepted status (201)');
    const wall = await prober.probe({ url: `${target.url}/only401`, acceptStatus: [[200, 299]] });
    assert.equal(wall.error?.code, 'http_4xx');
  });

  it('marks a kept-alive connection as reused, with no connect time', async () => {
    await prober.probe({ url: `${target.url}/ok` });
    const r = await prober.probe({ url: `${target.url}/ok` });
    assert.equal(r.reusedConnection, true);
    assert.equal(r.latency.connect, 0);
  });

  it('calls a 503 down with its status line', async () => {
    const r = await prober.probe({ url: `${target.url}/503` });
    assert.equal(r.ok, false);
    assert.equal(r.status, 503);
    assert.deepEqual(r.error, { code: 'http_5xx', message: '503 Service Unavailable' });
  });

  it('reports a 4xx instead of calling it up', async () => {
    const r = await prober.probe({ url: `${target.url}/404` });
    assert.equal(r.error?.code, 'http_4xx');
  });

  it('times out a server that never sends headers', async () => {
    const r = await prober.probe({ url: `${target.url}/hang` });
    assert.equal(r.error?.code, 'timeout');
    assert.match(r.error!.message, /no response within 0.5 s/);
  });

  it('a body that trickles past the total deadline: it answers, slowly (not a timeout, not down)', async () => {
    const r = await prober.probe({ url: `${target.url}/trickle` });
    assert.equal(r.status, 200);
    assert.equal(r.ok, true);
    assert.equal(r.slowBody, true);
    assert.equal(r.error, undefined);
    assert.ok(r.bytesRead > 0, 'some of the page arrived');
    // The same trickle with a status that is not accepted is still a failure.
    const strict = await prober.probe({ url: `${target.url}/trickle`, acceptStatus: [[204, 204]] });
    assert.equal(strict.ok, false);
  });

  it('finds forbidden text on a 200 page', async () => {
    const r = await prober.probe({ url: `${target.url}/down-page`, forbid: 'is currently down' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.error, { code: 'forbidden_text', message: 'the page says "is currently down"' });
  });

  it('fails when expected text is missing and passes when present', async () => {
    const missing = await prober.probe({ url: `${target.url}/`, expect: 'Sign in' });
    assert.equal(missing.error?.code, 'expect_missing');
    const present = await prober.probe({ url: `${target.url}/`, expect: 'welcome to the EXAMPLE site' });
    assert.equal(present.ok, true);
  });

  it('follows a redirect and records the hop', async () => {
    const r = await prober.probe({ url: `${target.url}/hop` });
    assert.equal(r.ok, true);
    assert.equal(r.finalUrl, `${target.url}/ok`);
    assert.deepEqual(r.redirects, [`${target.url}/hop`]);
  });

  it('stops a redirect loop', async () => {
    const r = await prober.probe({ url: `${target.url}/loop` });
    assert.equal(r.error?.code, 'redirect_loop');
  });

  it('stops after the redirect limit', async () => {
    for (let i = 0; i < 8; i++) target.set(`/chain${i}`, { kind: 'redirect', to: `/chain${i + 1}` });
    const r = await prober.probe({ url: `${target.url}/chain0` });
    assert.equal(r.error?.code, 'redirect_loop');
    assert.match(r.error!.message, /more than 5 redirects/);
    assert.equal(target.hits.get('/chain6'), undefined);
  });

  it('refuses a redirect to the metadata address without following it', async () => {
    const r = await prober.probe({ url: `${target.url}/to-private` });
    assert.equal(r.error?.code, 'blocked');
    assert.match(r.error!.message, /private addresses/);
  });

  it('refuses a redirect to another loopback address the operator did not allow', async () => {
    const r = await prober.probe({ url: `${target.url}/to-loopback` });
    assert.equal(r.error?.code, 'blocked');
  });

  it('reads a 10 MB body only up to the cap, and that is not a failure', async () => {
    const r = await prober.probe({ url: `${target.url}/big` });
    assert.equal(r.ok, true);
    assert.equal(r.bytesRead, 256 * 1024);
    assert.equal(r.truncated, true);
  });

  it('classifies a reset connection', async () => {
    const r = await prober.probe({ url: `${target.url}/reset` });
    assert.equal(r.error?.code, 'reset');
  });

  it('classifies a refused connection', async () => {
    const closed = await startTarget();
    const url = closed.url;
    await closed.close();
    const r = await prober.probe({ url: `${url}/ok` });
    assert.equal(r.error?.code, 'refused');
  });

  it('classifies a name that does not resolve', async () => {
    const p = createProber({
      policy: loopbackOnly,
      resolve: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
      },
    });
    const r = await p.probe({ url: 'https://no-such-name.example/' });
    await p.close();
    assert.deepEqual(r.error, { code: 'dns', message: 'the name does not resolve (no such domain)' });
  });
});

describe('SSRF at connect time', () => {
  let target: FakeTarget;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  it('refuses a public-looking name that resolves to 10.0.0.1', async () => {
    const p = createProber({ policy: makePolicy({ ports: 'any' }), resolve: async () => [{ address: '10.0.0.1', family: 4 }] });
    const r = await p.probe({ url: 'http://innocent.example/' });
    await p.close();
    assert.equal(r.error?.code, 'blocked');
    assert.equal(r.status, undefined);
  });

  it('refuses a name that resolves to a real local server, which sees no request', async () => {
    const p = createProber({ policy: makePolicy({ ports: 'any' }), resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    const r = await p.probe({ url: `http://rebind.example:${target.port}/ok` });
    await p.close();
    assert.equal(r.error?.code, 'blocked');
    assert.equal(target.hits.get('/ok'), undefined);
  });

  it('refuses when any resolved address is private, even beside a public one', async () => {
    const p = createProber({
      policy: makePolicy({ ports: 'any' }),
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '::ffff:127.0.0.1', family: 6 },
      ],
    });
    const r = await p.probe({ url: 'http://mixed.example/' });
    await p.close();
    assert.equal(r.error?.code, 'blocked');
  });

  it('refuses a redirect to 127.0.0.1 when only the first hop is allowed', async () => {
    const p = createProber({
      policy: makePolicy({ ports: 'any', allow: parseCidrList('127.0.0.1/32') }),
      resolve: async (host) => (host === 'public.example' ? [{ address: '127.0.0.1', family: 4 }] : []),
    });
    // The fake answers for public.example via the injected resolver, then points at loopback by name.
    target.set('/to-localhost', { kind: 'redirect', to: `http://localhost:${target.port}/ok` });
    const r = await p.probe({ url: `http://public.example:${target.port}/to-localhost` });
    await p.close();
    assert.equal(r.error?.code, 'blocked');
    assert.equal(target.hits.get('/to-localhost'), 1);
    assert.equal(target.hits.get('/ok'), undefined);
  });
});

describe('TLS failures say whose fault it is', () => {
  const pki = testPki();
  const cases = [
    { name: 'valid', pair: pki.valid, code: undefined, message: undefined },
    { name: 'expired', pair: pki.expired, code: 'tls', message: /has expired/ },
    { name: 'self-signed', pair: pki.selfSigned, code: 'tls', message: /self-signed/ },
    { name: 'wrong host', pair: pki.wrongHost, code: 'tls', message: /another host name/ },
  ] as const;
  for (const c of cases) {
    it(`${c.name} certificate`, async () => {
      const target = await startTarget({ tls: c.pair });
      const p = createProber({ policy: loopbackOnly, limits: fastLimits, extraCa: [pki.ca] });
      try {
        const r = await p.probe({ url: `${target.url}/ok` });
        assert.equal(r.error?.code, c.code);
        if (c.message) assert.match(r.error!.message, c.message);
        else {
          assert.equal(r.status, 200);
          assert.ok(r.latency.tls > 0, 'a TLS handshake takes time');
        }
      } finally {
        await p.close();
        await target.close();
      }
    });
  }
});
