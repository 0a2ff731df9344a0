import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { createProber, type Prober } from '../../src/checks/probe.ts';
import { checkUrl, makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import { optionsMisfit } from '../../src/core/watch.ts';
import { describeProbe } from '../../src/core/verdict.ts';

const loopback = makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' });
const limits = { connectTimeoutMs: 1_000, headersTimeoutMs: 1_000, totalTimeoutMs: 1_500 };

/** A TCP server that greets as told: an SSH banner, nothing at all, or a greeting in two parts. */
async function listen(greet: (s: Socket) => void): Promise<{ server: Server; port: number; connections: () => number }> {
  let n = 0;
  const server = createServer((s) => {
    n++;
    s.on('error', () => {});
    greet(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, connections: () => n };
}

describe('TCP checks (tcp://host:port)', () => {
  let prober: Prober;
  let ssh: Awaited<ReturnType<typeof listen>>;
  let silent: Awaited<ReturnType<typeof listen>>;
  let slowGreeting: Awaited<ReturnType<typeof listen>>;
  before(async () => {
    prober = createProber({ policy: loopback, limits });
    ssh = await listen((s) => s.write('SSH-2.0-OpenSSH_9.6p1 Debian-4\r\n'));
    silent = await listen(() => {});
    slowGreeting = await listen((s) => {
      s.write('220 mail.example.com ');
      setTimeout(() => s.end('ESMTP Postfix\r\n'), 100);
    });
  });
  after(async () => {
    await prober.close();
    for (const x of [ssh, silent, slowGreeting]) x.server.close();
  });

  it('is up when it connects, and says so', async () => {
    const r = await prober.probe({ url: `tcp://127.0.0.1:${silent.port}` });
    assert.equal(r.ok, true, JSON.stringify(r.error));
    assert.equal(r.status, undefined);
    assert.match(describeProbe(r), /^connected in \d/);
  });

  it('reads the greeting for expect and forbid, across packets', async () => {
    assert.equal((await prober.probe({ url: `tcp://127.0.0.1:${ssh.port}`, expect: 'SSH-2.0' })).ok, true);
    assert.equal((await prober.probe({ url: `tcp://127.0.0.1:${slowGreeting.port}`, expect: 'esmtp' })).ok, true);
    const wrong = await prober.probe({ url: `tcp://127.0.0.1:${ssh.port}`, expect: '220 ' });
    assert.equal(wrong.error?.code, 'expect_missing');
    assert.equal(wrong.error?.message, 'connected, but the server did not say "220 ": its greeting was "SSH-2.0-OpenSSH_9.6p1 Debian-4"');
    const forbidden = await prober.probe({ url: `tcp://127.0.0.1:${ssh.port}`, forbid: 'debian' });
    assert.equal(forbidden.error?.code, 'forbidden_text');
    const mute = await prober.probe({ url: `tcp://127.0.0.1:${silent.port}`, expect: 'SSH-' });
    assert.equal(mute.error?.code, 'expect_missing');
    assert.match(mute.error!.message, /it sent nothing within 1\.5 s/);
  });

  it('calls a closed port refused', async () => {
    const gone = await listen(() => {});
    const port = gone.port;
    await new Promise<void>((r) => gone.server.close(() => r()));
    const r = await prober.probe({ url: `tcp://127.0.0.1:${port}` });
    assert.equal(r.error?.code, 'refused');
    assert.equal(r.error?.message, 'connection refused: nothing is listening');
  });

  it('goes through the same SSRF guard and port rules as HTTP', async () => {
    const strict = makePolicy();
    const refused: [string, RegExp][] = [
      ['tcp://127.0.0.1:443', /does not check private addresses/],
      ['tcp://0x7f.1:443', /does not check private addresses/],
      ['tcp://169.254.169.254:80', /does not check private addresses/],
      ['tcp://[::1]:443', /does not check private addresses/],
      ['tcp://localhost:443', /does not check private addresses/],
      ['tcp://example.com:22', /checks only ports 80 and 443; 22 is not allowed here/],
      ['tcp://example.com', /needs a port: tcp:\/\/host:port/],
      ['tcp://example.com:22/path', /is not a TCP address; write it as tcp:\/\/host:port/],
      ['tcp://user@example.com:443', /does not send credentials/],
      ['ftp://example.com', /only http, https and tcp addresses, not ftp/],
    ];
    for (const [url, why] of refused) {
      const c = checkUrl(url, strict);
      assert.equal(c.ok, false, url);
      if (!c.ok) assert.match(c.refusal.message, why, url);
    }
    assert.equal(checkUrl('tcp://example.com:443', strict).ok, true);
    // Refused before any connection: the server sees nothing.
    const before_ = ssh.connections();
    const blocked = await createProber({ policy: strict, limits }).probe({ url: `tcp://127.0.0.1:${ssh.port}` });
    assert.equal(blocked.error?.code, 'blocked');
    assert.equal(ssh.connections(), before_);
  });

  it('is its own target, apart from the website on the same port, and takes only TCP options', () => {
    const t = adhocTarget('tcp://Example.com:443/', makePolicy());
    const web = adhocTarget('https://example.com:443/', makePolicy());
    assert.ok(t.ok && web.ok);
    if (!t.ok || !web.ok) return;
    assert.deepEqual([t.target.id, t.target.urls], ['tcp://example.com:443', ['tcp://example.com:443']]);
    assert.notEqual(t.target.id, web.target.id);
    assert.equal(optionsMisfit(t.target, { expect: 'x', slowerThanMs: 500 }), null);
    assert.match(optionsMisfit(t.target, { status: '200', json: '$.a == 1' })!, /is a TCP check: .* status, json are for HTTP watches/);
    assert.equal(optionsMisfit(web.target, { status: '200' }), null);
  });
});
