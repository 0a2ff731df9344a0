import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { parseJsonCondition } from '../../src/core/conditions.ts';
import { runCheck } from '../../src/core/check.ts';
import { createProber, type Prober } from '../../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import type { ProbeRequest, Target } from '../../src/core/types.ts';
import { testPki } from '../fakes/certs.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';

const loopback = makePolicy({ allow: parseCidrList('127.0.0.0/8'), ports: 'any' });
const limits = { connectTimeoutMs: 1_000, headersTimeoutMs: 1_000, totalTimeoutMs: 2_000 };
const json = (text: string) => {
  const c = parseJsonCondition(text);
  assert.ok(c.ok);
  return c.value;
};

describe('HTTP conditions on a watch', () => {
  let target: FakeTarget;
  let other: FakeTarget;
  let prober: Prober;
  const env = { ISDOWN_HEADER_KEY: 's3cret-value', SLACK_BOT_TOKEN: 'xoxb-must-never-leave' };
  before(async () => {
    target = await startTarget();
    other = await startTarget({ host: '127.0.0.2' });
    prober = createProber({ policy: loopback, limits, env });
    target.set('/health', { kind: 'ok', body: JSON.stringify({ status: 'UP', db: { lag: 12 } }), contentType: 'application/json' });
    target.set('/html', { kind: 'ok', body: '<html>UP</html>' });
  });
  after(async () => {
    await prober.close();
    await Promise.all([target.close(), other.close()]);
  });

  it('sends the method asked for', async () => {
    for (const method of ['HEAD', 'POST', 'DELETE'] as const) {
      const r = await prober.probe({ url: `${target.url}/ok`, method });
      assert.equal(r.ok, true, method);
      assert.equal(target.last.get('/ok')?.method, method);
    }
    await prober.probe({ url: `${target.url}/ok` });
    assert.equal(target.last.get('/ok')?.method, 'GET');
  });

  it('fills a header from the environment, and only from ISDOWN_HEADER_ variables', async () => {
    const r = await prober.probe({ url: `${target.url}/ok`, headers: [{ name: 'X-Api-Key', env: 'ISDOWN_HEADER_KEY' }] });
    assert.equal(r.ok, true);
    assert.equal(target.last.get('/ok')?.headers['x-api-key'], 's3cret-value');

    // A request that reached the probe without the grammar's check still cannot name another variable.
    const leak = await prober.probe({ url: `${target.url}/leak`, headers: [{ name: 'X-Leak', env: 'SLACK_BOT_TOKEN' }] });
    assert.equal(leak.ok, false);
    assert.equal(leak.error?.code, 'setting');
    assert.equal(target.hits.get('/leak'), undefined, 'nothing was sent');
  });

  it('says which variable is missing instead of calling the site down', async () => {
    const r = await prober.probe({ url: `${target.url}/ok`, headers: [{ name: 'Authorization', env: 'ISDOWN_HEADER_UNSET' }] });
    assert.equal(r.error?.code, 'setting');
    assert.match(r.error!.message, /the Authorization header needs ISDOWN_HEADER_UNSET, which is not set/);
    const outcome = await runCheck(
      { kind: 'adhoc', id: 'x', name: 'x', urls: [`${target.url}/ok`] },
      { headers: ['Authorization: $ISDOWN_HEADER_UNSET'] },
      { probe: async (req) => [await prober.probe(req)], sleep: async () => {}, control: async () => undefined },
      { confirmAttempts: 3, confirmDelayMs: 0 },
    );
    assert.equal(outcome.verdict.state, 'unknown');
    assert.equal(outcome.probes.length, 1, 'not re-checked: trying again cannot set the variable');
    assert.match(outcome.verdict.summary, /I can't check x: the Authorization header needs ISDOWN_HEADER_UNSET/);
  });

  it("keeps a watch's headers from another origin a redirect leads to", async () => {
    other.set('/landing', { kind: 'ok', body: 'here' });
    target.set('/away', { kind: 'redirect', to: `${other.url}/landing` });
    target.set('/near', { kind: 'redirect', to: '/ok' });
    const headers = [{ name: 'X-Api-Key', env: 'ISDOWN_HEADER_KEY' }];
    assert.equal((await prober.probe({ url: `${target.url}/away`, headers })).ok, true);
    assert.equal(target.last.get('/away')?.headers['x-api-key'], 's3cret-value');
    assert.equal(other.last.get('/landing')?.headers['x-api-key'], undefined);
    assert.equal((await prober.probe({ url: `${target.url}/near`, headers })).ok, true);
    assert.equal(target.last.get('/ok')?.headers['x-api-key'], 's3cret-value', 'the same origin keeps them');
  });

  it('follows a redirect after POST with GET, as browsers do', async () => {
    target.set('/form', { kind: 'redirect', to: '/ok', status: 303 });
    assert.equal((await prober.probe({ url: `${target.url}/form`, method: 'POST' })).ok, true);
    assert.equal(target.last.get('/form')?.method, 'POST');
    assert.equal(target.last.get('/ok')?.method, 'GET');
  });

  it('reads a JSON condition from the body', async () => {
    const cases: [string, ProbeRequest['json'], true | RegExp][] = [
      ['/health', json('$.status == UP'), true],
      ['/health', json('$.db.lag < 100'), true],
      ['/health', json('$.status == DOWN'), /\$\.status is "UP", not == DOWN/],
      ['/health', json('$.db.lag < 10'), /\$\.db\.lag is 12, not < 10/],
      ['/html', json('$.status == UP'), /the answer is not JSON, so \$\.status cannot be read/],
    ];
    for (const [path, condition, expected] of cases) {
      const r = await prober.probe({ url: `${target.url}${path}`, json: condition! });
      if (expected === true) assert.equal(r.ok, true, `${path} ${condition!.pathText}`);
      else {
        assert.equal(r.error?.code, 'condition_failed');
        assert.match(r.error!.message, expected);
      }
    }
  });

  it('does not read JSON from a body cut at the size limit', async () => {
    const small = createProber({ policy: loopback, limits: { ...limits, maxBodyBytes: 16 } });
    try {
      const r = await small.probe({ url: `${target.url}/health`, json: json('$.status == UP') });
      assert.equal(r.error?.code, 'condition_failed');
      assert.match(r.error!.message, /over 0 KiB, too large to read \$\.status/);
    } finally {
      await small.close();
    }
  });

  it('calls an answer slower than the watch allows degraded, and a quick one up', async () => {
    target.set('/lag', { kind: 'ok', body: 'fine', delayMs: 300 });
    const t: Target = { kind: 'adhoc', id: 'lag', name: 'lag', urls: [`${target.url}/lag`] };
    const ports = { probe: async (req: ProbeRequest) => [await prober.probe(req)], sleep: async () => {}, control: async () => undefined };
    const slow = await runCheck(t, { slowerThanMs: 100 }, ports, { confirmAttempts: 1, confirmDelayMs: 0 });
    assert.equal(slow.verdict.state, 'degraded');
    assert.match(slow.verdict.summary, /lag is slow: .*\(over 100 ms\)/);
    const fine = await runCheck(t, { slowerThanMs: 5_000 }, ports, { confirmAttempts: 1, confirmDelayMs: 0 });
    assert.equal(fine.verdict.state, 'up');
  });
});

describe('certificate expiry', () => {
  it("reports when the answering connection's certificate expires: new, resumed or kept-alive connection", async () => {
    const pki = testPki();
    const target = await startTarget({ tls: pki.valid });
    const prober = createProber({ policy: loopback, limits, extraCa: [pki.ca] });
    try {
      const expires = Date.parse(new X509Certificate(pki.valid.cert).validTo);
      // The second probe here resumes the TLS session (no certificate is shown then), the third
      // reuses the kept-alive connection: each must still know the date.
      const seen = [];
      for (let i = 0; i < 3; i++) {
        const r = await prober.probe({ url: `${target.url}/ok` });
        assert.equal(r.ok, true, JSON.stringify(r.error));
        seen.push(r.certExpiresAt);
      }
      assert.deepEqual(seen, [expires, expires, expires]);
    } finally {
      await prober.close();
      await target.close();
    }
  });

  it('has none for plain http', async () => {
    const target = await startTarget();
    const prober = createProber({ policy: loopback, limits });
    try {
      assert.equal((await prober.probe({ url: `${target.url}/ok` })).certExpiresAt, undefined);
    } finally {
      await prober.close();
      await target.close();
    }
  });
});
