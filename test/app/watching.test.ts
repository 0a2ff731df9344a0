import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { scratchDir, startBot } from '../support/run-isdown.ts';

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(ok(), 'condition never became true');
}

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
      await until(() => (site.hits.get('/a') ?? 0) >= 2);
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
    first.send(`watch ${site.url}/k every 1s`);
    await first.waitFor(/Watching/);
    site.set('/k', { kind: 'status', status: 503 });
    await first.waitFor(/\[alert #1\] 🔴 .*\/k is down since/);
    // Kill once the delivery is on record: the outage goes on, the alert is known to be sent.
    // (Killing between the platform's acceptance and that record is the one window where a
    // console alert can repeat; chat adapters close it with the platform's own idempotency.)
    while ((await first.health()).outbox.pending > 0) await new Promise((r) => setTimeout(r, 20));
    await first.kill('SIGKILL');

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
});
