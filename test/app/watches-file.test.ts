import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyWatches, FILE_OWNER, followWatchesFile, formatWatchesFile, readWatchesFile, type ApplyDeps } from '../../src/app/watches-file.ts';
import { createResolver, indexCatalog, loadCatalog } from '../../src/checks/catalog/catalog.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { channelId, type ChannelRef } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { startTarget } from '../fakes/target.ts';
import { runIsdown, scratchDir } from '../support/run-isdown.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';
import { until } from '../support/until.ts';

const resolve = createResolver(indexCatalog(loadCatalog().services), makePolicy());
const CONSOLE: ChannelRef = { platform: 'console', tenant: 'console', channel: 'console' };
const SLACK: ChannelRef = { platform: 'slack', tenant: 'T0123', channel: 'C0456' };

const EXAMPLE = `# watches as code
watches:
  console:
    - https://intranet.example.com/health
    - target: github
      every: 5m
      component: Actions
  slack:T0123/C0456:
    - { target: "https://api.example.com/", every: 90s, status: "200-299,401", expect: '"ok"' }
`;

function setup() {
  const repo = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
  const watcher = bareScheduler({ repo, probe: async (req) => answered(req.url, Date.now()), concurrency: 10, perHostConcurrency: 4 });
  const deps: ApplyDeps = { watcher, resolve, minIntervalMs: 30_000, platforms: new Set(['console', 'slack']) };
  /** channel → "target every" of its watches, whoever set them. */
  const view = async () => {
    const out: Record<string, string[]> = {};
    for (const r of await repo.all()) for (const w of r.watches) (out[channelId(w.channel)] ??= []).push(`${r.target.urls[0]} ${w.everyMs / 1_000}s${w.createdBy === FILE_OWNER ? '' : ` by ${w.createdBy}`}`);
    for (const k of Object.keys(out)) out[k]!.sort();
    return out;
  };
  return { repo, watcher, deps, view };
}

describe('the watches file', () => {
  it('reads both forms of entry with the chat grammar, and says which line is wrong and why', () => {
    const ok = readWatchesFile(EXAMPLE, { minIntervalMs: 30_000 });
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.watches.map((w) => [w.line, channelId(w.channel), w.target, w.everyMs, w.component, w.status, w.expect]),
      [
        [4, 'console:console:console', 'https://intranet.example.com/health', undefined, undefined, undefined, undefined],
        [5, 'console:console:console', 'github', 300_000, 'Actions', undefined, undefined],
        [9, 'slack:T0123:C0456', 'https://api.example.com/', 90_000, undefined, '200-299,401', '"ok"'],
      ],
    );

    const bad = readWatchesFile(
      ['watches:', '  console:', '    - target: example.com', '      colour: red', '    - target: example.org', '      every: 5s', '    - example.net', '  teams:general:', '    - example.com', 'webhooks: {}'].join('\n'),
      { minIntervalMs: 30_000 },
    );
    assert.deepEqual(bad.watches.map((w) => [w.line, w.target]), [[7, 'example.net']]);
    assert.deepEqual(
      bad.problems.map((p) => p.line),
      [3, 5, 8],
    );
    assert.match(bad.problems[0]!.message, /unknown field "colour"/);
    assert.match(bad.problems[1]!.message, /between 30 s and 1 d/);
    assert.match(bad.problems[2]!.message, /"teams:general" is not a channel/);

    const broken = readWatchesFile('watches:\n  console:\n    - [unclosed\n', { minIntervalMs: 30_000 });
    assert.equal(broken.broken, true);
    assert.deepEqual(broken.watches, []);
    assert.ok(broken.problems[0]!.line >= 3, `line ${broken.problems[0]!.line}`);
  });

  it('adds, changes and removes only its own watches; chat-made ones are left alone', async () => {
    const { deps, watcher, view } = setup();
    const chat = resolve('https://chat-made.example.com/');
    assert.ok(chat.ok);
    await watcher.watch({ channel: CONSOLE, user: 'alice', target: chat.target, everyMs: 60_000 });

    const first = await applyWatches(EXAMPLE, deps);
    assert.deepEqual([first.added, first.changed, first.removed, first.unchanged, first.problems.length], [3, 0, 0, 0, 0]);
    assert.deepEqual(await view(), {
      'console:console:console': ['https://chat-made.example.com/ 60s by alice', 'https://github.com/ 300s', 'https://intranet.example.com/health 60s'],
      'slack:T0123:C0456': ['https://api.example.com/ 90s'],
    });

    const again = await applyWatches(EXAMPLE, deps);
    assert.deepEqual([again.added, again.changed, again.removed, again.unchanged], [0, 0, 0, 3], 'applying the same file changes nothing');

    const edited = EXAMPLE.replace('every: 5m', 'every: 10m').replace('    - https://intranet.example.com/health\n', '');
    const second = await applyWatches(edited, deps);
    assert.deepEqual([second.added, second.changed, second.removed, second.unchanged], [0, 1, 1, 1]);
    assert.deepEqual((await view())['console:console:console'], ['https://chat-made.example.com/ 60s by alice', 'https://github.com/ 600s']);
  });

  it('removes nothing while an entry is broken, so a typo never drops a watch', async () => {
    const { deps, view } = setup();
    await applyWatches(EXAMPLE, deps);
    const before = await view();
    const typo = await applyWatches(EXAMPLE.replace('every: 5m', 'evry: 5m'), deps);
    assert.equal(typo.heldBack, true);
    assert.equal(typo.removed, 0);
    assert.match(typo.problems[0]!.message, /unknown field "evry"/);
    assert.deepEqual(await view(), before);
    // A file that is not YAML at all applies nothing either.
    const garbage = await applyWatches('watches: [', deps);
    assert.deepEqual([garbage.added, garbage.removed, garbage.heldBack], [0, 0, true]);
    assert.deepEqual(await view(), before);
  });

  it('webhooks while ISDOWN_WEBHOOK_SECRET is unset are reported but do not hold back removals; a misspelt section does', async () => {
    const { deps, view } = setup();
    await applyWatches(EXAMPLE, deps);
    const fewer = EXAMPLE.replace('    - https://intranet.example.com/health\n', '');
    const withWebhooks = await applyWatches(`${fewer}  webhook:oncall:\n    - github\nwebhooks:\n  oncall: https://hooks.example.com/\n`, deps);
    assert.deepEqual(withWebhooks.problems.map((p) => [p.line, p.message]), [
      [1, 'ISDOWN_WEBHOOK_SECRET is not set: webhooks are signed with it, so none are sent'],
      [10, 'webhook is not running in this process (ISDOWN_WEBHOOK_SECRET is not set); webhook:oncall is left as it is'],
    ]);
    assert.equal(withWebhooks.heldBack, false);
    assert.equal(withWebhooks.removed, 1);
    const misspelt = await applyWatches(EXAMPLE.replace('watches:', 'wathces:'), deps);
    assert.equal(misspelt.heldBack, true);
    assert.match(misspelt.problems[0]!.message, /unknown section "wathces"/);
    assert.deepEqual((await view())['console:console:console'], ['https://github.com/ 300s']);
  });

  it('leaves the channels of a platform this process does not run as they are', async () => {
    const { deps, view } = setup();
    await applyWatches(EXAMPLE, deps);
    const consoleOnly = await applyWatches(EXAMPLE.replace(/ {2}slack:[^]*$/, ''), { ...deps, platforms: new Set(['console']) });
    assert.equal(consoleOnly.removed, 0);
    assert.deepEqual((await view())['slack:T0123:C0456'], ['https://api.example.com/ 90s']);
    const slackListed = await applyWatches(EXAMPLE, { ...deps, platforms: new Set(['console']) });
    assert.match(slackListed.problems[0]!.message, /slack is not running in this process/);
  });

  it('carries a vendor watch (only: statuspage) through export and back; a target with no page is refused with its line', async () => {
    const text = ['watches:', '  console:', '    - { target: github, only: statuspage, component: Actions }', '    - { target: https://intranet.example/, only: statuspage }'].join('\n');
    const read = readWatchesFile(text, { minIntervalMs: 30_000 });
    assert.deepEqual([read.watches[0]!.only, read.watches[0]!.component], ['statuspage', 'Actions']);
    const a = setup();
    const applied = await applyWatches(text, a.deps);
    assert.deepEqual(applied.problems.map((p) => [p.line, /has no status page I can read/.test(p.message)]), [[4, true]]);
    const exported = formatWatchesFile(await a.repo.all());
    assert.match(exported, /- target: github\n\s+every: 1m\n\s+component: Actions\n\s+only: statuspage/);
    const b = setup();
    assert.deepEqual((await applyWatches(exported, b.deps)).problems, []);
    assert.deepEqual((await b.repo.all()).map((r) => [r.key, r.only]), (await a.repo.all()).map((r) => [r.key, r.only]));
  });

  it('carries HTTP conditions: method, headers, a JSON condition and a time limit, through export and back', async () => {
    const text = [
      'watches:',
      '  console:',
      '    - target: https://api.example.com/health',
      '      method: post',
      '      header: ["X-Api-Key: $ISDOWN_HEADER_KEY", "Accept=$ISDOWN_HEADER_ACCEPT"]',
      '      json: $.status == UP',
      '      slower_than: 1500ms',
      '    - target: https://api.example.com/ping',
      '      header: "Authorization: ${ISDOWN_HEADER_TOKEN}"',
      '    - target: https://api.example.com/bad',
      '      header: "Authorization: Bearer abc"',
    ].join('\n');
    const read = readWatchesFile(text, { minIntervalMs: 30_000 });
    assert.deepEqual(read.problems.map((p) => p.line), [10]);
    assert.match(read.problems[0]!.message, /never typed in chat/);
    const [health, ping] = read.watches;
    assert.deepEqual([health!.method, health!.headers, health!.json, health!.slowerThanMs], ['POST', ['X-Api-Key: $ISDOWN_HEADER_KEY', 'Accept: $ISDOWN_HEADER_ACCEPT'], '$.status == UP', 1_500]);
    assert.deepEqual(ping!.headers, ['Authorization: $ISDOWN_HEADER_TOKEN']);

    const a = setup();
    await applyWatches(text.split('\n').slice(0, 9).join('\n'), a.deps);
    const exported = formatWatchesFile(await a.repo.all());
    assert.match(exported, /method: POST\n\s+header:\n\s+- "X-Api-Key: \$ISDOWN_HEADER_KEY"\n\s+- "Accept: \$ISDOWN_HEADER_ACCEPT"/);
    assert.match(exported, /json: \$\.status == UP\n\s+slower_than: 1500ms/);
    assert.match(exported, /header: "Authorization: \$ISDOWN_HEADER_TOKEN"/);
    const b = setup();
    assert.deepEqual((await applyWatches(exported, b.deps)).problems, []);
    assert.deepEqual((await b.repo.all()).map((r) => r.key).sort(), (await a.repo.all()).map((r) => r.key).sort());
    assert.equal(formatWatchesFile(await b.repo.all()), exported);
  });

  it('lists heartbeats by name, keeps their URL across applies, and exports them without it', async () => {
    const a = setup();
    const text = 'watches:\n  console:\n    - push: nightly-backup\n      every: 1d\n    - { push: hourly }\n    - { push: both, target: github }\n';
    const report = await applyWatches(text, a.deps);
    assert.deepEqual([report.added, report.problems.map((p) => [p.line, p.message])], [2, [[6, 'a watch has a target or a push name, not both']]]);
    const records = await a.repo.all();
    assert.deepEqual(records.map((r) => [r.target.kind, r.target.name, r.watches[0]!.everyMs]).sort(), [['push', 'hourly', 3_600_000], ['push', 'nightly-backup', 86_400_000]]);
    const tokens = records.map((r) => r.pushToken).sort();
    assert.ok(tokens.every((t) => t && t.length >= 24));
    await applyWatches(text.replace('1d', '12h'), a.deps);
    assert.deepEqual((await a.repo.all()).map((r) => r.pushToken).sort(), tokens, 'a changed period keeps the URL');
    const exported = formatWatchesFile(await a.repo.all());
    assert.match(exported, /- push: hourly\n\s+every: 1h\n\s+- push: nightly-backup\n\s+every: 12h/);
    for (const t of tokens) assert.ok(!exported.includes(t!), 'no token in the file');
  });

  it('with webhooks on, hands their URLs to the adapter; a channel naming an unknown webhook is held, not dropped', async () => {
    const a = setup();
    const urls = new Map<string, string>();
    const deps: ApplyDeps = { ...a.deps, platforms: new Set(['console', 'webhook']), webhooks: { set: (m) => (urls.clear(), m.forEach((v, k) => urls.set(k, v))) } };
    const file = 'watches:\n  webhook:oncall:\n    - github\n  webhook:typo:\n    - example.com\nwebhooks:\n  oncall: https://hooks.example.com/isdown\n  pager: { url: "https://pager.example.com/in" }\n  "bad name": https://x.example.com/\n  nourl: ftp://x.example.com/\n';
    const report = await applyWatches(file, deps);
    assert.deepEqual([...urls], [['oncall', 'https://hooks.example.com/isdown'], ['pager', 'https://pager.example.com/in']]);
    assert.deepEqual(report.problems.map((p) => [p.line, p.message]), [
      [9, '"bad name" is not a webhook name (letters, digits, "-" and "_")'],
      [10, 'the webhook nourl needs an http(s) URL'],
      [5, 'no webhook is named typo; add it under "webhooks:"'],
    ]);
    assert.equal(report.added, 1);
    assert.equal(report.heldBack, true);
    assert.deepEqual(Object.keys(await a.view()), ['webhook:webhook:oncall']);
    assert.match(formatWatchesFile(await a.repo.all()), /webhook:oncall:\n\s+- target: github/);
  });

  it('export prints a file that applies to the same watches (round trip)', async () => {
    const a = setup();
    await applyWatches(EXAMPLE, a.deps);
    const text = formatWatchesFile(await a.repo.all());
    assert.match(text, /slack:T0123\/C0456:/);
    assert.match(text, /target: github\n\s+every: 5m\n\s+component: Actions/);
    const b = setup();
    const report = await applyWatches(text, b.deps);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(await b.view(), await a.view());
    assert.equal(formatWatchesFile(await b.repo.all()), text);
    assert.doesNotMatch(formatWatchesFile(await a.repo.all(), CONSOLE), /slack:/);
    assert.match(formatWatchesFile(await a.repo.all(), SLACK), /api\.example\.com/);
  });

  it('follows the file: an edit is applied without a restart', async () => {
    const { deps, view } = setup();
    const file = join(scratchDir(), 'watches.yaml');
    writeFileSync(file, EXAMPLE);
    const lines: string[] = [];
    const following = followWatchesFile(file, { ...deps, log: (l) => lines.push(l) });
    await following.ready;
    assert.match(lines.at(-1)!, /3 added, 0 changed, 0 removed, 0 unchanged/);
    writeFileSync(file, `${EXAMPLE}    - https://second.example.com/\n`);
    await until(async () => (await view())['slack:T0123:C0456']?.includes('https://second.example.com/ 60s'), 'the edited file applied', { everyMs: 100 });
    following.stop();
    assert.deepEqual((await view())['slack:T0123:C0456'], ['https://api.example.com/ 90s', 'https://second.example.com/ 60s']);
    assert.match(lines.at(-1)!, /1 added, 0 changed, 0 removed, 3 unchanged/);
  });
});

describe('ISDOWN_WATCHES_FILE and isdown export, end to end', () => {
  it('the console bot watches what the file lists; export prints it back; a bad --channel or a missing file is refused', async () => {
    const target = await startTarget();
    try {
      const dir = scratchDir();
      const file = join(dir, 'watches.yaml');
      writeFileSync(file, `watches:\n  console:\n    - target: ${target.url}/health\n      every: 2m\n`);
      const env = { STORE_URL: `sqlite://${dir}/isdown.sqlite`, ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32', ISDOWN_ALLOWED_PORTS: 'any', ISDOWN_CONTROL_URLS: `${target.url}/ok`, ISDOWN_WATCHES_FILE: file };
      const bot = await runIsdown([], env, 'list\n');
      assert.match(bot.stdout, new RegExp(`watches 1 service:\\n\\s+127\\.0\\.0\\.1:${target.port}/health — .*every 2 min`));
      assert.match(bot.stderr, /watches file .*: 1 added, 0 changed, 0 removed, 0 unchanged/);

      const exported = await runIsdown(['export', '--channel', 'console'], env);
      assert.equal(exported.code, 0, exported.stderr);
      assert.match(exported.stdout, new RegExp(`watches:\\n  console:\\n    - target: ${target.url.replace(/[.:/]/g, '\\$&')}/health\\n      every: 2m\\n`));

      const wrong = await runIsdown(['export', '--channel', 'teams:general'], env);
      assert.equal(wrong.code, 64);
      assert.match(wrong.stderr, /"teams:general" is not a channel/);

      const missing = await runIsdown([], { ...env, ISDOWN_WATCHES_FILE: join(dir, 'nope.yaml') }, '');
      assert.equal(missing.code, 78);
      assert.match(missing.stderr, /ISDOWN_WATCHES_FILE.*does not exist.*isdown export > watches\.yaml/);
    } finally {
      await target.close();
    }
  });
});
