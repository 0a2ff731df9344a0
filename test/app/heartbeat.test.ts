import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scratchDir, startBot } from '../support/run-isdown.ts';

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe('heartbeat watches, end to end through the console and /push', () => {
  const env = () => ({ ISDOWN_CONTROL_URLS: '', ISDOWN_MIN_INTERVAL: '1s', ISDOWN_STORM_HOLD: '0s', STORE_URL: `sqlite://${scratchDir()}/s.sqlite` });

  it('a job that stops calling in raises one alert; its next call is the recovery; unwatch retires the URL', async () => {
    const bot = startBot({ ...env(), ISDOWN_PUBLIC_URL: 'https://isdown.example.com/' });
    try {
      const port = await bot.port();
      bot.send('watch push Nightly-Job every 2s');
      const answer = await bot.waitFor(/Have the job call https:\/\/isdown\.example\.com\/push\/[A-Za-z0-9_-]{24} when it runs/);
      assert.match(answer, /Watching heartbeat nightly-job: a call at least every 2s \(1 s grace\)\./);
      const token = /\/push\/([A-Za-z0-9_-]{24})/.exec(answer)![1]!;
      const beat = (query = '', method = 'GET') => fetch(`http://127.0.0.1:${port}/push/${token}${query}`, { method });

      assert.equal((await beat()).status, 200);
      bot.send('list');
      await bot.waitFor(/nightly-job — ✅ up \(heartbeat expected every 2 s\)/);

      // Silence: past 2 s and the 1 s grace, one alert.
      await bot.waitFor(/\[alert #1\] 🔴 nightly-job is down since \d\d:\d\d/, 15_000);
      await bot.waitFor(/missed its heartbeat: no heartbeat since \d\d:\d\d \(expected every 2 s, 1 s grace\)/);
      assert.equal((await beat('?msg=back')).status, 200);
      const recovered = await bot.waitFor(/\[alert #1\] ✅ nightly-job recovered at/);
      assert.equal(count(recovered, /nightly-job is down since/), 1, recovered);

      // A job that reports its own failure is down at once, with its words (control characters
      // made spaces). So soon after the recovery, it is the same incident, down again.
      assert.equal((await beat('?status=down&msg=disk%20full%0A%1b[31m', 'POST')).status, 200);
      await bot.waitFor(/↳ \[alert #1\] 🔴 nightly-job is down again \(\d\d:\d\d\)\n\s+nightly-job reported a failure at \d\d:\d\d: disk full {2}\[31m\n/);

      assert.equal((await beat('?status=sideways')).status, 400);
      assert.equal((await beat('', 'HEAD')).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/push/${'x'.repeat(24)}`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/push/`)).status, 404);
      assert.equal((await fetch(`http://127.0.0.1:${port}/push/${token}`, { method: 'PUT' })).status, 405);

      bot.send('unwatch nightly-job');
      await bot.waitFor(/Stopped watching nightly-job in this channel\./);
      assert.equal((await beat()).status, 404, 'a retired heartbeat URL answers nothing');
      assert.doesNotMatch(bot.errors(), new RegExp(token), 'the token is never logged');
    } finally {
      await bot.kill('SIGTERM');
    }
  });

  it('the same name again keeps the URL a job already calls; push:<name> reaches a heartbeat a service name shadows', async () => {
    const bot = startBot(env());
    try {
      bot.send('watch push github every 1h');
      const first = /\/push\/([A-Za-z0-9_-]{24})/.exec(await bot.waitFor(/Have the job call \/push\//))![1];
      assert.match(bot.output(), /Set ISDOWN_PUBLIC_URL so this is a full address/);
      bot.send('watch push github every 2h');
      await bot.waitFor(/Updated: this channel expects github/);
      const urls = [...bot.output().matchAll(/\/push\/([A-Za-z0-9_-]{24})/g)].map((m) => m[1]);
      assert.deepEqual(new Set(urls), new Set([first]));
      bot.send('mute push:github 1h');
      await bot.waitFor(/Muted github here until/);
      bot.send('unwatch push:nothing');
      await bot.waitFor(/This channel has no heartbeat named nothing/);
    } finally {
      await bot.kill('SIGTERM');
    }
  });
});
