import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startBotProcess, type RunningBot } from '../../src/app/bot-process.ts';
import { loadConfig } from '../../src/app/config.ts';
import { healthReport } from '../../src/app/http.ts';
import { CONSOLE_REQUESTER } from '../../adapters/console/console.ts';
import type { Message } from '../../src/core/messages.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown, scratchDir, startBot } from '../support/run-isdown.ts';
import { DATABASE_URL, uniquePrefix } from '../support/services.ts';
import { FAST_ROUNDS, LOCAL_TARGETS } from '../support/settings.ts';
import { settled } from '../support/notifier.ts';
import { until } from '../support/until.ts';

/**
 * The store fails for real while a watched site goes down: a full disk under SQLite, Postgres
 * backends terminated, a Redis server stopped and killed. After each: the process is alive (it
 * runs in this test's process, so a crash fails the test run), the outage is announced once and
 * its recovery once, and /healthz named the store while it failed.
 */

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

class Captured extends Writable {
  text = '';
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface Scenario {
  readonly env: Record<string, string>;
  /** Makes the store fail (or disrupts it) before the site goes down. */
  readonly breakStore: () => Promise<void>;
  /** More disruption while the outage is being confirmed. */
  readonly duringOutage?: () => Promise<void>;
  readonly healStore: () => Promise<void>;
  /** Whether the store stays failing until healed (health must say so and a command must refuse). */
  readonly staysFailing: boolean;
}

async function outageWhileTheStoreFails(site: FakeTarget, path: string, s: Scenario): Promise<void> {
  site.set(path, { kind: 'ok', body: 'fine' });
  const out = new Captured();
  const logs: string[] = [];
  const running: RunningBot = await startBotProcess(
    loadConfig({ PORT: '0', ISDOWN_STORE_TIMEOUT: '1s', ISDOWN_TOTAL_TIMEOUT: '2s', ISDOWN_HEADERS_TIMEOUT: '1s', ...LOCAL_TARGETS, ...FAST_ROUNDS, ...s.env }),
    { log: (l) => logs.push(l), stdout: out, interactive: false },
  );
  const say = (text: string): Promise<Message> => running.runtime.bot.handle(text, CONSOLE_REQUESTER);
  try {
    assert.match((await say(`watch ${site.url}${path} every 1s`)).title, /^Watching /);
    await until(() => (site.hits.get(path) ?? 0) >= 2, 'first checks');
    await s.breakStore();
    site.set(path, { kind: 'status', status: 503, body: 'down' });
    if (s.staysFailing) {
      await until(() => !running.runtime.store.health().ok, 'the store is seen failing');
      const health = healthReport(running.runtime);
      assert.equal(health.status, 'degraded');
      assert.ok(health.problems?.some((p) => p.startsWith('store: ')), JSON.stringify(health));
      const refused = await say(`watch ${site.url}/another every 1s`);
      assert.match(refused.title, /^I couldn't save that: the store is failing \(.+\)\. Nothing was changed; try again in a minute\.$/);
      // Rounds go on failing to write; none of them may alert (the alert is not durable yet) or crash.
      const seen = site.hits.get(path) ?? 0;
      await until(() => (site.hits.get(path) ?? 0) >= seen + 3, 'rounds while the store fails');
      assert.equal(count(out.text, /is down since/), 0, out.text);
    }
    await s.duringOutage?.();
    await s.healStore();
    await until(() => count(out.text, /is down since/) >= 1, () => `the down alert once the store is back\n${out.text}\n${logs.join('\n')}`, { withinMs: 60_000 });
    site.set(path, { kind: 'ok', body: 'fine' });
    await until(() => count(out.text, /recovered at/) >= 1, () => `the recovery\n${out.text}\n${logs.join('\n')}`, { withinMs: 60_000 });
    await until(() => running.runtime.store.health().ok, 'health back to ok');
    await settled(running.runtime.notifier!);
    // A little longer: a doubled alert would show here.
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(count(out.text, /is down since/), 1, out.text);
    assert.equal(count(out.text, /recovered at/), 1, out.text);
    assert.equal(healthReport(running.runtime).status, 'ok');
    // The watch made before the failure is still there, and the refused one never appeared.
    const list = await say('list');
    assert.match(list.title, /^This channel watches 1 service:$/, list.lines.join('\n'));
  } finally {
    await running.stop();
  }
}

describe('the store fails while a watched site goes down', () => {
  let site: FakeTarget;
  before(async () => {
    site = await startTarget();
  });
  after(() => site.close());

  it('SQLite on a full disk (a small tmpfs, filled, then freed)', async () => {
    const dir = join(scratchDir(), 'mnt');
    mkdirSync(dir);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
    assert.equal(mounted.status, 0, `this test mounts a tmpfs and needs root: ${mounted.stderr.toString()}`);
    const filler = join(dir, 'filler');
    try {
      await outageWhileTheStoreFails(site, '/sqlite-full', {
        env: { STORE_URL: `sqlite://${dir}/isdown.sqlite` },
        staysFailing: true,
        breakStore: async () => {
          try {
            for (;;) appendFileSync(filler, Buffer.alloc(4_096));
          } catch (err) {
            assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
          }
        },
        healStore: async () => rmSync(filler),
      });
    } finally {
      spawnSync('umount', ['-l', dir]);
    }
  });

  it('PostgreSQL backends terminated twice (pg_terminate_backend)', async () => {
    const app = uniquePrefix('pgterm');
    const url = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}application_name=${app}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    // Waits for the bot's pool to hold connections again, then ends them all.
    const terminate = async () => {
      let ended = 0;
      await until(async () => {
        const r = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
        ended = r.rowCount ?? 0;
        return ended > 0;
      }, 'the bot holds Postgres connections to terminate', { everyMs: 50 });
      assert.ok(ended >= 1);
    };
    try {
      await outageWhileTheStoreFails(site, '/pg-term', {
        env: { STORE_URL: url, ISDOWN_KEY_PREFIX: app },
        staysFailing: false,
        breakStore: terminate,
        duringOutage: terminate,
        healStore: async () => {},
      });
    } finally {
      await admin.query(`DROP TABLE IF EXISTS ${app}, ${app}_leases`).catch(() => undefined);
      await admin.end();
    }
  });

  describe('a Redis server of its own', () => {
    let port: number;
    let dir: string;
    let redis: ChildProcess | undefined;
    const startRedis = async () => {
      redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
      await until(() => spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG', 'redis-server answers', { withinMs: 10_000, everyMs: 100 });
    };
    before(async () => {
      port = await freePort();
      dir = scratchDir();
      await startRedis();
    });
    after(() => {
      redis?.kill('SIGCONT');
      redis?.kill('SIGKILL');
    });

    it('stopped with SIGSTOP, then continued', async () => {
      await outageWhileTheStoreFails(site, '/redis-stop', {
        env: { STORE_URL: `redis://127.0.0.1:${port}`, ISDOWN_KEY_PREFIX: 'stop' },
        staysFailing: true,
        breakStore: async () => void redis!.kill('SIGSTOP'),
        healStore: async () => void redis!.kill('SIGCONT'),
      });
    });

    it('killed, and started again 20 s later', async () => {
      let killedAt = 0;
      await outageWhileTheStoreFails(site, '/redis-kill', {
        env: { STORE_URL: `redis://127.0.0.1:${port}`, ISDOWN_KEY_PREFIX: 'kill' },
        staysFailing: true,
        breakStore: async () => {
          killedAt = Date.now();
          const gone = new Promise((r) => redis!.once('exit', r));
          redis!.kill('SIGKILL');
          await gone;
        },
        healStore: async () => {
          await new Promise((r) => setTimeout(r, Math.max(0, killedAt + 20_000 - Date.now())));
          await startRedis();
        },
      });
    });
  });
});

describe('a store that is not there', () => {
  let site: FakeTarget;
  before(async () => {
    site = await startTarget();
  });
  after(() => site.close());

  it('npm start against a Redis that is not there yet: one line per try, then it runs once Redis starts', async () => {
    const port = await freePort();
    const bot = startBot({ ...LOCAL_TARGETS, STORE_URL: `redis://127.0.0.1:${port}`, ISDOWN_KEY_PREFIX: 'late', ISDOWN_STORE_TIMEOUT: '1s' });
    let redis: ChildProcess | undefined;
    try {
      const err = await bot.waitForErr(/retrying in 2 s/, 20_000);
      assert.match(err, /^isdown: the store \(redis:\/\/127\.0\.0\.1:\d+\) is not reachable: .+; retrying in 1 s$/m);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
      redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await bot.waitForErr(/the store \(redis:\/\/127\.0\.0\.1:\d+\) answers; starting/, 40_000);
      bot.send(`watch ${site.url}/late every 1h`);
      await bot.waitFor(/Watching /);
    } finally {
      await bot.kill('SIGTERM');
      redis?.kill('SIGKILL');
    }
  });

  it('npm start against a Postgres that is down: one line per try, no stack trace, still waiting', async () => {
    const port = await freePort();
    const bot = startBot({ ...LOCAL_TARGETS, STORE_URL: `postgres://isdown:hunter2-secret@127.0.0.1:${port}/test` });
    try {
      const err = await bot.waitForErr(/retrying in 2 s/, 20_000);
      assert.match(err, /^isdown: the store \(postgres:\/\/isdown:\*\*\*@127\.0\.0\.1:\d+\/test\) is not reachable: .*ECONNREFUSED.*; retrying in 1 s$/m);
      assert.doesNotMatch(err, /hunter2/);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    } finally {
      assert.notEqual(await bot.kill('SIGTERM'), 78, 'a missing store is not a wrong setting');
    }
  });

  it('isdown check answers with the store down, without other teams\' reports', async () => {
    const port = await freePort();
    const r = await runIsdown(['check', `${site.url}/ok`], { ...LOCAL_TARGETS, STORE_URL: `postgres://postgres@127.0.0.1:${port}/test` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /is up/);
    assert.match(r.stderr, /the store is failing \(.*ECONNREFUSED.*\); checking without other teams' reports/);
  });
});
