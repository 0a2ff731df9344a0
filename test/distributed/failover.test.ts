import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown, startBot, type BotProcess } from '../support/run-isdown.ts';
import { distributedOn, dropRedisPrefix, uniquePrefix } from '../support/services.ts';
import { LOCAL_TARGETS, FAST_ROUNDS } from '../support/settings.ts';
import { until } from '../support/until.ts';

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

function envFor(prefix: string) {
  return { ...distributedOn(prefix), ...LOCAL_TARGETS, ...FAST_ROUNDS };
}

describe('two bots and three workers as real processes on Redis', () => {
  const procs: BotProcess[] = [];
  let site: FakeTarget | undefined;
  const prefix = uniquePrefix('story');
  after(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    await site?.close();
    await dropRedisPrefix(prefix);
  });

  it('tells the outage story once, even when the scheduling bot is killed in the middle of it', async () => {
    site = await startTarget();
    site.set('/story', { kind: 'ok', body: 'fine' });
    const env = envFor(prefix);
    const workers = [0, 1, 2].map(() => startBot(env, ['worker']));
    procs.push(...workers);
    for (const w of workers) await w.waitForErr(/taking probe jobs for region local/);
    const a = startBot(env);
    procs.push(a);
    await a.waitForErr(/this process now runs the scheduler/);
    const b = startBot(env);
    procs.push(b);
    await b.health();
    assert.doesNotMatch(b.errors(), /now runs the scheduler/, 'one scheduler at a time');
    assert.equal(((await b.health()) as unknown as { scheduler: { role: string } }).scheduler.role, 'standby');
    const metrics = await (await fetch(`http://127.0.0.1:${await b.port()}/metrics`)).text();
    assert.match(metrics, /^# TYPE isdown_scheduler_active gauge\nisdown_scheduler_active 0$/m);
    assert.match(metrics, /^isdown_outbox_pending 0$/m);

    // The watch arrives at the standby; the scheduler hears of it and starts checking.
    b.send(`watch ${site.url}/story every 1s`);
    await b.waitFor(/Watching 127\.0\.0\.1:\d+\/story every 1s\./);
    const before = site.hits.get('/story') ?? 0;
    await until(() => (site!.hits.get('/story') ?? 0) >= before + 3, 'the workers probing it every second');

    site.set('/story', { kind: 'status', status: 503, body: 'Service Unavailable' });
    await a.waitFor(/\[alert #1\] 🔴 127\.0\.0\.1:\d+\/story is down since/);
    await new Promise((r) => setTimeout(r, 1_500));

    // The scheduler dies without a word; the standby takes over within the lease.
    await a.kill('SIGKILL');
    await b.waitForErr(/this process now runs the scheduler/, 30_000);
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(count(b.output(), /is down since/), 0, 'the new scheduler does not announce the outage again');

    site.set('/story', { kind: 'ok', body: 'fine' });
    await b.waitFor(/✅ 127\.0\.0\.1:\d+\/story recovered at \d\d:\d\d after \d+ s of downtime/, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const all = a.output() + b.output();
    assert.equal(count(all, /\] 🔴 [^\n]*\/story is down since/), 1, all);
    assert.equal(count(all, /\/story recovered at/), 1, all);
  });
});

describe('a worker killed in the middle of a job', () => {
  const procs: BotProcess[] = [];
  let site: FakeTarget | undefined;
  const prefix = uniquePrefix('stall');
  after(async () => {
    for (const p of procs) await p.kill('SIGKILL');
    await site?.close();
    await dropRedisPrefix(prefix);
  });

  it('loses no check: another worker runs the job again', async () => {
    site = await startTarget();
    site.set('/slow', { kind: 'ok', body: 'fine', delayMs: 5_000 });
    // Slow on purpose (so the worker can be killed while it waits), but not "slow" in the verdict.
    const env = { ...envFor(prefix), ISDOWN_SLOW_THRESHOLD: '20s' };
    const first = startBot(env, ['worker']);
    procs.push(first);
    await first.waitForErr(/taking probe jobs/);
    const check = runIsdown(['check', `${site.url}/slow`, '--json'], env);
    await until(() => site!.hits.get('/slow'), 'a worker taking the job');
    assert.equal(site.hits.get('/slow'), 1, 'the first worker took the job');
    const second = startBot(env, ['worker']);
    procs.push(second);
    await second.waitForErr(/taking probe jobs/);
    await first.kill('SIGKILL');
    const r = await check;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { verdict: { state: string } };
    assert.equal(out.verdict.state, 'up');
    assert.equal(site.hits.get('/slow'), 2, 'the second worker ran it again');
  });
});
