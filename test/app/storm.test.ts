import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createNotifier, type Notifier } from '../../src/app/notifier.ts';
import { applyEvent, clockFormat, type Incident } from '../../src/core/incident.ts';
import { incidentChangeMessage, incidentRootMessage, type Message } from '../../src/core/messages.ts';
import type { AlertEvent } from '../../src/core/monitor.ts';
import type { ChatAdapter, PlatformRef } from '../../src/core/notify.ts';
import { DEFAULT_STORM } from '../../src/core/storm.ts';
import { channelId, type ChannelRef } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createOutboxRepository, type OutboxEntry } from '../../src/store/outbox.ts';
import { createStormRepository } from '../../src/store/storms.ts';
import { startTarget } from '../fakes/target.ts';
import { likelyCause } from '../../src/app/likely-cause.ts';
import { scratchDir, startBot } from '../support/run-isdown.ts';
import { FAST_ROUNDS, LOCAL_TARGETS } from '../support/settings.ts';
import { settled } from '../support/notifier.ts';

const clock = clockFormat('UTC');
const T0 = Date.parse('2026-12-01T11:23:00Z');
const chan = (c: string): ChannelRef => ({ platform: 'test', tenant: 'T1', channel: c });

/** A platform that records, per channel, what was posted, edited and replied. */
function recordingPlatform() {
  const log = new Map<string, string[]>();
  let n = 0;
  const push = (c: ChannelRef, line: string) => {
    const k = channelId(c);
    log.set(k, [...(log.get(k) ?? []), line]);
  };
  const adapter: ChatAdapter = {
    platform: 'test',
    async post(to, m: Message): Promise<PlatformRef> {
      const id = `m${++n}`;
      push(to, `post ${id} ${m.title}\n${m.lines.join('\n')}`);
      return { id, channel: to.channel };
    },
    async update(to, ref, m) {
      push(to, `update ${ref.id} ${m.title}\n${m.lines.join('\n')}`);
    },
    async reply(to, parent, m, o) {
      push(to, `reply ${parent.id}${o.broadcast ? ' (broadcast)' : ''} ${m.title}`);
      return { id: `r${++n}`, channel: to.channel };
    },
  };
  const posts = (c: ChannelRef) => (log.get(channelId(c)) ?? []).filter((l) => l.startsWith('post '));
  return { adapter, log, posts };
}

/** The entries the watcher makes for one event of one incident, as it makes them. */
function alert(incidents: Map<string, Incident>, service: string, e: AlertEvent, channels: readonly ChannelRef[], at: number): OutboxEntry[] {
  const before = incidents.get(e.incidentId);
  const incident = applyEvent(before, e, { monitorKey: service, targetId: service, service });
  incidents.set(e.incidentId, incident);
  const seq = incident.timeline.length - 1;
  const root = incidentRootMessage(incident, at, clock);
  const reply = e.type === 'opened' ? undefined : incidentChangeMessage(e, incident, at, clock);
  return channels.map((c) => ({ id: `${incident.id}:${seq}:${channelId(c)}`, channel: c, incidentId: incident.id, root, ...(reply ? { reply } : {}), broadcast: e.type === 'recovered', createdAt: at, attempts: 0, nextAt: at, done: {} }));
}

function setup(policy = { ...DEFAULT_STORM, holdMs: 500 }) {
  const kv = memoryStore();
  const platform = recordingPlatform();
  // The clock runs (held alerts fall due) and tests jump it forward.
  const start = Date.now();
  let offset = 0;
  const now = () => T0 + (Date.now() - start) + offset;
  const notifier: Notifier = createNotifier({
    outbox: createOutboxRepository(kv),
    adapters: new Map([['test', platform.adapter]]),
    refTtlMs: 86_400_000,
    now,
    log: () => {},
    storms: { repo: createStormRepository(kv, 86_400_000), policy, clock, cause: async (targets) => (targets.includes('svc-0') ? "Likely cause: Cloudflare's status page reports a major outage." : undefined) },
  });
  const incidents = new Map<string, Incident>();
  const settle = async (ms = 700) => {
    await new Promise((r) => setTimeout(r, ms));
    await settled(notifier);
  };
  return { notifier, platform, incidents, settle, tick: (ms: number) => (offset += ms), at: now, outbox: createOutboxRepository(kv) };
}

describe('storm grouping', () => {
  it('30 services failing in the same second: one root message per channel, naming all 30; later events in its thread; recoveries grouped', async () => {
    const s = setup();
    const a = chan('CA');
    const b = chan('CB');
    const services = Array.from({ length: 30 }, (_, i) => `svc-${i}`);
    for (const svc of services) {
      await s.notifier.enqueue(alert(s.incidents, svc, { type: 'opened', incidentId: `${svc}-1`, health: 'down', at: s.at(), summary: '503 Service Unavailable', silent: false }, [a, b], s.at()));
    }
    await s.settle();
    for (const c of [a, b]) {
      const posts = s.platform.posts(c);
      assert.equal(posts.length, 1, posts.join('\n---\n'));
      assert.match(posts[0]!, /^post m\d+ 30 services down since 11:23\n/);
      assert.match(posts[0]!, /Likely cause: Cloudflare's status page reports a major outage\./);
      for (const svc of services) assert.ok(posts[0]!.includes(`• ${svc} is down since 11:23`), svc);
    }

    // One gets worse, a late one fails too: replies in the storm's thread, the root brought up to date.
    s.tick(20_000);
    await s.notifier.enqueue(alert(s.incidents, 'svc-3', { type: 'changed', incidentId: 'svc-3-1', from: 'down', to: 'partial', at: s.at(), summary: 'some pages answer', silent: false }, [a], s.at()));
    await s.notifier.enqueue(alert(s.incidents, 'late', { type: 'opened', incidentId: 'late-1', health: 'down', at: s.at(), summary: 'timeout', silent: false }, [a], s.at()));
    await s.settle();
    const rootA = /^post (m\d+)/.exec(s.platform.posts(a)[0]!)![1]!;
    const logA = s.platform.log.get(channelId(a))!;
    assert.equal(s.platform.posts(a).length, 1, logA.join("\n").replace(/\n•[^\n]*/g, ""));
    assert.ok(logA.includes(`reply ${rootA} svc-3 is partially down (11:23)`), logA.join('\n'));
    assert.ok(logA.some((l) => l.startsWith(`reply ${rootA} Also: late is down since`)), logA.join('\n'));
    assert.ok(logA.some((l) => l.startsWith(`update ${rootA} 31 services down since 11:23`)));

    // 29 recover within the hold: one reply names them; the last two later, then all clear.
    s.tick(600_000);
    for (const svc of services.slice(0, 29)) await s.notifier.enqueue(alert(s.incidents, svc, { type: 'recovered', incidentId: `${svc}-1`, at: s.at(), summary: '200 OK', silent: false }, [a, b], s.at()));
    await s.settle();
    assert.equal(s.platform.log.get(channelId(a))!.filter((l) => / 29 recovered at /.test(l)).length, 1, s.platform.log.get(channelId(a))!.join("\n").replace(/\n•[^\n]*/g, ""));
    assert.ok(s.platform.log.get(channelId(a))!.some((l) => l.startsWith(`update ${rootA} 31 services down since 11:23 — 29 recovered`)));
    s.tick(60_000);
    await s.notifier.enqueue(alert(s.incidents, 'svc-29', { type: 'recovered', incidentId: 'svc-29-1', at: s.at(), summary: '200 OK', silent: false }, [a, b], s.at()));
    await s.notifier.enqueue(alert(s.incidents, 'late', { type: 'recovered', incidentId: 'late-1', at: s.at(), summary: '200 OK', silent: false }, [a], s.at()));
    await s.settle();
    const finalA = s.platform.log.get(channelId(a))!;
    assert.ok(finalA.some((l) => l.startsWith(`reply ${rootA} (broadcast) ✅ 2 recovered at`)), finalA.join('\n'));
    assert.ok(finalA.some((l) => l.startsWith(`update ${rootA} 31 services recovered — down 11:23–11:34 (11 min)`)), finalA.join('\n'));
    // Channel B never saw the late one, and its storm closed with svc-29.
    assert.ok(s.platform.log.get(channelId(b))!.some((l) => /^update m\d+ 30 services recovered/.test(l)));
    assert.equal(s.platform.posts(a).length + s.platform.posts(b).length, 2);
    assert.deepEqual(await s.outbox.pending(), []);
    await s.notifier.stop();
  });

  it('two failures alone are two alerts; a third within the window starts a storm that names the first two', async () => {
    const s = setup();
    const a = chan('CA');
    const open = (svc: string) => s.notifier.enqueue(alert(s.incidents, svc, { type: 'opened', incidentId: `${svc}-1`, health: 'down', at: s.at(), summary: 'x', silent: false }, [a], s.at()));
    await open('one');
    await s.settle();
    s.tick(10_000);
    await open('two');
    await s.settle();
    assert.equal(s.platform.posts(a).length, 2);
    s.tick(10_000);
    await open('three');
    await s.settle();
    const posts = s.platform.posts(a);
    assert.equal(posts.length, 3);
    assert.match(posts[2]!, /^post m\d+ 1 services down since/);
    assert.match(posts[2]!, /Also down shortly before, alerted on their own: one, two\./);
    // Outside the window, a lone failure is a lone alert again.
    const quiet = setup();
    const open2 = (svc: string) => quiet.notifier.enqueue(alert(quiet.incidents, svc, { type: 'opened', incidentId: `${svc}-1`, health: 'down', at: quiet.at(), summary: 'x', silent: false }, [a], quiet.at()));
    for (const svc of ['p', 'q', 'r']) {
      await open2(svc);
      await quiet.settle();
      quiet.tick(61_000);
    }
    assert.deepEqual(quiet.platform.posts(a).map((p) => p.split('\n')[0]!.replace(/^post m\d+ /, '')), ['p is down since 11:23', 'q is down since 11:24', 'r is down since 11:25']);
  });

  it('a channel a program reads (an outbound webhook) gets every alert on its own, at once', async () => {
    const kv = memoryStore();
    const posted: string[] = [];
    const hook: ChatAdapter = { platform: 'hook', ungrouped: true, post: async (_to, m) => (posted.push(m.title), { id: m.title, channel: 'h' }), update: async () => {}, reply: async () => ({ id: 'r', channel: 'h' }) };
    const notifier = createNotifier({ outbox: createOutboxRepository(kv), adapters: new Map([['hook', hook]]), refTtlMs: 86_400_000, log: () => {}, storms: { repo: createStormRepository(kv, 86_400_000), policy: { ...DEFAULT_STORM, holdMs: 60_000 }, clock } });
    const incidents = new Map<string, Incident>();
    const t = Date.now();
    for (let i = 0; i < 5; i++) await notifier.enqueue(alert(incidents, `h${i}`, { type: 'opened', incidentId: `h${i}-1`, health: 'down', at: t, summary: 'x', silent: false }, [{ platform: 'hook', tenant: 'webhook', channel: 'ops' }], t));
    await settled(notifier);
    assert.equal(posted.length, 5);
    await notifier.stop();
  });

  it('a storm survives a restart: a member recovering after it is told in the same thread', async () => {
    const kv = memoryStore();
    const platform = recordingPlatform();
    const incidents = new Map<string, Incident>();
    const make = () => createNotifier({ outbox: createOutboxRepository(kv), adapters: new Map([['test', platform.adapter]]), refTtlMs: 86_400_000, log: () => {}, storms: { repo: createStormRepository(kv, 86_400_000), policy: { ...DEFAULT_STORM, holdMs: 200 }, clock } });
    const a = chan('CA');
    const first = make();
    const t0 = Date.now();
    for (const svc of ['x', 'y', 'z']) await first.enqueue(alert(incidents, svc, { type: 'opened', incidentId: `${svc}-1`, health: 'down', at: t0, summary: 'x', silent: false }, [a], t0));
    await new Promise((r) => setTimeout(r, 300));
    await settled(first);
    await first.stop();
    const second = make();
    await second.resume();
    await second.enqueue(alert(incidents, 'y', { type: 'recovered', incidentId: 'y-1', at: Date.now(), summary: 'ok', silent: false }, [a], Date.now()));
    await new Promise((r) => setTimeout(r, 300));
    await settled(second);
    const log = platform.log.get(channelId(a))!;
    assert.equal(log.filter((l) => l.startsWith('post ')).length, 1, log.join('\n'));
    assert.ok(log.some((l) => l.startsWith('reply m1 ✅ y recovered')), log.join('\n'));
    await second.stop();
  });
});

describe('storm grouping, end to end', () => {
  it('30 local targets failing in the same second: one root alert in the channel, all 30 named; their recovery grouped the same way', async () => {
    const site = await startTarget();
    const dir = scratchDir();
    const paths = Array.from({ length: 30 }, (_, i) => `/s${i}`);
    for (const p of paths) site.set(p, { kind: 'ok', body: 'fine' });
    const bot = startBot({ ...LOCAL_TARGETS, ...FAST_ROUNDS, ISDOWN_HOST_CONCURRENCY: '30', ISDOWN_STORM_HOLD: '5s', STORE_URL: `sqlite://${dir}/isdown.sqlite` });
    try {
      for (const p of paths) bot.send(`watch ${site.url}${p} every 2s`);
      await bot.waitFor(new RegExp(`Watching 127\\.0\\.0\\.1:${site.port}/s29 every 2s`));
      await new Promise((r) => setTimeout(r, 3_000));
      const quiet = bot.output().length;
      for (const p of paths) site.set(p, { kind: 'status', status: 503, body: 'Service Unavailable' });
      await bot.waitFor(/\[alert #\d+\] 🔴 30 services down since/, 40_000);
      const told = bot.output().slice(quiet);
      const roots = new Set([...told.matchAll(/^\[alert #(\d+)\]/gm)].map((m) => m[1]));
      assert.equal(roots.size, 1, told);
      for (const p of paths) assert.ok(told.includes(`127.0.0.1:${site.port}${p} is down since`), p);

      for (const p of paths) site.set(p, { kind: 'ok', body: 'fine' });
      await bot.waitFor(/✅ 30 recovered at/, 40_000);
      const all = bot.output().slice(quiet);
      assert.equal(new Set([...all.matchAll(/^\[alert #(\d+)\]/gm)].map((m) => m[1])).size, 1, all);
      assert.equal(all.match(/recovered at/g)?.length, 1, all);
    } finally {
      await bot.kill('SIGTERM');
      await site.close();
    }
  });
});

describe('likely cause', () => {
  const svc = (id: string, dependsOn?: string[]) => ({ id, name: id.toUpperCase(), aliases: [], urls: [`https://${id}.example/`], statusPage: null, ...(dependsOn ? { dependsOn } : {}) });
  const services = [svc('shop', ['cdn', 'cloud']), svc('blog', ['cdn']), svc('cdn'), svc('cloud')];
  const trouble = (id: string, indicator: 'critical' | 'minor', incident?: string) => ({ id, name: id.toUpperCase(), indicator, description: '', since: T0, incidents: incident ? [{ name: incident }] : [] });
  const port = (t: ReturnType<typeof trouble>[], polling = true) => ({ polling, snapshot: async () => knownTroubleOf(t), history: async () => undefined });
  const knownTroubleOf = (t: ReturnType<typeof trouble>[]) => ({ at: T0, services: 4, read: 4, trouble: t });

  it("names the worst-off dependency of the failing services, from its own page", async () => {
    const cause = await likelyCause(['shop', 'https://other.example/'], services, port([trouble('cdn', 'critical', 'Elevated errors'), trouble('cloud', 'minor')]));
    assert.equal(cause, `Likely cause: CDN's status page reports a major outage ("Elevated errors").`);
  });

  it('says nothing when no dependency reports trouble, none is declared, or pages are not read', async () => {
    assert.equal(await likelyCause(['blog'], services, port([trouble('cloud', 'critical')])), undefined);
    assert.equal(await likelyCause(['cdn'], services, port([trouble('cdn', 'critical')])), undefined);
    assert.equal(await likelyCause(['shop'], services, port([trouble('cdn', 'critical')], false)), undefined);
  });
});
