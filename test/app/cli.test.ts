import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testPki } from '../fakes/certs.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown } from '../support/run-isdown.ts';

describe('isdown check (one-shot CLI)', () => {
  let target: FakeTarget;
  let deadPort: string;
  const env = () => ({
    ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
    ISDOWN_ALLOWED_PORTS: 'any',
    ISDOWN_CONTROL_URLS: `${target.url}/ok`,
    ISDOWN_CONFIRM_DELAY: '50ms',
    ISDOWN_HEADERS_TIMEOUT: '1s',
    ISDOWN_TOTAL_TIMEOUT: '2s',
  });
  before(async () => {
    target = await startTarget();
    const dead = await startTarget();
    deadPort = String(dead.port);
    await dead.close();
  });
  after(() => target.close());

  it('exits 0 and says "just you" when the target is up', async () => {
    const r = await runIsdown(['check', `${target.url}/ok`], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^✅ 127\.0\.0\.1:\d+\/ok is up — it's just you\. 200 OK in \d+ ms\./);
  });

  it('reads a 401 as up behind a wall, a 429 as degraded, and --status replaces the reading', async () => {
    target.set('/wall', { kind: 'status', status: 401, body: 'sign in' });
    target.set('/busy', { kind: 'status', status: 429, body: 'slow down', headers: { 'retry-after': '60' } });
    const wall = await runIsdown(['check', `${target.url}/wall`], env());
    assert.equal(wall.code, 0, wall.stderr);
    assert.match(wall.stdout, /is up: it answers, but will not serve an automated check \(401 Unauthorized in \d+ ms, a login or permission wall\)/);
    const busy = await runIsdown(['check', `${target.url}/busy`, '--json'], env());
    assert.equal(busy.code, 1);
    assert.equal((JSON.parse(busy.stdout) as { verdict: { state: string } }).verdict.state, 'degraded');
    const strict = await runIsdown(['check', `${target.url}/wall`, '--status', '200-299'], env());
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /is down for everyone: 401 Unauthorized, not an accepted status \(200-299\)/);
    const listed = await runIsdown(['check', `${target.url}/wall`, '--status', '200-299,401'], env());
    assert.equal(listed.code, 0);
    assert.match(listed.stdout, /is up — it's just you\. 401 Unauthorized in \d+ ms/);
    const bad = await runIsdown(['check', `${target.url}/wall`, '--status', '2xx'], env());
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /--status: "2xx" is not a status code/);
  });

  it('behind a TLS-intercepting proxy (an untrusted CA on the target and the control target): exit 2, not "down for everyone"', async () => {
    const pki = testPki();
    // Both sites present certificates from a CA this process does not trust, as an intercepting proxy does.
    const site = await startTarget({ tls: pki.valid });
    const control = await startTarget({ tls: pki.valid });
    try {
      const r = await runIsdown(['check', `${site.url}/ok`], { ...env(), ISDOWN_CONTROL_URLS: `${control.url}/generate_204=204` });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /I can't tell whether .* is down: my network intercepts HTTPS \(a proxy or captive portal answers in its place\)/);
      // With a control target that answers as it should, the same TLS failure is the site's own.
      target.set('/generate_204', { kind: 'status', status: 204 });
      const theirs = await runIsdown(['check', `${site.url}/ok`], { ...env(), ISDOWN_CONTROL_URLS: `${target.url}/generate_204=204` });
      assert.equal(theirs.code, 1, theirs.stdout + theirs.stderr);
      assert.match(theirs.stdout, /is down for everyone: .*TLS certificate/);
    } finally {
      await site.close();
      await control.close();
    }
  });

  it('a captive portal that redirects every site to itself: unknown, not "up"', async () => {
    // The portal: every request, to any host, is sent to its login page (another host), which answers 200.
    const portal = await startTarget();
    const login = await startTarget({ host: '127.0.0.2' });
    login.set('/login', { kind: 'ok', body: 'Welcome to Airport Wi-Fi' });
    for (const p of ['/generate_204', '/site']) portal.set(p, { kind: 'redirect', to: `${login.url}/login` });
    try {
      const r = await runIsdown(['check', `${portal.url}/site`], { ...env(), ISDOWN_ALLOW_PRIVATE: '127.0.0.0/8', ISDOWN_CONTROL_URLS: `${portal.url}/generate_204=204` });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stdout, /I can't tell whether .* is up: my network intercepts my checks/);
    } finally {
      await portal.close();
      await login.close();
    }
  });

  it('a page that trickles is "answers, slowly" (degraded), and a server that never answers is not re-checked', async () => {
    const slow = await runIsdown(['check', `${target.url}/trickle`], env());
    assert.equal(slow.code, 1, slow.stderr);
    assert.match(slow.stdout, /answers, slowly: 200 OK after \d+ ms, but the page was still arriving after 2\.\d s/);
    const before = target.hits.get('/hang') ?? 0;
    const hung = await runIsdown(['check', `${target.url}/hang`], env());
    assert.equal(hung.code, 1);
    assert.match(hung.stdout, /is down for everyone: connected, but no response within 1 s/);
    assert.equal((target.hits.get('/hang') ?? 0) - before, 1, 'a timeout already waited: no re-check');
  });

  it('exits 1 on a 503, confirmed by re-checks', async () => {
    const before = target.hits.get('/503') ?? 0;
    const r = await runIsdown(['check', `${target.url}/503`], env());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /is down for everyone: 503 Service Unavailable \(3 checks, 0 s apart\)/);
    assert.equal((target.hits.get('/503') ?? 0) - before, 3);
  });

  it('prints one JSON object with the verdict and the probe', async () => {
    const r = await runIsdown(['check', `${target.url}/down-page`, '--json', '--forbid', 'is currently down'], env());
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { verdict: { state: string; reasons: string[] }; probe: { status: number; error: { code: string } } };
    assert.equal(out.verdict.state, 'down');
    assert.equal(out.probe.status, 200);
    assert.equal(out.probe.error.code, 'forbidden_text');
  });

  it('exits 2 ("I can\'t tell") when the control targets fail too', async () => {
    const r = await runIsdown(['check', `http://127.0.0.1:${deadPort}/`, '--json'], { ...env(), ISDOWN_CONTROL_URLS: `http://127.0.0.1:${deadPort}/` });
    assert.equal(r.code, 2, r.stderr);
    const out = JSON.parse(r.stdout) as { verdict: { state: string; summary: string } };
    assert.equal(out.verdict.state, 'unknown');
    assert.match(out.verdict.summary, /my own connection is failing/);
  });

  it('exits 1, not 2, when the target refuses but the control answers', async () => {
    const r = await runIsdown(['check', `http://127.0.0.1:${deadPort}/`], env());
    assert.equal(r.code, 1);
    assert.match(r.stdout, /connection refused/);
  });

  it('exits 64 on bad input, with usage', async () => {
    const r = await runIsdown(['check', '--expect'], env());
    assert.equal(r.code, 64);
    assert.match(r.stderr, /--expect needs some text/);
    assert.match(r.stderr, /usage: isdown check/);
  });

  it('exits 64 for a private address and makes no request', async () => {
    const r = await runIsdown(['check', 'http://169.254.169.254/latest/meta-data/'], env());
    assert.equal(r.code, 64);
    assert.match(r.stderr, /does not check private addresses/);
  });

  it('stops on a wrong setting with one line naming the variable', async () => {
    const r = await runIsdown(['check', 'example.com'], { ...env(), ISDOWN_TOTAL_TIMEOUT: 'soon' });
    assert.equal(r.code, 78);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^isdown: ISDOWN_TOTAL_TIMEOUT: expects a duration/);
  });
});

describe('console adapter, end to end', () => {
  let target: FakeTarget;
  before(async () => {
    target = await startTarget();
  });
  after(() => target.close());

  it('answers commands typed into a pipe, in order, then exits when input ends', async () => {
    const input = [`/isdown ${target.url}/ok`, `${target.url}/503`, 'watch', '/isdown help mute', ''].join('\n');
    const r = await runIsdown([], { ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any', ISDOWN_CONTROL_URLS: '', ISDOWN_CONFIRM_CHECKS: '1' }, input);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const up = lines.findIndex((l) => /^✅ .*\/ok is up — it's just you\./.test(l));
    const down = lines.findIndex((l) => /^🔴 .*\/503 is down for everyone: 503 Service Unavailable/.test(l));
    const usage = lines.findIndex((l) => l.includes('Which service should this channel watch?'));
    const help = lines.findIndex((l) => l.includes('/isdown mute <service> <duration>'));
    assert.ok(up >= 0 && down > up && usage > down && help > usage, r.stdout);
  });
});
