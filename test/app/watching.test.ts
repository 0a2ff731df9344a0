import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { testPki } from '../fakes/certs.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown, scratchDir, startBot } from '../support/run-isdown.ts';
import { until } from '../support/until.ts';

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe('watching through the console, end to end', () => {
  let site: FakeTarget;
  const base = () => ({
    ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
    ISDOWN_ALLOWED_PORTS: 'any',
    ISDOWN_CONTROL_URLS: '',
    ISDOWN_MIN_INTERVAL: '1s',
    ISDOWN_RECHECK_DELAY: '200ms',
    ISDOWN_TOTAL_TIMEOUT: '2s',
    ISDOWN_HEADERS_TIMEOUT: '1s',
  });
  before(async () => {
    site = await startTarget();
  });
  after(() => site.close());

  it('watch → the site fails → exactly one down alert → it recovers → exactly one recovery with the downtime', async () => {
    site.set('/a', { kind: 'ok', body: 'fine' });
    const bot = startBot({ ...base(), STORE_URL: `sqlite://${scratchDir()}/s.sqlite` });
    try {
      bot.send(`watch ${site.url}/a every 1s`);
      await bot.waitFor(/Watching 127\.0\.0\.1:\d+\/a every 1s\./);
      await until(() => (site.hits.get('/a') ?? 0) >= 2, 'two checks of /a');
      bot.send('list');
      await bot.waitFor(/127\.0\.0\.1:\d+\/a — ✅ up \(every 1 s\)/);
      site.set('/a', { kind: 'status', status: 503, body: 'down' });
      await bot.waitFor(/\[alert #1\] 🔴 127\.0\.0\.1:\d+\/a is down since/);
      // Let a few more failing rounds pass: they must not repeat the alert.
      bot.send('list');
      await bot.waitFor(/— 🔴 down since/);
      site.set('/a', { kind: 'ok', body: 'fine' });
      const out = await bot.waitFor(/\[alert #1\] ✅ .*\/a recovered at \d\d:\d\d after \d+ s of downtime/);
      assert.equal(count(out, /is down since/), 1, out);
      assert.equal(count(out, /recovered at/), 1, out);
      bot.send('history 127.0.0.1:' + site.port + '/a');
      await bot.waitFor(/1 incident in the last 7 d\n.*Down \d\d:\d\d–\d\d:\d\d \(\d+ s\) · total \d+ s/);
      bot.send('unwatch 127.0.0.1:' + site.port + '/a');
      await bot.waitFor(/Stopped watching/);
    } finally {
      await bot.kill('SIGTERM');
    }
  });

  it('a mute silences this channel but the timeline goes on', async () => {
    site.set('/m', { kind: 'ok', body: 'fine' });
    const bot = startBot({ ...base(), STORE_URL: `sqlite://${scratchDir()}/s.sqlite` });
    try {
      bot.send(`watch ${site.url}/m every 1s`);
      await bot.waitFor(/Watching/);
      bot.send(`mute 127.0.0.1:${site.port}/m 1h`);
      await bot.waitFor(/Muted 127\.0\.0\.1:\d+\/m here until/);
      site.set('/m', { kind: 'status', status: 503 });
      bot.send('list');
      await bot.waitFor(/— 🔴 down since .*muted until/, 20_000).catch(async () => {
        // The list may run before the outage is confirmed; ask again.
        bot.send('list');
        return bot.waitFor(/— 🔴 down since .*muted until/);
      });
      assert.doesNotMatch(bot.output(), /\[alert #/);
    } finally {
      await bot.kill('SIGTERM');
    }
  });

  it('after kill -9 mid-outage, a restart does not alert "down" again and still sends the recovery', async () => {
    site.set('/k', { kind: 'ok', body: 'fine' });
    const store = `sqlite://${scratchDir()}/s.sqlite`;
    const first = startBot({ ...base(), STORE_URL: store });
    try {
      first.send(`watch ${site.url}/k every 1s`);
      await first.waitFor(/Watching/);
      site.set('/k', { kind: 'status', status: 503 });
      await first.waitFor(/\[alert #1\] 🔴 .*\/k is down since/);
      // Kill once the delivery is on record: the outage goes on, the alert is known to be sent.
      // (Killing between the platform's acceptance and that record is the one window where a
      // console alert can repeat; chat adapters close it with the platform's own idempotency.)
      let pending = (await first.health()).outbox.pending;
      for (let i = 0; i < 500 && pending > 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        pending = (await first.health()).outbox.pending;
      }
      assert.equal(pending, 0, 'the down alert was never recorded as delivered');
    } finally {
      await first.kill('SIGKILL');
    }

    const second = startBot({ ...base(), STORE_URL: store });
    try {
      second.send('list');
      await second.waitFor(/\/k — 🔴 down since/);
      site.set('/k', { kind: 'ok', body: 'fine' });
      const out = await second.waitFor(/✅ .*\/k recovered at \d\d:\d\d after \d+ s of downtime/);
      assert.doesNotMatch(out, /is down since/, 'the restarted bot must not announce the outage again');
      assert.equal(count(out, /recovered at/), 1);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('an import run beside the running bot is scheduled within seconds, and watches typed beside it are kept', async () => {
    const store = `sqlite://${scratchDir()}/s.sqlite`;
    const env = { ...base(), STORE_URL: store };
    for (let i = 0; i < 20; i++) site.set(`/imp${i}`, { kind: 'ok', body: 'fine' });
    site.set('/imp-down', { kind: 'status', status: 503, body: 'down' });
    const config = join(scratchDir(), 'gatus.yaml');
    const endpoint = (path: string) => `  - name: ${path.slice(1)}\n    url: ${site.url}${path}\n    interval: 1s\n    conditions: ["[STATUS] == 200"]\n`;
    writeFileSync(config, `endpoints:\n${[...Array.from({ length: 20 }, (_, i) => `/imp${i}`), '/imp-down'].map(endpoint).join('')}`);
    const bot = startBot(env);
    try {
      bot.send('help');
      await bot.waitFor(/watch/);
      // The bot writes the console channel's list while the import writes it from another process.
      const typed = Array.from({ length: 10 }, (_, i) => `/typed${i}`);
      for (const p of typed) site.set(p, { kind: 'ok', body: 'fine' });
      const importing = runIsdown(['import', 'gatus', config, '--channel', 'console'], env);
      for (const p of typed) bot.send(`watch ${site.url}${p} every 1m`);
      const run = await importing;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^21 made, 0 skipped, for console\. A running bot schedules them within 5 s\.$/m);
      // No restart: the bot finds the imported watches, checks them and alerts from them.
      await bot.waitFor(/\[alert #\d+\] 🔴 127\.0\.0\.1:\d+\/imp-down is down since/, 30_000);
      await until(() => Array.from({ length: 20 }, (_, i) => site.hits.get(`/imp${i}`) ?? 0).every((n) => n >= 2), 'two checks of each imported target');
      assert.match(bot.errors(), /picked up an import: 21 monitors added, 0 changed, 0 removed/);
      await bot.waitFor(new RegExp(`Watching 127\\.0\\.0\\.1:\\d+/typed9 every 1m`));
      const exported = (await runIsdown(['export'], env)).stdout;
      for (const p of [...typed, '/imp-down', ...Array.from({ length: 20 }, (_, i) => `/imp${i}`)]) assert.ok(exported.includes(`${site.url}${p}`), `${p} is missing from\n${exported}`);
    } finally {
      await bot.kill('SIGTERM');
    }
  });

  it('an https watch warns once that its certificate expires soon, and list shows the date', async () => {
    const pki = testPki();
    const dir = scratchDir();
    writeFileSync(join(dir, 'ca.pem'), pki.ca);
    const secure = await startTarget({ tls: pki.valid });
    const bot = startBot({ ...base(), NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), STORE_URL: `sqlite://${dir}/s.sqlite` });
    try {
      bot.send(`watch ${secure.url}/ok every 1s`);
      await bot.waitFor(/Watching/);
      // The test CA's certificate is valid for two days: inside the last three, one warning.
      await bot.waitFor(/\[alert #1\] ⚠️ The certificate of 127\.0\.0\.1:\d+\/ok expires (tomorrow|in 2 days|today), on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
      await until(() => (secure.hits.get('/ok') ?? 0) >= 4, 'four checks of the https target');
      bot.send('list');
      const out = await bot.waitFor(/✅ up \(every 1 s, certificate valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/);
      assert.equal(count(out, /The certificate of/), 1, out);
    } finally {
      await bot.kill('SIGTERM');
      await secure.close();
    }
  });

  it('a header names a variable the operator set; one that is not set is refused with what to do', async () => {
    site.set('/auth', { kind: 'ok', body: 'fine' });
    const bot = startBot({ ...base(), ISDOWN_HEADER_TOKEN: 'Bearer t0ken', STORE_URL: `sqlite://${scratchDir()}/s.sqlite` });
    try {
      bot.send(`watch ${site.url}/auth every 1s header "Authorization: $ISDOWN_HEADER_MISSING"`);
      await bot.waitFor(/The Authorization header needs ISDOWN_HEADER_MISSING, which is not set where isdown runs/);
      bot.send(`watch ${site.url}/auth every 1s header "Authorization: $ISDOWN_HEADER_TOKEN" method POST`);
      await bot.waitFor(/Watching 127\.0\.0\.1:\d+\/auth every 1s, method POST, header "Authorization: \$ISDOWN_HEADER_TOKEN"\./);
      await until(() => site.last.get('/auth')?.headers.authorization === 'Bearer t0ken', 'a check that sends the header');
      assert.equal(site.last.get('/auth')?.method, 'POST');
      assert.doesNotMatch(bot.output(), /t0ken/, 'the value is never echoed');
    } finally {
      await bot.kill('SIGTERM');
    }
  });

  it('a TCP watch alerts when the port stops answering, and refuses HTTP options', async () => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const server = createServer((c) => {
      connections++;
      sockets.add(c);
      c.on('close', () => sockets.delete(c)).on('error', () => {});
      c.write('SSH-2.0-OpenSSH_9.6\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const bot = startBot({ ...base(), STORE_URL: `sqlite://${scratchDir()}/s.sqlite` });
    try {
      bot.send(`watch tcp://127.0.0.1:${port} every 1s status 200`);
      await bot.waitFor(/tcp:\/\/127\.0\.0\.1:\d+ is a TCP check: .* status is for HTTP watches\./);
      bot.send(`watch tcp://127.0.0.1:${port} every 1s expect SSH-`);
      await bot.waitFor(/Watching tcp:\/\/127\.0\.0\.1:\d+ every 1s, expect "SSH-"\./);
      await until(() => connections >= 2, 'two connections to the TCP port');
      bot.send('list');
      await bot.waitFor(/tcp:\/\/127\.0\.0\.1:\d+ — ✅ up/);
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const c of sockets) c.destroy();
      });
      await bot.waitFor(/\[alert #1\] 🔴 tcp:\/\/127\.0\.0\.1:\d+ is down since/);
      bot.send('list');
      await bot.waitFor(/— 🔴 down since/);
    } finally {
      await bot.kill('SIGTERM');
      server.close();
    }
  });
});
