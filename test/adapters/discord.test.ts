import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { COLORS, EMBED_LIMITS, toDiscord } from '../../adapters/discord/embeds.ts';
import { startBotProcess, type RunningBot } from '../../src/app/bot-process.ts';
import { loadConfig } from '../../src/app/config.ts';
import { infoMessage } from '../../src/core/messages.ts';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { scratchDir } from '../support/run-isdown.ts';
import { LOCAL_TARGETS, FAST_ROUNDS } from '../support/settings.ts';
import { until } from '../support/until.ts';
import { settled } from '../support/notifier.ts';

const GUILD = '800000000000000001';
const C1 = '810000000000000001';
const C2 = '810000000000000002';
const C3 = '810000000000000003';
const GUILD2 = '800000000000000002';
const C4 = '810000000000000004';
const C5 = '810000000000000005';
const OWNER = '820000000000000001';
const MANAGE_GUILD = String(1 << 5);

function member(id: string, permissions: string) {
  return { user: { id, username: `user${id.slice(-3)}`, discriminator: '0', global_name: null, avatar: null }, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0, pending: false, permissions };
}

function button(customId: string, opts: { permissions?: string; user?: string } = {}) {
  const message = { id: '840000000000000001', channel_id: C1, type: 0, content: '', author: { id: '900000000000000001', username: 'isdown', discriminator: '0', global_name: null, avatar: null, bot: true }, timestamp: new Date().toISOString(), edited_timestamp: null, tts: false, mention_everyone: false, mentions: [], mention_roles: [], attachments: [], embeds: [], pinned: false, components: [] };
  return { type: 3, guild_id: GUILD, channel_id: C1, channel: { id: C1, type: 0, guild_id: GUILD, name: 'general', permissions: '2147483647' }, member: member(opts.user ?? OWNER, opts.permissions ?? MANAGE_GUILD), message, data: { custom_id: customId, component_type: 2 } };
}

function command(sub: string, options: Record<string, string>, opts: { channel?: string; user?: string; permissions?: string } = {}) {
  const channel = opts.channel ?? C1;
  return {
    type: 2,
    guild_id: GUILD,
    channel_id: channel,
    channel: { id: channel, type: 0, guild_id: GUILD, name: 'general', permissions: '2147483647' },
    member: member(opts.user ?? '820000000000000001', opts.permissions ?? MANAGE_GUILD),
    data: { id: '830000000000000001', name: 'isdown', type: 1, options: [{ type: 1, name: sub, options: Object.entries(options).map(([name, value]) => ({ type: 3, name, value })) }] },
  };
}

describe('Discord embeds', () => {
  it('colours by state and summarises instead of breaking the limits', () => {
    const m = toDiscord({ ...infoMessage('t'.repeat(400), Array.from({ length: 300 }, () => 'x'.repeat(50))), tone: 'down', fields: Array.from({ length: 40 }, (_, i) => ({ label: `f${i}`, value: 'v'.repeat(900) })) });
    const e = m.embeds[0]!;
    assert.equal(e.color, COLORS.down);
    assert.ok(e.title.length <= EMBED_LIMITS.title);
    assert.ok((e.description ?? '').length <= EMBED_LIMITS.description);
    assert.ok((e.fields ?? []).length <= EMBED_LIMITS.fields);
    const total = e.title.length + (e.description ?? '').length + (e.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0);
    assert.ok(total <= EMBED_LIMITS.total, String(total));
  });

  it('shows times as Discord timestamps, which each reader sees in their own time zone', () => {
    const at = Date.UTC(2026, 10, 25, 11, 23, 0);
    const e = toDiscord({ ...infoMessage('github is down'), tone: 'down', at }).embeds[0]!;
    assert.match(e.description ?? '', new RegExp(`Checked <t:${at / 1_000}:R>`));
    assert.equal(e.timestamp, '2026-11-25T11:23:00.000Z');
    for (const [tone, color] of [['up', 0x2ecc71], ['degraded', 0xf1c40f], ['partial', 0xe67e22], ['maintenance', 0x3498db], ['unknown', 0x95a5a6]] as const) {
      assert.equal(toDiscord({ ...infoMessage('x'), tone }).embeds[0]!.color, color, tone);
    }
  });
});

describe('the real discord.js against a fake Discord', () => {
  let discord: FakeDiscord;
  let site: FakeTarget;
  let running: RunningBot;
  const logs: string[] = [];

  before(async () => {
    discord = await startFakeDiscord({ guilds: [{ id: GUILD, channels: [C1, C2, C3] }, { id: GUILD2, channels: [C4, C5] }] });
    site = await startTarget();
    const config = loadConfig({
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: `sqlite://${scratchDir()}/s.sqlite`,
      PORT: '0',
      ...LOCAL_TARGETS,
      ...FAST_ROUNDS,
      ISDOWN_RESTRICT_CHANGES: 'true',
    });
    running = await startBotProcess(config, { log: (l) => logs.push(l), stdout: new Writable({ write: (_c, _e, cb) => cb() }), interactive: false });
  });
  after(async () => {
    await running.stop();
    await discord.close();
    await site.close();
  });

  it('connects through the gateway: HELLO, IDENTIFY, READY', () => {
    assert.ok(discord.opcodes.includes(2), 'identified');
    assert.ok(discord.calls.some((c) => c.path === '/gateway/bot' && c.status === 200));
  });

  it('check defers at once and edits the answer in, with an embed coloured by state and buttons', async () => {
    const id = discord.interact(command('check', { service: `${site.url}/ok` }));
    const r = await until(() => discord.responses.get(id)?.original && discord.responses.get(id), 'edited answer');
    assert.equal(r.type, 5, 'deferred');
    const embed = (r.original!.embeds as { title: string; color: number }[])[0]!;
    assert.match(embed.title, /^✅ 127\.0\.0\.1:\d+\/ok is up — it's just you\./);
    assert.equal(embed.color, COLORS.up);
    const buttons = (r.original!.components as { components: { custom_id?: string }[] }[])[0]!.components;
    assert.ok(buttons.some((b) => b.custom_id === `isdown:recheck:${site.url}/ok`));
  });

  it('help is ephemeral; an unknown service answers privately', async () => {
    const help = discord.interact(command('help', {}));
    const r = await until(() => discord.responses.get(help), 'help');
    assert.equal(r.type, 4);
    assert.equal((r.data!.flags as number) & 64, 64);
    const bad = discord.interact(command('check', { service: 'twiter' }));
    const b = await until(() => discord.responses.get(bad)?.followups[0] && discord.responses.get(bad), 'error follow-up');
    assert.equal(((b.followups[0]!.flags as number) ?? 0) & 64, 64);
    assert.match(JSON.stringify(b.followups[0]!.embeds), /did you mean twitter/);
  });

  it("a heartbeat's answer, which holds its secret URL, is only ever private", async () => {
    const id = discord.interact(command('heartbeat', { name: 'nightly-backup', every: '1d' }));
    const r = await until(() => discord.responses.get(id), 'heartbeat answer');
    assert.equal(r.type, 4, 'answered at once, never as a public placeholder');
    assert.equal((r.data!.flags as number) & 64, 64);
    assert.match(JSON.stringify(r.data!.embeds), /\/push\/[A-Za-z0-9_-]{24}/);
    // Any private answer (here: a second report) replaces no public placeholder either.
    for (let n = 0; n < 2; n++) {
      const rep = discord.interact(command('report', { service: 'github' }));
      const done = await until(() => (n === 0 ? discord.responses.get(rep)?.original : discord.responses.get(rep)?.followups[0]) && discord.responses.get(rep), 'report');
      if (n === 1) {
        assert.equal(((done.followups[0]!.flags as number) ?? 0) & 64, 64);
        assert.match(JSON.stringify(done.followups[0]!.embeds), /You already reported GitHub/);
      }
    }
  });

  it('answers uptime with its chart attached as a PNG that the embed shows; the page only privately', async () => {
    site.set('/charted', { kind: 'ok', body: 'fine' });
    const w = discord.interact(command('watch', { service: `${site.url}/charted`, every: '1s' }));
    await until(() => discord.responses.get(w)?.original, 'watch answer');
    await until(() => (site.hits.get('/charted') ?? 0) >= 2, 'two rounds');
    const id = discord.interact(command('uptime', { service: `127.0.0.1:${site.port}/charted`, period: '24h' }));
    const r = await until(() => discord.responses.get(id)?.original && discord.responses.get(id), 'uptime answer').catch((e: Error) => { throw new Error(`${e.message} ${logs.join(' / ')} ${JSON.stringify(discord.calls.slice(-4))} ${JSON.stringify(discord.responses.get(id))}`); });
    const embed = (r.original!.embeds as { title: string; image?: { url: string } }[])[0]!;
    assert.match(embed.title, /\/charted: 100 % up over the last 24h/);
    assert.equal(embed.image?.url, 'attachment://isdown-chart.png');
    const files = r.original!.files as { filename: string; data: Buffer }[];
    assert.equal(files.length, 1);
    assert.equal(files[0]!.filename, 'isdown-chart.png');
    assert.equal(files[0]!.data.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
    const attachments = r.original!.attachments as { description?: string }[];
    assert.match(attachments[0]!.description ?? '', /average response time per hour as a line/);

    const page = discord.interact(command('page', {}));
    const p = await until(() => discord.responses.get(page), 'page answer');
    assert.equal(p.type, 4, 'answered at once, privately');
    assert.equal((p.data!.flags as number) & 64, 64);
    assert.match(JSON.stringify(p.data!.embeds), /\/status\/[A-Za-z0-9_-]{22}/);
  });

  it('autocompletes service names from the catalog within 25 choices', async () => {
    const id = discord.interact({
      type: 4,
      guild_id: GUILD,
      channel_id: C1,
      member: member('820000000000000001', MANAGE_GUILD),
      data: { id: '830000000000000001', name: 'isdown', type: 1, options: [{ type: 1, name: 'check', options: [{ type: 3, name: 'service', value: 'git', focused: true }] }] },
    });
    const r = await until(() => discord.responses.get(id), 'autocomplete');
    assert.equal(r.type, 8);
    const choices = r.data!.choices as { name: string; value: string }[];
    assert.ok(choices.length > 0 && choices.length <= 25);
    assert.ok(choices.some((c) => c.value === 'github'));
  });

  it('answers button clicks: Re-check in the channel, Mute 1 h privately, and a watch someone else set only with Manage Server', async () => {
    const recheck = discord.interact(button(`isdown:recheck:${site.url}/ok`, { permissions: '0' }));
    const r = await until(() => discord.responses.get(recheck)?.original && discord.responses.get(recheck), 'recheck answer');
    assert.equal(r.type, 5);
    assert.equal(((r.data?.flags as number) ?? 0) & 64, 0, 'a re-check is for the channel');
    assert.match(JSON.stringify(r.original!.embeds), /is up/);

    const w = discord.interact(command('watch', { service: `${site.url}/ok` }));
    await until(() => discord.responses.get(w)?.original, 'watch answer');
    const refused = discord.interact(button(`isdown:mute:${site.url}/ok|1h`, { permissions: '0', user: '820000000000000099' }));
    const no = await until(() => discord.responses.get(refused)?.original && discord.responses.get(refused), 'refusal');
    assert.equal((no.data!.flags as number) & 64, 64);
    assert.match(JSON.stringify(no.original!.embeds), /Only an admin, or the person who set this watch, can mute/);

    const mute = discord.interact(button(`isdown:mute:${site.url}/ok|1h`));
    const m = await until(() => discord.responses.get(mute)?.original && discord.responses.get(mute), 'mute answer');
    assert.equal((m.data!.flags as number) & 64, 64);
    assert.match(JSON.stringify(m.original!.embeds), /[Mm]uted/);
    const list = discord.interact(command('list', {}));
    const l = await until(() => discord.responses.get(list), 'list');
    assert.match(JSON.stringify(l.data!.embeds), /muted until/);
  });

  it('one rule for every platform, decided in the core: without Manage Server, add a watch but not change one someone else set', async () => {
    const member = { permissions: '0', user: '820000000000000098' };
    site.set('/mine', { kind: 'ok', body: 'fine' });
    const added = discord.interact(command('watch', { service: `${site.url}/mine` }, member));
    assert.match(JSON.stringify((await until(() => discord.responses.get(added)?.original, 'own watch')).embeds), /Watching/);
    for (const [sub, options] of [['watch', { service: `${site.url}/ok`, every: '2h' }], ['unwatch', { service: `${site.url}/ok` }]] as const) {
      const id = discord.interact(command(sub, options, member));
      const r = await until(() => discord.responses.get(id)?.followups[0], `${sub} refusal`);
      assert.equal(((r.flags as number) ?? 0) & 64, 64, 'privately');
      assert.match(JSON.stringify(r.embeds), /Only an admin, or the person who set this watch, can/, sub);
    }
    const list = discord.interact(command('list', {}));
    assert.match(JSON.stringify((await until(() => discord.responses.get(list), 'list')).data!.embeds), /\/ok — [^"]*every 1 min/);
  });

  it('tells the outage story as Discord messages, across a forced gateway reconnect: one alert, edited, replies, recovery', async () => {
    site.set('/story', { kind: 'ok', body: 'fine' });
    const w = discord.interact(command('watch', { service: `${site.url}/story`, every: '1s' }, { channel: C2 }));
    await until(() => discord.responses.get(w)?.original, 'watch answer');
    await until(() => (site.hits.get('/story') ?? 0) >= 2, 'first checks');
    site.set('/story', { kind: 'status', status: 503 });
    const root = await until(() => discord.messages.find((m) => m.channel_id === C2 && !m.message_reference), 'root alert');
    assert.match(root.embeds[0]!.title ?? '', /🔴 .*\/story is down since/);
    assert.equal(root.embeds[0]!.color, COLORS.down);
    discord.requestReconnect();
    await discord.ready();
    assert.ok(discord.opcodes.includes(6), 'resumed the session');
    site.set('/story', { kind: 'ok', body: 'fine' });
    const recovery = await until(() => discord.messages.find((m) => m.channel_id === C2 && m.message_reference?.message_id === root.id && /recovered/.test(m.embeds[0]?.title ?? '')), 'recovery reply');
    assert.match(recovery.embeds[0]!.title ?? '', /recovered at \d\d:\d\d after \d+ s of downtime/);
    assert.equal(discord.messages.filter((m) => m.channel_id === C2 && !m.message_reference).length, 1, 'one alert message per incident');
    assert.ok(root.edits >= 1);
    assert.equal(root.embeds[0]!.color, COLORS.up);
  });

  it('two incidents in one channel are two alerts, each with its own replies (one nonce per message)', async () => {
    for (const p of ['/n1', '/n2']) {
      site.set(p, { kind: 'ok', body: 'fine' });
      const w = discord.interact(command('watch', { service: `${site.url}${p}`, every: '1s' }, { channel: C1 }));
      await until(() => discord.responses.get(w)?.original, `watch ${p}`);
      await until(() => (site.hits.get(p) ?? 0) >= 2, `first checks of ${p}`);
    }
    const roots = () => discord.messages.filter((m) => m.channel_id === C1 && !m.message_reference);
    site.set('/n1', { kind: 'status', status: 503 });
    const first = await until(() => roots().find((m) => /\/n1 is down/.test(m.embeds[0]?.title ?? '')), 'first root');
    site.set('/n2', { kind: 'status', status: 503 });
    const second = await until(() => roots().find((m) => /\/n2 is down/.test(m.embeds[0]?.title ?? '')), 'second root, not the first one returned again');
    assert.notEqual(second.id, first.id);
    site.set('/n1', { kind: 'ok', body: 'fine' });
    site.set('/n2', { kind: 'ok', body: 'fine' });
    const recovered = (root: { id: string }) => discord.messages.find((m) => m.channel_id === C1 && m.message_reference?.message_id === root.id && /recovered/.test(m.embeds[0]?.title ?? ''));
    const r1 = await until(() => recovered(first), 'first recovery reply');
    const r2 = await until(() => recovered(second), 'second recovery reply');
    assert.match(r1.embeds[0]!.title ?? '', /\/n1 recovered/);
    assert.match(r2.embeds[0]!.title ?? '', /\/n2 recovered/);
    const mine = discord.messages.filter((m) => m.channel_id === C1);
    assert.equal(new Set(mine.map((m) => m.id)).size, mine.length, 'every message is its own');
    assert.equal(new Set(mine.map((m) => m.nonce)).size, mine.length, 'every message has its own nonce');
    assert.equal(roots().filter((m) => /\/n[12] /.test(m.embeds[0]?.title ?? '')).length, 2);
  });

  it('survives rate limits with no loss and no double', async () => {
    site.set('/rl', { kind: 'ok', body: 'fine' });
    const w = discord.interact(command('watch', { service: `${site.url}/rl`, every: '1s' }, { channel: C3 }));
    await until(() => discord.responses.get(w)?.original, 'watch answer');
    await until(() => (site.hits.get('/rl') ?? 0) >= 2, 'first checks');
    discord.rateLimit(`/channels/${C3}/messages`, 2, 0.3);
    site.set('/rl', { kind: 'status', status: 503 });
    await until(() => discord.messages.find((m) => m.channel_id === C3), 'alert after 429s');
    assert.ok(discord.calls.filter((c) => c.status === 429).length >= 2);
    // Further failing rounds must not post it again: wait until the outbox has nothing in hand,
    // then for a few more rounds, before counting (counting at once proves nothing).
    await settled(running.runtime.notifier!);
    const hits = site.hits.get('/rl') ?? 0;
    await until(() => (site.hits.get('/rl') ?? 0) >= hits + 3, 'more failing rounds');
    await settled(running.runtime.notifier!);
    assert.equal(discord.messages.filter((m) => m.channel_id === C3 && !m.message_reference).length, 1);
  });

  it('missing access (50001) pauses the watch and says so once', async () => {
    discord.removeAccess(C3);
    site.set('/rl', { kind: 'ok', body: 'fine' });
    await until(() => logs.some((l) => /paused watches in discord:810000000000000003 \(50001/.test(l)), 'paused');
    // The person who set the watch hears it once, by direct message.
    const dm = await until(() => discord.dmChannel(OWNER), 'DM channel');
    const told = await until(() => discord.messages.find((m) => m.channel_id === dm), 'DM');
    assert.match(told.embeds[0]!.title ?? '', /can't post alerts in <#810000000000000003>/);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(discord.messages.filter((m) => m.channel_id === dm).length, 1, 'told once');
    const id = discord.interact(command('list', {}, { channel: C3 }));
    const r = await until(() => discord.responses.get(id), 'list');
    assert.match(JSON.stringify(r.data!.embeds), /paused: 50001 Missing Access/);
  });
});

describe('Discord channels and guilds that go away', () => {
  it('a deleted channel loses its watches; a guild the bot left loses all of them', async () => {
    const discord = await startFakeDiscord({ guilds: [{ id: GUILD2, channels: [C4, C5] }] });
    const site = await startTarget();
    const config = loadConfig({
      ...LOCAL_TARGETS,
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      STORE_URL: `sqlite://${scratchDir()}/s.sqlite`,
      PORT: '0',
    });
    const running = await startBotProcess(config, { log: () => undefined, stdout: new Writable({ write: (_c, _e, cb) => cb() }), interactive: false });
    try {
      const watcher = running.runtime.watcher!;
      const at = (channel: string) => ({ platform: 'discord', tenant: GUILD2, channel });
      for (const [channel, svc] of [[C4, `${site.url}/ok`], [C4, `${site.url}/hop`], [C5, `${site.url}/ok`]] as const) {
        const id = discord.interact({ ...command('watch', { service: svc }, { channel }), guild_id: GUILD2, channel: { id: channel, type: 0, guild_id: GUILD2, name: 'c', permissions: '2147483647' } });
        await until(() => discord.responses.get(id)?.original, `watch ${svc} in ${channel}`);
      }
      assert.equal((await watcher.list(at(C4))).length, 2);
      discord.deleteChannel(GUILD2, C4);
      await until(async () => (await watcher.list(at(C4))).length === 0, 'channel watches removed');
      assert.equal((await watcher.list(at(C5))).length, 1, 'other channels keep theirs');
      discord.removeFromGuild(GUILD2);
      await until(async () => (await watcher.list(at(C5))).length === 0, 'guild watches removed');
    } finally {
      await running.stop();
      await discord.close();
      await site.close();
    }
  });
});

describe('npm run discord:register', () => {
  it('registers the commands for one guild, and again harmlessly', async () => {
    const discord = await startFakeDiscord({ guilds: [] });
    try {
      const run = () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/discord-register.ts', '--guild', GUILD], {
            env: { PATH: process.env.PATH ?? '', DISCORD_TOKEN: discord.token, DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_URL: discord.apiUrl },
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.on('close', (code) => resolve({ code, out }));
        });
      const first = await run();
      assert.equal(first.code, 0, first.out);
      assert.match(first.out, /Registered \/isdown .* for guild/);
      const second = await run();
      assert.equal(second.code, 0);
      const cmds = discord.commands.get(GUILD) as { name: string; options: { name: string }[] }[];
      assert.equal(cmds.length, 1);
      assert.deepEqual(cmds[0]!.options.map((o) => o.name), ['check', 'watch', 'heartbeat', 'unwatch', 'list', 'history', 'uptime', 'page', 'now', 'report', 'mute', 'unmute', 'help']);
    } finally {
      await discord.close();
    }
  });
});
