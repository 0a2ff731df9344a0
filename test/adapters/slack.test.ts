import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { verifySlackRequest } from '@slack/bolt';
import { toSlack, SLACK_LIMITS } from '../../adapters/slack/blocks.ts';
import { createSlack } from '../../adapters/slack/slack.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { startBotProcess, type RunningBot } from '../../src/app/bot-process.ts';
import { loadConfig } from '../../src/app/config.ts';
import { infoMessage } from '../../src/core/messages.ts';
import { blockAction, sendToBot, slackSignature, slashCommand, startFakeSlack, type FakeSlack } from '../fakes/slack.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { until } from '../support/until.ts';
import { scratchDir } from '../support/run-isdown.ts';
import { LOCAL_TARGETS, FAST_ROUNDS } from '../support/settings.ts';

const SECRET = 'test-signing-secret';
const T1 = { teamId: 'T1', token: 'xoxb-t1-token', channels: ['C1', 'C2', 'C3'], admins: ['UADMIN'] };

const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

describe("Slack's signature scheme", () => {
  it("accepts Slack's own documented example request and signature", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = { 'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503', 'x-slack-request-timestamp': 1531420618 };
    assert.doesNotThrow(() => verifySlackRequest({ signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', body, headers, nowMilliseconds: 1531420618 * 1000 }));
    assert.throws(() => verifySlackRequest({ signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', body: `${body}x`, headers, nowMilliseconds: 1531420618 * 1000 }));
    assert.throws(() => verifySlackRequest({ signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', body, headers, nowMilliseconds: (1531420618 + 6 * 60) * 1000 }));
  });
});

describe('Block Kit rendering', () => {
  it('summarises instead of breaking the limits', () => {
    const long = infoMessage('x'.repeat(400), Array.from({ length: 400 }, (_, i) => `line ${i} ${'y'.repeat(60)}`));
    const m = toSlack({ ...long, fields: Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: 'v' })) });
    assert.ok(m.blocks.length <= SLACK_LIMITS.blocks);
    for (const b of m.blocks) {
      const text = (b as { text?: { text: string } }).text?.text ?? '';
      assert.ok(text.length <= (b.type === 'header' ? SLACK_LIMITS.header : SLACK_LIMITS.sectionText), `${b.type} ${text.length}`);
    }
    assert.ok(m.text.length <= SLACK_LIMITS.fallbackText);
  });

  it('gives a list its bullets once, and its links as buttons (/isdown now)', () => {
    const m = toSlack({ ...infoMessage('Right now: 1 known service reports problems.', ['🔴 Major outage (1):', '• Cloudflare — Elevated errors since 11:20 (15 min)']), links: [{ label: 'Cloudflare', url: 'https://www.cloudflarestatus.com/incidents/x' }] });
    const text = m.blocks.map((b) => (b as { text?: { text: string } }).text?.text ?? '').join('\n');
    assert.match(text, /^• 🔴 Major outage \(1\):\n• Cloudflare — Elevated errors/m);
    assert.doesNotMatch(text, /• •/);
    const actions = m.blocks.find((b) => b.type === 'actions') as { elements: { url?: string }[] } | undefined;
    assert.equal(actions?.elements[0]?.url, 'https://www.cloudflarestatus.com/incidents/x');
  });
});

describe('the real Bolt against a fake Slack', () => {
  let slack: FakeSlack;
  let site: FakeTarget;
  let running: RunningBot;
  let events: string;
  const logs: string[] = [];

  before(async () => {
    slack = await startFakeSlack();
    slack.addWorkspace(T1);
    site = await startTarget();
    const config = loadConfig({
      SLACK_BOT_TOKEN: T1.token,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      STORE_URL: `sqlite://${scratchDir()}/s.sqlite`,
      PORT: '0',
      ...LOCAL_TARGETS,
      ...FAST_ROUNDS,
      ISDOWN_RESTRICT_CHANGES: 'true',
    });
    running = await startBotProcess(config, { log: (l) => logs.push(l), stdout: sink(), interactive: false });
    events = `http://127.0.0.1:${running.port}/slack/events`;
  });
  after(async () => {
    await running.stop();
    await slack.close();
    await site.close();
  });

  const command = (text: string, opts: { channel?: string; user?: string; id?: string } = {}) =>
    slashCommand({ team: 'T1', channel: opts.channel ?? 'C1', user: opts.user ?? 'U1', text, responseUrl: slack.responseUrl(opts.id ?? `r-${Math.random()}`) });

  it('acks a signed /isdown at once, shows "checking…" in the channel, and replaces it with the answer', async () => {
    site.set('/slowish', { kind: 'ok', body: 'fine', delayMs: 300 });
    const r = await sendToBot(events, command(`${site.url}/slowish`, { id: 'check-1' }), { secret: SECRET });
    assert.equal(r.status, 200);
    const first = await until(() => slack.responses.find((x) => x.path === '/response/check-1'), 'the placeholder');
    assert.equal(first.body.response_type, 'in_channel');
    assert.match(String(first.body.text), /^⏳ Checking http:\/\/127\.0\.0\.1:\d+\/slowish… \(up to 20 s\)$/);
    const answer = { body: (await until(() => slack.shown('check-1').find((m) => !String(m.text).startsWith('⏳')), 'the answer'))! };
    assert.equal(slack.shown('check-1').length, 1, 'the placeholder was replaced, not followed');
    assert.equal(answer.body.response_type, 'in_channel');
    assert.match(String(answer.body.text), /^✅ 127\.0\.0\.1:\d+\/slowish is up — it's just you\./);
    const blocks = answer.body.blocks as { type: string; elements?: { action_id?: string }[] }[];
    assert.equal(blocks[0]!.type, 'header');
    assert.ok(blocks.some((b) => b.type === 'actions' && b.elements!.some((e) => e.action_id === 'isdown_recheck')));
  });

  it('a check that ends in a private error removes its placeholder and answers privately', async () => {
    await sendToBot(events, command('twiter', { id: 'check-typo' }), { secret: SECRET });
    const err = await until(() => slack.shown('check-typo').find((m) => m.response_type === 'ephemeral'), 'the private answer');
    assert.match(String(err.text), /did you mean twitter/);
    assert.deepEqual(slack.shown('check-typo').map((m) => m.response_type), ['ephemeral'], 'nothing left in the channel');
  });

  it('answers uptime with its chart: a PNG uploaded as a file of the app, shown in an image block', async () => {
    site.set('/charted', { kind: 'ok', body: 'fine' });
    await sendToBot(events, command(`watch ${site.url}/charted every 1s`, { id: 'chart-watch' }), { secret: SECRET });
    await until(() => slack.shown('chart-watch').find((m) => /Watching/.test(String(m.text))), 'the watch');
    await until(() => (site.hits.get('/charted') ?? 0) >= 2, 'two rounds');
    await sendToBot(events, command(`uptime 127.0.0.1:${site.port}/charted 24h`, { id: 'chart-1' }), { secret: SECRET });
    const answer = await until(() => slack.shown('chart-1')[0], 'the uptime answer');
    assert.match(String(answer.text), /127\.0\.0\.1:\d+\/charted: 100 % up over the last 24h/);
    const image = (answer.blocks as { type: string; slack_file?: { id: string }; alt_text?: string }[]).find((b) => b.type === 'image');
    assert.ok(image?.slack_file?.id, `an image block naming the uploaded file: ${logs.join(' / ')} ${JSON.stringify(slack.calls.slice(-5))}`);
    assert.match(image.alt_text!, /average response time per hour as a line/);
    const file = slack.files.get(image.slack_file.id)!;
    assert.ok(file.completed, 'the upload was completed');
    assert.equal(file.bytes!.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
    assert.ok(file.bytes!.length > 5_000, `a drawn chart, ${file.bytes!.length} bytes`);
    assert.equal(file.filename, 'isdown-chart.png');
  });

  it('answers uptime without the chart when the upload fails, and says why in the log', async () => {
    slack.rateLimit('files.getUploadURLExternal', 1, 30);
    await sendToBot(events, command(`uptime 127.0.0.1:${site.port}/charted 7d`, { id: 'chart-2' }), { secret: SECRET });
    const answer = await until(() => slack.shown('chart-2')[0], 'the uptime answer');
    assert.match(String(answer.text), /up over the last 7d/);
    assert.ok(!(answer.blocks as { type: string }[]).some((b) => b.type === 'image'));
    await until(() => logs.find((l) => /the chart could not be uploaded/.test(l)), 'the log line');
  });

  it('answers help and errors privately', async () => {
    await sendToBot(events, command('help', { id: 'help-1' }), { secret: SECRET });
    await sendToBot(events, command('watch', { id: 'err-1' }), { secret: SECRET });
    const help = await until(() => slack.responses.find((x) => x.path === '/response/help-1'), 'help');
    const err = await until(() => slack.responses.find((x) => x.path === '/response/err-1'), 'error');
    assert.equal(help.body.response_type, 'ephemeral');
    assert.equal(err.body.response_type, 'ephemeral');
    assert.match(String(err.body.text), /Which service should this channel watch\?/);
  });

  it('refuses unsigned, forged and replayed requests with 401, reaching no handler', async () => {
    const before = slack.responses.length;
    const unsigned = await sendToBot(events, command('help', { id: 'bad-1' }), { sign: false });
    const forged = await sendToBot(events, command('help', { id: 'bad-2' }), { secret: 'not-the-secret' });
    const replayed = await sendToBot(events, command('help', { id: 'bad-3' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    assert.deepEqual([unsigned.status, forged.status, replayed.status], [401, 401, 401]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(slack.responses.length, before);
  });

  it('answers Slack\'s URL verification and SSL check, refuses an oversized body, and acks with an empty 200', async () => {
    const challenge = JSON.stringify({ token: 'x', challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
    const ts = Math.floor(Date.now() / 1000);
    const v = await fetch(events, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(SECRET, ts, challenge) }, body: challenge });
    assert.equal(v.status, 200);
    assert.match(await v.text(), /c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P/);
    const ssl = await sendToBot(events, 'ssl_check=1&token=x', {});
    assert.equal(ssl.status, 200);
    const big = await sendToBot(events, command('x'.repeat(2 * 1024 * 1024)), { secret: SECRET });
    assert.equal(big.status, 413);
    const ack = await sendToBot(events, command('help'), { secret: SECRET });
    assert.deepEqual([ack.status, ack.text], [200, '']);
    // Health and metrics share the server with Slack's endpoint.
    const metrics = await fetch(`http://127.0.0.1:${running.port}/metrics`);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await metrics.text(), /^# TYPE isdown_checks_total counter\nisdown_checks_total \d+$/m);
  });

  it('tells the outage story as Slack messages: one root, edited, thread replies, broadcast recovery', async () => {
    site.set('/story', { kind: 'ok', body: 'fine' });
    await sendToBot(events, command(`watch ${site.url}/story every 1s`, { channel: 'C2', id: 'watch-1' }), { secret: SECRET });
    await until(() => slack.responses.find((x) => x.path === '/response/watch-1'), 'watch answer');
    await until(() => (site.hits.get('/story') ?? 0) >= 2, 'first checks');
    site.set('/story', { kind: 'status', status: 503 });
    const root = await until(() => slack.posts.find((p) => p.channel === 'C2' && !p.thread_ts), 'root alert');
    assert.match(root.text, /🔴 127\.0\.0\.1:\d+\/story is down since/);
    site.set('/story', { kind: 'status', status: 200, body: 'fine' });
    const recovery = await until(() => slack.posts.find((p) => p.channel === 'C2' && p.thread_ts === root.ts && p.reply_broadcast), 'broadcast recovery');
    assert.match(recovery.text, /✅ .*recovered at \d\d:\d\d after \d+ s of downtime/);
    assert.equal(slack.posts.filter((p) => p.channel === 'C2' && !p.thread_ts).length, 1, 'one root message per incident');
    assert.ok(root.updates.length >= 1, 'the root is edited in place');
    assert.match(root.text, /recovered — down \d+ s in all/);
  });

  it('keeps alerts through rate limits: nothing lost, nothing doubled', async () => {
    site.set('/rl', { kind: 'ok', body: 'fine' });
    await sendToBot(events, command(`watch ${site.url}/rl every 1s`, { channel: 'C3', id: 'watch-rl' }), { secret: SECRET });
    await until(() => slack.responses.find((x) => x.path === '/response/watch-rl'), 'watch answer');
    await until(() => (site.hits.get('/rl') ?? 0) >= 2, 'first checks');
    slack.rateLimit('chat.postMessage', 4, 1);
    site.set('/rl', { kind: 'status', status: 503 });
    await until(() => slack.posts.find((p) => p.channel === 'C3' && !p.thread_ts), 'root after 429s');
    const tries = slack.calls.filter((c) => c.method === 'chat.postMessage' && c.channel === 'C3');
    const limited = tries.filter((c) => c.status === 429);
    // One call per outbox attempt (the client does not retry on its own), each after the
    // Retry-After Slack gave (1 s), never sooner.
    assert.equal(limited.length, 4, JSON.stringify(tries));
    for (const c of limited) {
      const next = tries[tries.indexOf(c) + 1]!;
      assert.ok(next.at - c.at >= 950, `retried ${next.at - c.at} ms after a 429 that said Retry-After: 1`);
    }
    assert.equal(slack.posts.filter((p) => p.channel === 'C3' && !p.thread_ts).length, 1);
  });

  it('a Web API call that never answers is given up after its time limit and retried by the outbox', async () => {
    site.set('/hung', { kind: 'ok', body: 'fine' });
    await sendToBot(events, command(`watch ${site.url}/hung every 1s`, { channel: 'C1', id: 'watch-hung' }), { secret: SECRET });
    await until(() => slack.responses.find((x) => x.path === '/response/watch-hung'), 'watch answer');
    await until(() => (site.hits.get('/hung') ?? 0) >= 2, 'first checks');
    slack.hang('chat.postMessage', 1);
    site.set('/hung', { kind: 'status', status: 503 });
    await until(() => slack.calls.some((c) => c.method === 'chat.postMessage' && c.channel === 'C1' && c.status === 0), 'the call Slack never answers');
    // The alert arrives through the outbox's next attempt once the hung call timed out (10 s).
    await new Promise<unknown>((resolve, reject) => {
      const t0 = Date.now();
      const tick = () => {
        const found = slack.posts.find((p) => p.channel === 'C1' && !p.thread_ts && /\/hung is down/.test(p.text));
        if (found) return resolve(found);
        if (Date.now() - t0 > 30_000) return reject(new Error('the alert never arrived after a hung call'));
        setTimeout(tick, 50);
      };
      tick();
    });
    assert.equal(slack.posts.filter((p) => p.channel === 'C1' && !p.thread_ts && /\/hung is down/.test(p.text)).length, 1);
  });

  it('pauses the watch and tells its owner once when the bot is removed from the channel', async () => {
    slack.addWorkspace({ ...T1, channels: [...T1.channels, 'C4', 'U7'] });
    site.set('/gone', { kind: 'ok', body: 'fine' });
    await sendToBot(events, command(`watch ${site.url}/gone every 1s`, { channel: 'C4', user: 'U7', id: 'watch-gone' }), { secret: SECRET });
    await until(() => slack.responses.find((x) => x.path === '/response/watch-gone'), 'watch answer');
    slack.removeBot('T1', 'C4');
    site.set('/gone', { kind: 'status', status: 503 });
    const dm = await until(() => slack.posts.find((p) => p.channel === 'U7'), 'the owner is told');
    assert.match(dm.text, /can't post alerts in <#C4> any more \(not_in_channel\)/);
    await sendToBot(events, command('list', { channel: 'C4', user: 'U7', id: 'list-gone' }), { secret: SECRET });
    const list = await until(() => slack.responses.find((x) => x.path === '/response/list-gone'), 'list');
    assert.match(String(list.body.text), /paused: not_in_channel/);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(slack.posts.filter((p) => p.channel === 'U7').length, 1, 'told once');
  });

  it('a Re-check button press, verified like a command, answers in the channel', async () => {
    const body = blockAction({ team: 'T1', channel: 'C1', user: 'U1', actionId: 'isdown_recheck', value: `http://127.0.0.1:${site.port}/ok`, responseUrl: slack.responseUrl('btn-1') });
    assert.equal((await sendToBot(events, body, { sign: false })).status, 401);
    assert.equal((await sendToBot(events, body, { secret: SECRET })).status, 200);
    const answer = await until(() => slack.shown('btn-1').find((m) => !String(m.text).startsWith('⏳')), 'button answer');
    assert.match(String(answer.text), /is up — it's just you/);
    // A new message: replacing "the original" here would overwrite the alert that carried the button.
    assert.equal(answer.replace_original, false);
    assert.deepEqual(slack.responses.filter((r) => r.path === '/response/btn-1').length, 1);
  });

  it('with restricted changes, only the owner or an admin may unwatch, or take the watch over by watching again', async () => {
    await sendToBot(events, command(`watch 127.0.0.1:${site.port}/story every 24h`, { channel: 'C2', user: 'USTRANGER', id: 'takeover-no' }), { secret: SECRET });
    const taken = await until(() => slack.responses.find((x) => x.path === '/response/takeover-no'), 'take-over refusal');
    assert.match(String(taken.body.text), /Only an admin, or the person who set this watch, can change the watch of/);
    await sendToBot(events, command('list', { channel: 'C2', id: 'list-after-takeover' }), { secret: SECRET });
    const list = await until(() => slack.responses.find((x) => x.path === '/response/list-after-takeover'), 'list');
    assert.doesNotMatch(JSON.stringify(list.body), /every 1 d/, 'the watch kept its interval');
    await sendToBot(events, command(`unwatch 127.0.0.1:${site.port}/story`, { channel: 'C2', user: 'USTRANGER', id: 'unwatch-no' }), { secret: SECRET });
    const no = await until(() => slack.responses.find((x) => x.path === '/response/unwatch-no'), 'refusal');
    assert.match(String(no.body.text), /Only an admin, or the person who set this watch/);
    await sendToBot(events, command(`unwatch 127.0.0.1:${site.port}/story`, { channel: 'C2', user: 'UADMIN', id: 'unwatch-admin' }), { secret: SECRET });
    const yes = await until(() => slack.responses.find((x) => x.path === '/response/unwatch-admin'), 'admin unwatch');
    assert.match(String(yes.body.text), /Stopped watching/);
  });
});

describe('many workspaces: OAuth install, isolation, uninstall', () => {
  let slack: FakeSlack;
  let site: FakeTarget;
  let running: RunningBot;
  let base: string;
  const A = { teamId: 'TA', token: 'xoxb-ta', channels: ['CA'] };
  const B = { teamId: 'TB', token: 'xoxb-tb', channels: ['CB'] };

  before(async () => {
    slack = await startFakeSlack();
    slack.addWorkspace(A);
    slack.addWorkspace(B);
    site = await startTarget();
    const config = loadConfig({
      SLACK_CLIENT_ID: 'test-client-id',
      SLACK_CLIENT_SECRET: 'test-client-secret',
      SLACK_STATE_SECRET: 'test-state-secret-of-some-length',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      STORE_URL: `sqlite://${scratchDir()}/s.sqlite`,
      PORT: '0',
      ...LOCAL_TARGETS,
    });
    running = await startBotProcess(config, { log: () => {}, stdout: sink(), interactive: false });
    base = `http://127.0.0.1:${running.port}`;
  });
  after(async () => {
    await running.stop();
    await slack.close();
    await site.close();
  });

  async function install(w: typeof A) {
    const start = await fetch(`${base}/slack/install`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    const location = new URL(start.headers.get('location')!);
    const state = location.searchParams.get('state')!;
    const cookie = start.headers.get('set-cookie')!.split(';')[0]!;
    const done = await fetch(`${base}/slack/oauth_redirect?code=${slack.oauthCode(w)}&state=${encodeURIComponent(state)}`, { headers: { cookie } });
    assert.equal(done.status, 200, await done.text());
  }

  const cmd = (team: string, channel: string, text: string, id: string) =>
    sendToBot(`${base}/slack/events`, slashCommand({ team, channel, user: 'U1', text, responseUrl: slack.responseUrl(id) }), { secret: SECRET });
  const answer = (id: string) => until(() => slack.responses.find((x) => x.path === `/response/${id}`), id);

  it('installs into two workspaces through the OAuth flow', async () => {
    await install(A);
    await install(B);
    assert.ok(slack.calls.filter((c) => c.method === 'oauth.v2.access' && !c.error).length === 2);
  });

  it('keeps each workspace to its own watches', async () => {
    await cmd('TA', 'CA', `watch ${site.url}/ok every 1m`, 'a-watch');
    await answer('a-watch');
    await cmd('TB', 'CB', 'list', 'b-list');
    assert.match(String((await answer('b-list')).body.text), /watches nothing yet/);
    await cmd('TA', 'CA', 'list', 'a-list');
    assert.match(String((await answer('a-list')).body.text), /watches 1 service/);
    // Workspace B cannot reach A's channel either: the channel id is only ever read within its own tenant.
    await cmd('TB', 'CA', 'list', 'b-list-a');
    assert.match(String((await answer('b-list-a')).body.text), /watches nothing yet/);
  });

  it('an uninstalled workspace loses its tokens and its watches', async () => {
    const event = JSON.stringify({ token: 'x', team_id: 'TA', api_app_id: 'A0ISDOWN', type: 'event_callback', event_id: 'Ev1', event_time: Math.floor(Date.now() / 1000), event: { type: 'app_uninstalled' } });
    const ts = Math.floor(Date.now() / 1000);
    const { slackSignature } = await import('../fakes/slack.ts');
    const res = await fetch(`${base}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSignature(SECRET, ts, event) },
      body: event,
    });
    assert.equal(res.status, 200);
    let left = -1;
    for (let i = 0; i < 200 && left !== 0; i++) {
      left = (await running.runtime.watcher!.list({ platform: 'slack', tenant: 'TA', channel: 'CA' })).length;
      if (left) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(left, 0, 'the watches of the uninstalled workspace are gone');
    assert.equal(await running.runtime.store.kv.get('slack-install:T:TA'), undefined);
    assert.ok(await running.runtime.store.kv.get('slack-install:T:TB'));
  });
});

describe('Slack: a retry after a crash finds what it already posted', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await startFakeSlack();
    slack.addWorkspace({ teamId: 'TR', token: 'xoxb-tr', channels: ['CR'] });
    slack.addWorkspace({ teamId: 'TN', token: 'xoxb-tn', channels: ['CN'], scopes: ['commands', 'chat:write'] });
  });
  after(() => slack.close());

  it('looks for the outbox key in the message metadata of the channel and the thread before posting again', async () => {
    const { adapter } = createSlack({ botToken: 'xoxb-tr', signingSecret: SECRET, apiUrl: slack.apiUrl }, memoryStore());
    const to = { platform: 'slack', tenant: 'TR', channel: 'CR' };
    const root = await adapter.post(to, infoMessage('🔴 down'), { key: 'inc-1:0:slack:TR:CR:root' });
    const reply = await adapter.reply(to, root, infoMessage('↳ worse'), { key: 'inc-1:1:slack:TR:CR:reply', broadcast: false });
    const posted = slack.posts.length;
    // The same steps again, as after a crash between "Slack accepted it" and "recorded as sent".
    const rootAgain = await adapter.post(to, infoMessage('🔴 down'), { key: 'inc-1:0:slack:TR:CR:root', maybeSent: true });
    const replyAgain = await adapter.reply(to, root, infoMessage('↳ worse'), { key: 'inc-1:1:slack:TR:CR:reply', broadcast: false, maybeSent: true });
    assert.deepEqual([rootAgain.id, replyAgain.id], [root.id, reply.id]);
    assert.equal(slack.posts.length, posted, 'nothing posted twice');
    // A step that never reached Slack is posted, even when a retry looks first.
    const fresh = await adapter.post(to, infoMessage('🔴 another'), { key: 'inc-2:0:slack:TR:CR:root', maybeSent: true });
    assert.notEqual(fresh.id, root.id);
    assert.equal(slack.posts.length, posted + 1);
    assert.equal(slack.posts.at(-1)!.metadata?.event_payload.key, 'inc-2:0:slack:TR:CR:root');
  });

  it('without a history scope it posts anyway and says why: a rare double beats a lost alert', async () => {
    const s = createSlack({ botToken: 'xoxb-tn', signingSecret: SECRET, apiUrl: slack.apiUrl }, memoryStore());
    const logs: string[] = [];
    await s.attach({ bot: {} as never, log: (l) => logs.push(l), onUninstall: async () => {} });
    const to = { platform: 'slack', tenant: 'TN', channel: 'CN' };
    const before = slack.posts.length;
    await s.adapter.post(to, infoMessage('🔴 down'), { key: 'k:root', maybeSent: true });
    assert.equal(slack.posts.length, before + 1);
    assert.match(logs.join('\n'), /could not look for an alert already posted \(missing_scope\); posting it/);
  });
});
