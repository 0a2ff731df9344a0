import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { planGatus, planKuma } from '../../src/app/importers.ts';
import { runIsdown, scratchDir } from '../support/run-isdown.ts';
import { distributedOn, dropRedisPrefix, REDIS_URL, uniquePrefix } from '../support/services.ts';

const fixture = (p: string) => new URL(`../fixtures/${p}`, import.meta.url).pathname;
const offline = { ISDOWN_CONTROL_URLS: '', ISDOWN_STATUS_POLL: 'off' };

describe('isdown import gatus, on configurations Gatus published', () => {
  it("reads TwiN/gatus's own config.yaml: carries status, JSON, response time; says what it skipped and why", () => {
    const plan = planGatus(parse(readFileSync(fixture('published/gatus/twin-gatus-config.yaml'), 'utf8')));
    assert.ok(!('error' in plan));
    if ('error' in plan) return;
    assert.deepEqual(
      plan.made.map((m) => [m.name, m.words.join(' ')]),
      [
        ['front-end', 'https://twin.sh/health every 5m json $.status == UP slower than 150ms status 200'],
        ['back-end', 'https://example.org/ every 5m status 200'],
        ['monitoring', 'https://example.org/ every 5m status 200'],
        ['nas', 'https://example.org/ every 5m status 200'],
        ['check-domain-expiration', 'https://example.org/ every 1h'],
      ],
    );
    assert.match(plan.made[1]!.notes[0]!, /CERTIFICATE_EXPIRATION\] > 48h: certificate warnings are built in/);
    assert.match(plan.made[4]!.notes[0]!, /not carried: \[DOMAIN_EXPIRATION\] > 720h/);
    assert.deepEqual(plan.skipped.map((s) => s.name), ['example-dns-query', 'icmp-ping']);
  });

  it('makes the watches through the CLI: one line each, duplicates folded, export shows them', async () => {
    const dir = scratchDir();
    const env = { ...offline, STORE_URL: `sqlite://${dir}/s.sqlite` };
    const run = await runIsdown(['import', 'gatus', fixture('published/gatus/twin-gatus-config.yaml'), '--channel', 'slack:T0123/C0456'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^made front-end → watch https:\/\/twin\.sh\/health every 5m json "\$\.status == UP" slower than 150ms status 200$/m);
    assert.match(run.stdout, /^same {3}monitoring: checks what back-end checks; one watch covers both$/m);
    assert.match(run.stdout, /^skipped icmp-ping: icmp:\/\/ checks are not something isdown does/m);
    assert.match(run.stdout, /^3 made, 2 skipped, for slack:T0123\/C0456\. A running bot schedules them within 5 s\.$/m);
    const exported = await runIsdown(['export'], env);
    assert.match(exported.stdout, /slack:T0123\/C0456:\n(\s+- target: .*\n(\s+\w+: .*\n)*){3}/);
    assert.match(exported.stdout, /json: \$\.status == UP\n\s+slower_than: 150ms/);
    // Importing again changes nothing and says so the same way.
    const again = await runIsdown(['import', 'gatus', fixture('published/gatus/twin-gatus-config.yaml'), '--channel', 'slack:T0123/C0456'], env);
    assert.equal((await runIsdown(['export'], env)).stdout, exported.stdout, again.stdout);
  });

  it('reads the TCP example; its private ports follow the SSRF rules of the machine it runs on', async () => {
    const strict = await runIsdown(['import', 'gatus', fixture('published/gatus/twin-gatus-tcp.yaml'), '--channel', 'console', '--dry-run'], offline);
    assert.match(strict.stdout, /^skipped redis: isdown checks only ports 80 and 443; 6379 is not allowed here\.$/m);
    const allowed = await runIsdown(['import', 'gatus', fixture('published/gatus/twin-gatus-tcp.yaml'), '--channel', 'console', '--dry-run'], { ...offline, ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any' });
    assert.match(allowed.stdout, /^would make redis → watch tcp:\/\/127\.0\.0\.1:6379 every 30s$/m);
    assert.match(allowed.stdout, /^2 to make, 0 skipped, for console\.$/m);
  });
});

describe('isdown import kuma', () => {
  it("reads the monitors Kuma's own repository published: refuses upside-down ones and the types it cannot check, with why", () => {
    const published = JSON.parse(readFileSync(fixture('published/kuma/sample_advance_monitor.json'), 'utf8')) as Record<string, unknown>[];
    const plan = planKuma(published);
    assert.ok(!('error' in plan));
    if ('error' in plan) return;
    assert.deepEqual(plan.made.map((m) => [m.name, m.words.join(' ')]), [['Push friendly name write here', 'push push-friendly-name-write-here every 1m']]);
    assert.deepEqual(plan.skipped.slice(0, 3), [
      { name: 'https', reason: 'upside-down mode (up when the check fails) has no isdown equivalent' },
      { name: 'TCP port', reason: 'upside-down mode (up when the check fails) has no isdown equivalent' },
      { name: 'Ping', reason: 'a Kuma "ping" monitor: isdown checks HTTP(S), TCP ports and heartbeats' },
    ]);
    assert.deepEqual(
      plan.skipped.slice(3).map((s) => /"([^"]+)" monitor/.exec(s.reason)?.[1]),
      ['dns', 'docker', 'mqtt', 'kafka-producer', 'postgres', 'mysql', 'mongodb', 'redis'],
    );
    // The same objects wrapped as a backup read the same.
    assert.deepEqual(planKuma({ version: '1.23.17', notificationList: [], monitorList: published }), plan);

    // Turned the right way up (the only change), the same monitors carry their codes, headers and
    // basic auth by variable name, and say what they lose; no credential reaches a watch.
    const upright = planKuma(published.map((m) => ({ ...m, upsideDown: false })));
    if ('error' in upright) return assert.fail(upright.error);
    assert.deepEqual(
      upright.made.map((m) => m.words.join(' ')),
      [
        'https://www.freecodecamp.org/ every 1m status 200-299,300-399,100-199,400-499,500-599,100,101,102,103 header header-key: $ISDOWN_HEADER_HEADER_KEY header Authorization: $ISDOWN_HEADER_AUTHORIZATION',
        'tcp://cli.vuejs.org:90 every 1m',
        'push push-friendly-name-write-here every 1m',
      ],
    );
    assert.match(upright.made[0]!.notes.join('\n'), /set ISDOWN_HEADER_AUTHORIZATION to "Basic " and the base64 of user:password/);
    assert.match(upright.made[0]!.notes.join('\n'), /Kuma ignored its TLS errors; isdown verifies certificates/);
    assert.ok(!/httpbasic auth password|header-value|Rain@2019/.test(JSON.stringify(upright)), 'no secret from the file reaches a watch');

    const single = planKuma(JSON.parse(readFileSync(fixture('published/kuma/1701416022175.json'), 'utf8')));
    assert.deepEqual('error' in single ? single : single.made.map((m) => m.words.join(' ')), ['https://instagram.com every 1m status 200-299']);
  });

  it('refuses sign-in it cannot do and says a POST body is not sent', () => {
    const plan = planKuma([
      { name: 'NTLM intranet', type: 'http', url: 'https://intranet.example.com/', authMethod: 'ntlm' },
      { name: 'Odd auth', type: 'http', url: 'https://a.example.com/', authMethod: 'constructor' },
      { name: 'Webhook', type: 'http', url: 'https://b.example.com/hook', method: 'POST', body: '{"ping":1}' },
    ]);
    if ('error' in plan) return assert.fail(plan.error);
    assert.deepEqual(plan.skipped, [{ name: 'NTLM intranet', reason: 'it signs in with NTLM; isdown sends only headers taken from variables' }]);
    assert.deepEqual(plan.made.map((m) => m.words.join(' ')), ['https://a.example.com/ every 1m', 'https://b.example.com/hook every 1m method POST']);
    assert.deepEqual(plan.made[1]!.notes, ['its POST body is not carried: isdown sends requests without one']);
  });

  it('carries a published Kuma monitor list through the CLI, with the port rules of the machine', async () => {
    const dir = scratchDir();
    const env = { ...offline, STORE_URL: `sqlite://${dir}/s.sqlite` };
    const run = await runIsdown(['import', 'kuma', fixture('published/kuma/sample_advance_monitor.json'), '--channel', 'console', '--dry-run'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^skipped https: upside-down mode/m);
    assert.match(run.stdout, /^would make Push friendly name write here → watch push push-friendly-name-write-here every 1m$/m);
    assert.match(run.stdout, /^1 to make, 11 skipped, for console\.$/m);
  });

  it('maps http, keyword, json-query, port and push monitors; skips docker, ping and paused ones with why', () => {
    const plan = planKuma(JSON.parse(readFileSync(fixture('import/kuma-backup.json'), 'utf8')));
    assert.ok(!('error' in plan));
    if ('error' in plan) return;
    assert.deepEqual(
      plan.made.map((m) => [m.name, m.words.join(' ')]),
      [
        ['Website', 'https://www.example.com/ every 1m status 200-299'],
        ['Login page', 'https://app.example.com/login every 2m status 200-299 expect Sign in'],
        ['Status banner', 'https://app.example.com/ every 20s status 200-299 forbid maintenance'],
        ['API health', 'https://api.example.com/health every 30s method POST status 200-299,401 header X-Api-Key: $ISDOWN_HEADER_X_API_KEY header Accept: $ISDOWN_HEADER_ACCEPT json $.status == "UP"'],
        ['SSH', 'tcp://git.example.com:22 every 1m'],
        ['Nightly backup', 'push nightly-backup every 24h'],
      ],
    );
    assert.ok(!JSON.stringify(plan).includes('k-123456'), 'a header value never reaches a watch');
    assert.deepEqual(plan.made[3]!.notes, ['set ISDOWN_HEADER_X_API_KEY to its X-Api-Key value (values are never kept in a watch)', 'set ISDOWN_HEADER_ACCEPT to its Accept value (values are never kept in a watch)']);
    assert.deepEqual(
      plan.skipped.map((s) => [s.name, s.reason]),
      [
        ['Postgres container', 'a Kuma "docker" monitor: isdown checks HTTP(S), TCP ports and heartbeats'],
        ['Old site', 'paused in Kuma'],
        ['Gateway ping', 'a Kuma "ping" monitor: isdown checks HTTP(S), TCP ports and heartbeats'],
        ['Orders count', 'its JSON query "$count(orders)" is more than a path; isdown reads paths like $.status'],
      ],
    );
  });

  it('through the CLI: raises an interval under the minimum, refuses what is not a backup, and writes nothing on --dry-run', async () => {
    const dir = scratchDir();
    const env = { ...offline, STORE_URL: `sqlite://${dir}/s.sqlite`, ISDOWN_ALLOWED_PORTS: '80,443,22' };
    const run = await runIsdown(['import', 'kuma', fixture('import/kuma-backup.json'), '--channel', 'console'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^made Status banner → watch https:\/\/app\.example\.com\/ every 30s status 200-299 forbid maintenance\n {4}note: every 20s is under ISDOWN_MIN_INTERVAL; checked every 30s$/m);
    assert.match(run.stdout, /^made Nightly backup → watch push nightly-backup every 24h\n {4}note: its job must call isdown's new URL/m);
    assert.match(run.stdout, /^6 made, 4 skipped, for console\./m);
    const exported = (await runIsdown(['export'], env)).stdout;
    assert.match(exported, /- push: nightly-backup\n\s+every: 24h/);
    assert.match(exported, /- target: tcp:\/\/git\.example\.com:22/);

    writeFileSync(join(dir, 'not.json'), '{"hello": 1}');
    const bad = await runIsdown(['import', 'kuma', join(dir, 'not.json'), '--channel', 'console'], env);
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /not an Uptime Kuma backup: it has no "monitorList"/);
    const usage = await runIsdown(['import', 'kuma', fixture('import/kuma-backup.json')], env);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /--channel is needed/);
    const dry = scratchDir();
    const dryRun = await runIsdown(['import', 'kuma', fixture('import/kuma-backup.json'), '--channel', 'console', '--dry-run'], { ...env, STORE_URL: `sqlite://${dry}/s.sqlite` });
    assert.match(dryRun.stdout, /^6 to make, 4 skipped, for console\.$/m);
    assert.doesNotMatch((await runIsdown(['export'], { ...env, STORE_URL: `sqlite://${dry}/s.sqlite` })).stdout, /example\.com/);
  });

  it('in distributed mode tells the running scheduler of each watch it makes, over Redis', async () => {
    const prefix = uniquePrefix('import');
    const { Redis } = await import('ioredis');
    const listener = new Redis(REDIS_URL);
    const heard: string[] = [];
    listener.on('message', (_channel: string, key: string) => heard.push(key));
    try {
      await listener.subscribe(`${prefix}:monitor-changed`);
      const env = { ...offline, ...distributedOn(prefix), ISDOWN_ALLOWED_PORTS: '80,443,22' };
      const run = await runIsdown(['import', 'kuma', fixture('import/kuma-backup.json'), '--channel', 'console'], env);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^6 made, 4 skipped, for console\. The running scheduler has been told of each\.$/m);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(new Set(heard).size, 6, `heard ${heard.join(', ')}`);
      assert.ok(heard.every((k) => /^[a-f0-9]{1,64}$/.test(k)));
    } finally {
      await listener.quit();
      await dropRedisPrefix(prefix);
    }
  });
});
