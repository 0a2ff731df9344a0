import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { keyvInstallationStore } from '../../adapters/slack/slack.ts';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { createNotifier } from '../../src/app/notifier.ts';
import { infoMessage } from '../../src/core/messages.ts';
import type { ChatAdapter } from '../../src/core/notify.ts';
import { monitorKey, type ChannelRef } from '../../src/core/watch.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { openStore, type StoreHandle } from '../../src/store/open.ts';
import { createOutboxRepository, type OutboxEntry } from '../../src/store/outbox.ts';
import { createReportRepository } from '../../src/store/reports.ts';
import { createRollupRepository } from '../../src/store/rollups.ts';
import { createPageRepository, SLUG_PATTERN } from '../../src/store/pages.ts';
import { DAY_MS, dayOf, emptyRollup, HOUR_MS, hourOf, tally } from '../../src/core/rollup.ts';
import { DATABASE_URL, dropRedisPrefix, REDIS_URL, uniquePrefix } from '../support/services.ts';
import { scratchDir } from '../support/run-isdown.ts';
import { sqliteLeases } from '../../src/store/lease-sqlite.ts';
import { settled } from '../support/notifier.ts';

const target = (() => {
  const r = adhocTarget('https://example.com/', makePolicy());
  if (!r.ok) throw new Error(r.message);
  return r.target;
})();
const spec = { key: monitorKey(target.id, {}), target };
const channel = (n: number): ChannelRef => ({ platform: 'slack', tenant: 'T1', channel: `C${n}` });
const watch = (n: number) => ({ channel: channel(n), everyMs: 60_000, createdBy: 'U1', createdAt: 0 });
const entry = (id: string): OutboxEntry => ({ id, channel: channel(1), incidentId: 'i1', root: infoMessage(`root ${id}`), broadcast: false, createdAt: 0, attempts: 0, nextAt: 0, done: {} });

const opened: StoreHandle[] = [];
const tables: string[] = [];
const redisPrefixes: string[] = [];
async function open(url: string, prefix: string): Promise<StoreHandle> {
  const s = await openStore(url, { prefix });
  opened.push(s);
  return s;
}

after(async () => {
  for (const s of opened) await s.close();
  if (tables.length) {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    for (const t of tables) await client.query(`DROP TABLE IF EXISTS ${t}, ${t}_leases`);
    await client.end();
  }
  for (const p of redisPrefixes) await dropRedisPrefix(p);
});

const backends = [
  { name: 'SQLite (embedded)', url: () => `sqlite://${scratchDir()}/s.sqlite`, shared: false },
  { name: 'Redis', url: () => REDIS_URL, shared: true },
  { name: 'PostgreSQL', url: () => DATABASE_URL, shared: true },
];

for (const b of backends) {
  describe(`every repository on ${b.name}`, () => {
    const fresh = async (label: string) => {
      const prefix = uniquePrefix(label);
      if (b.name === 'PostgreSQL') tables.push(prefix);
      if (b.name === 'Redis') redisPrefixes.push(prefix);
      const url = b.url();
      return { prefix, url, store: await open(url, prefix) };
    };

    it('monitors: watch, list by channel, state, incidents, unwatch', async () => {
      const { store } = await fresh('mon');
      const repo = createMonitorRepository(store.kv, { retentionMs: 86_400_000, lock: store.lock });
      await repo.watch(spec, watch(1));
      await repo.watch(spec, watch(2));
      assert.equal((await repo.all()).length, 1);
      assert.equal((await repo.get(spec.key))!.watches.length, 2);
      assert.deepEqual((await repo.forChannel(channel(2))).map((r) => r.key), [spec.key]);
      await repo.saveIncident({ id: 'inc-1', monitorKey: spec.key, targetId: target.id, openedAt: 1, timeline: [] } as never);
      await repo.saveState(spec.key, { health: 'down' } as never);
      assert.deepEqual((await repo.incidentsOf(spec.key)).map((i) => i.id), ['inc-1']);
      await repo.unwatch(spec.key, channel(1));
      assert.ok(await repo.getState(spec.key), 'another channel still watches it: state kept');
      await repo.unwatch(spec.key, channel(2));
      assert.equal(await repo.get(spec.key), undefined);
      assert.deepEqual(await repo.all(), []);
      // The last channel gone: no state to come back to, the open incident closed quietly but kept for history.
      assert.equal(await repo.getState(spec.key), undefined);
      const [kept] = await repo.incidentsOf(spec.key);
      assert.equal(kept!.id, 'inc-1');
      assert.ok(kept!.closedAt !== undefined && kept!.unwatchedAt === kept!.closedAt);
      assert.deepEqual(await repo.counts(channel(1), 'U1'), { channel: 0, person: 0 });
    });

    it('rollups: hours add up, a day is folded after 48 h, and expires with retention', async () => {
      const { store } = await fresh('roll');
      let clock = Date.UTC(2026, 10, 20, 10, 30);
      const rollups = createRollupRepository(store.kv, { retentionMs: 3 * DAY_MS, now: () => clock });
      const hourly = (at: number, n: number, failures: number) => {
        const r = emptyRollup();
        for (let i = 0; i < n; i++) tally(r, { state: i < failures ? 'down' : 'up', latencyMs: 120 });
        return new Map([[hourOf(at), r]]);
      };
      await rollups.add('m1', hourly(clock, 30, 0));
      await rollups.add('m1', hourly(clock, 30, 3));
      await rollups.add('m1', hourly(clock + HOUR_MS, 60, 0));
      const today = dayOf(clock);
      let read = (await rollups.days('m1', today, today)).get(today)!;
      assert.equal(read.hours.size, 2, 'kept hourly while recent');
      assert.deepEqual([read.total.checks, read.total.failures], [120, 3]);
      assert.equal(read.hours.get(hourOf(clock))!.checks, 60, 'two writes to one hour add up');
      // Three days on, a write to that day's monitor folds the old day into its history.
      clock += 3 * DAY_MS;
      await rollups.add('m1', hourly(clock, 1, 0));
      read = (await rollups.days('m1', today, today)).get(today)!;
      assert.equal(read.hours.size, 0, 'folded: no hours left');
      assert.deepEqual([read.total.checks, read.total.failures, read.total.maxMs], [120, 3, 120]);
      assert.equal(await store.kv.get(`rollup:m1:${today}`), undefined, 'the day itself is gone');
      const raw = String(await store.kv.get('rollhist:m1'));
      assert.ok(raw.length < 60, `a folded day is a few numbers: ${raw}`);
      // Hours owed for a day already folded join its total; 90 days are one read plus the recent days.
      await rollups.add('m1', hourly(today * DAY_MS + 5 * HOUR_MS, 10, 10));
      assert.deepEqual([(await rollups.days('m1', today - 90, dayOf(clock))).get(today)!.total.checks, (await rollups.days('m1', today, today)).get(today)!.total.failures], [130, 13]);
      // Retention bounds it: a day written with 50 ms of retention left is gone 50 ms later, from
      // the disk too (keyv drops an expired SQLite or Postgres row only when it is read; the
      // sweep deletes those nobody reads). Redis expires it itself.
      const lastDay = today + 10;
      let clock2 = (lastDay + 1) * DAY_MS + DAY_MS - 50;
      const shortLived = createRollupRepository(store.kv, { retentionMs: DAY_MS, now: () => clock2 });
      await shortLived.add('m2', hourly(lastDay * DAY_MS, 5, 0));
      assert.equal((await shortLived.days('m2', lastDay, lastDay)).get(lastDay)?.total.checks, 5);
      await new Promise((r) => setTimeout(r, 120));
      const swept = await store.sweep();
      if (b.name === 'Redis') assert.equal(swept, 0, 'Redis expires keys itself');
      else assert.ok(swept >= 1, `the sweep deleted the expired day (${swept})`);
      assert.equal(await store.sweep(), 0, 'nothing left to sweep');
      clock2 += 100;
      assert.equal((await shortLived.days('m2', lastDay, lastDay)).size, 0);
      assert.equal((await rollups.days('m1', today, today)).size, 1);
      clock += 2 * DAY_MS;
      assert.equal((await rollups.days('m1', today, today)).size, 0, "two days on, m1's day is past retention too");
    });

    it('status pages: one slug per channel, unguessable, retired for good', async () => {
      const { store } = await fresh('page');
      const pages = createPageRepository(store.kv, store.lock);
      const slug = await pages.slug(channel(1));
      assert.match(slug, SLUG_PATTERN);
      assert.equal(await pages.slug(channel(1)), slug, 'asking again answers the same page');
      assert.notEqual(await pages.slug(channel(2)), slug);
      assert.deepEqual(await pages.channelOf(slug), channel(1));
      assert.equal(await pages.retire(channel(1)), true);
      assert.equal(await pages.channelOf(slug), undefined);
      assert.equal(await pages.retire(channel(1)), false);
      assert.notEqual(await pages.slug(channel(1)), slug, 'a new page gets a new address');
      assert.equal(await pages.channelOf('../../etc/passwd'), undefined);
    });

    it('outbox: enqueue once, pending, delivered is remembered', async () => {
      const { store } = await fresh('out');
      const outbox = createOutboxRepository(store.kv, store.lock);
      assert.equal((await outbox.enqueue([entry('a'), entry('b')])).length, 2);
      assert.equal((await outbox.enqueue([entry('a')])).length, 0, 'already pending');
      await outbox.delivered('a');
      assert.deepEqual((await outbox.pending()).map((e) => e.id), ['b']);
      assert.equal((await outbox.enqueue([entry('a')])).length, 0, 'already sent');
    });

    it('reports and the Slack installation store', async () => {
      const { store } = await fresh('rep');
      const reports = await createReportRepository(store.kv, store.lock);
      assert.deepEqual(await reports.add('github', 'T1', 'U1', 1_000), { accepted: true });
      assert.equal((await reports.add('github', 'T1', 'U1', 2_000)).accepted, false);
      assert.equal((await reports.summary('github', 3_000)).reports, 1);
      const installs = keyvInstallationStore(store.kv);
      await installs.storeInstallation({ team: { id: 'T9' }, enterprise: undefined, user: { id: 'U', token: undefined, scopes: undefined }, bot: { token: 'xoxb-9', scopes: [], id: 'B', userId: 'UB' } } as never);
      assert.equal(((await installs.fetchInstallation({ teamId: 'T9', enterpriseId: undefined, isEnterpriseInstall: false })) as { bot?: { token: string } }).bot?.token, 'xoxb-9');
      await installs.deleteTeam('T9');
      await assert.rejects(installs.fetchInstallation({ teamId: 'T9', enterpriseId: undefined, isEnterpriseInstall: false }), /no installation/);
    });

    // The embedded file is shared too: by the bot and an `isdown import` run beside it.
    it('two processes sharing it: one report per user per window, however they race', async () => {
      const { prefix, url, store: a } = await fresh('race');
      const bStore = await open(url, prefix);
      const ra = await createReportRepository(a.kv, a.lock);
      const rb = await createReportRepository(bStore.kv, bStore.lock);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? ra : rb).add('github', 'T1', 'U1', 10_000 + i)));
      assert.equal(results.filter((r) => r.accepted).length, 1);
      assert.equal((await ra.summary('github', 20_000)).reports, 1);
    });

    it('two processes sharing it: concurrent watches of one monitor all land; one outbox entry is enqueued once', async () => {
      const { prefix, url, store: a } = await fresh('watch');
      const bStore = await open(url, prefix);
      const ma = createMonitorRepository(a.kv, { retentionMs: 86_400_000, lock: a.lock });
      const mb = createMonitorRepository(bStore.kv, { retentionMs: 86_400_000, lock: bStore.lock });
      await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? ma : mb).watch(spec, watch(i))));
      assert.equal((await ma.get(spec.key))!.watches.length, 20);
      assert.equal((await mb.all()).length, 1);
      const oa = createOutboxRepository(a.kv, a.lock);
      const ob = createOutboxRepository(bStore.kv, bStore.lock);
      const fresh2 = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? oa : ob).enqueue([entry('same')])));
      assert.equal(fresh2.flat().length, 1);
      assert.equal((await ob.pending()).length, 1);
    });

    it('two processes resuming one outbox deliver each alert once', async () => {
      const { prefix, url, store: a } = await fresh('claim');
      const bStore = await open(url, prefix);
      const posted: string[] = [];
      const platform: ChatAdapter = {
        platform: 'slack',
        async post(_to, m) {
          await new Promise((r) => setTimeout(r, 20));
          posted.push(m.title);
          return { id: String(posted.length), channel: 'C1' };
        },
        update: async () => {},
        reply: async () => ({ id: 'r', channel: 'C1' }),
      };
      const ids = Array.from({ length: 10 }, (_, i) => `e${i}`);
      await createOutboxRepository(a.kv, a.lock).enqueue(ids.map((id) => ({ ...entry(id), incidentId: id })));
      const notifiers = [a, bStore].map((s) => createNotifier({ outbox: createOutboxRepository(s.kv, s.lock), adapters: new Map([['slack', platform]]), refTtlMs: 60_000, log: () => {} }));
      await Promise.all(notifiers.map((n) => n.resume()));
      await Promise.all(notifiers.map((n) => settled(n)));
      await Promise.all(notifiers.map((n) => n.stop()));
      assert.deepEqual([...posted].sort(), ids.map((id) => `root ${id}`).sort());
    });

    it('a lease held by a process that died expires; only its holder can release it', async () => {
      const { url, store } = await fresh('lease');
      // The embedded store keeps its leases for its locks only: no scheduler is elected on a file.
      assert.equal(store.leases === undefined, !b.shared);
      const leases = store.leases ?? sqliteLeases(url.slice('sqlite://'.length), 'lease', 1_000);
      assert.equal(await leases.tryAcquire('k', 'dead', 300), true);
      assert.equal(await leases.tryAcquire('k', 'alive', 300), false);
      await leases.release('k', 'alive');
      assert.equal(await leases.tryAcquire('k', 'alive', 300), false, 'a stranger cannot release it');
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await leases.tryAcquire('k', 'alive', 300), true, 'expired');
      assert.equal(await leases.renew('k', 'dead', 300), false);
      assert.equal(await leases.renew('k', 'alive', 300), true);
    });
  });
}
