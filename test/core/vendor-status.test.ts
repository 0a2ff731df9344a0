import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { atlassian } from '../../src/checks/statuspage/atlassian.ts';
import { clockFormat } from '../../src/core/incident.ts';
import { knownTrouble, nowMessage } from '../../src/core/now.ts';
import type { StatusIncident, StatusMaintenance, StatusReport } from '../../src/core/types.ts';
import { foldReport, incidentsSince, VENDOR_LIMITS } from '../../src/core/vendor-history.ts';
import { parseCommand } from '../../src/core/commands.ts';
import { statusVerdict } from '../../src/core/verdict.ts';
import { monitorKey, optionsMisfit } from '../../src/core/watch.ts';
import type { Target } from '../../src/core/types.ts';
import type { ChannelMonitor } from '../../src/core/watch.ts';
import { fixture } from '../fakes/statuspage.ts';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const clock = clockFormat('UTC');

function page(incidents: StatusIncident[] = [], maintenances: StatusMaintenance[] = [], indicator: StatusReport['indicator'] = incidents.length ? 'major' : 'none'): StatusReport {
  return { provider: 'atlassian', page: 'https://status.example', indicator, description: 'x', components: [], incidents, maintenances };
}
const incident = (name: string, body: string, extra: Partial<StatusIncident> = {}): StatusIncident => ({ name, status: 'investigating', impact: 'major', url: `https://stspg.io/${name}`, latestUpdate: { body, at: new Date(T0).toISOString() }, components: ['API'], ...extra });

describe('vendor history: reads of a status page folded together', () => {
  it('opens, updates once per new update, and resolves an incident the page stops listing', () => {
    const a = foldReport(undefined, page([incident('db', 'We are investigating.', { startedAt: '2026-12-01T09:55:00Z' })]), T0);
    assert.deepEqual(a.changes.map((c) => c.type), ['opened']);
    assert.equal(a.history.incidents[0]!.startedAt, Date.parse('2026-12-01T09:55:00Z'));
    // The same read again tells nothing, and keeps the very same history.
    const same = foldReport(a.history, page([incident('db', 'We are investigating.')]), T0 + 60_000);
    assert.equal(same.changes.length, 0);
    assert.equal(same.history, a.history);
    const b = foldReport(a.history, page([incident('db', 'A fix is rolling out.', { status: 'identified' })]), T0 + 120_000);
    assert.deepEqual(b.changes.map((c) => c.type), ['updated']);
    assert.deepEqual(b.history.incidents[0]!.updates.map((u) => u.body), ['We are investigating.', 'A fix is rolling out.']);
    const c = foldReport(b.history, page([]), T0 + 600_000);
    assert.deepEqual(c.changes.map((x) => x.type), ['resolved']);
    assert.equal(c.history.incidents[0]!.resolvedAt, T0 + 600_000);
    // Resolved stays resolved: no second "resolved" on the next empty read.
    assert.equal(foldReport(c.history, page([]), T0 + 700_000).changes.length, 0);
    assert.equal(incidentsSince(c.history, T0 + 601_000).length, 0);
    assert.equal(incidentsSince(c.history, T0).length, 1);
  });

  it('an incident listed as resolved closes at once; one first seen resolved is not news', () => {
    const a = foldReport(undefined, page([incident('db', 'Investigating')]), T0);
    const b = foldReport(a.history, page([incident('db', 'This incident has been resolved.', { status: 'resolved' })]), T0 + 60_000);
    assert.deepEqual(b.changes.map((c) => c.type), ['resolved']);
    assert.equal(foldReport(undefined, page([incident('old', 'Resolved', { status: 'resolved' })]), T0).changes.length, 0);
  });

  it('announces a maintenance when it is scheduled, when it starts and when it ends; a cancelled one quietly goes', () => {
    const m = (status: StatusMaintenance['status']): StatusMaintenance => ({ name: 'Database upgrade', status, scheduledFor: '2026-12-02T02:00:00Z', scheduledUntil: '2026-12-02T04:00:00Z', components: ['API'] });
    const a = foldReport(undefined, page([], [m('scheduled')]), T0);
    assert.deepEqual(a.changes.map((c) => c.type), ['scheduled']);
    const first = a.changes[0]!;
    assert.ok(first.type === 'scheduled' && first.maintenance.scheduledFor === Date.parse('2026-12-02T02:00:00Z'));
    const b = foldReport(a.history, page([], [m('in_progress')], 'maintenance'), T0 + 86_400_000);
    assert.deepEqual(b.changes.map((c) => c.type), ['maintenance_started']);
    const c = foldReport(b.history, page([], []), T0 + 90_000_000);
    assert.deepEqual(c.changes.map((x) => x.type), ['maintenance_ended']);
    const cancelled = foldReport(a.history, page([], []), T0 + 1_000);
    assert.deepEqual(cancelled.changes, []);
  });

  it('stays bounded whatever the page lists', () => {
    const many = Array.from({ length: 500 }, (_, i) => incident(`i${i}`, 'x'.repeat(10_000), { name: 'n'.repeat(5_000) + i }));
    const h = foldReport(undefined, page(many), T0).history;
    assert.equal(h.incidents.length, VENDOR_LIMITS.incidents);
    assert.ok(h.incidents.every((i) => i.name.length <= VENDOR_LIMITS.nameChars && i.updates[0]!.body.length <= VENDOR_LIMITS.bodyChars));
    let rolling = foldReport(undefined, page([incident('db', 'u0')]), T0).history;
    for (let i = 1; i < 100; i++) rolling = foldReport(rolling, page([incident('db', `u${i}`)]), T0 + i).history;
    assert.equal(rolling.incidents[0]!.updates.length, VENDOR_LIMITS.updates);
    assert.equal(rolling.incidents[0]!.updates.at(-1)!.body, 'u99');
  });

  it('takes a start time in the future, or unreadable, as when it was first seen', () => {
    const h = foldReport(undefined, page([incident('a', 'x', { startedAt: '2099-01-01T00:00:00Z' }), incident('b', 'x', { startedAt: 'soon' })]), T0).history;
    assert.deepEqual(h.incidents.map((i) => i.startedAt), [T0, T0]);
  });
});

describe('/isdown now', () => {
  const major = atlassian.parse([fixture('atlassian-major.json')], { now: T0, page: 'https://status.example' });
  const minor = atlassian.parse([fixture('atlassian-github-minor.json')], { now: T0, page: 'https://www.githubstatus.com' });
  const fine = atlassian.parse([fixture('atlassian-discord-operational.json')], { now: T0, page: 'https://discordstatus.com' });

  it('lists the pages that report trouble, worst first, with the incident and since when', () => {
    const known = knownTrouble(
      [
        { id: 'github', name: 'GitHub', report: minor, since: T0 - 60_000 },
        { id: 'discord', name: 'Discord', report: fine, since: T0 },
        { id: 'python', name: 'Python', report: major, since: T0 - 120_000 },
        { id: 'down', name: 'Unread', since: T0 },
      ],
      4,
      T0,
    );
    assert.deepEqual(known.trouble.map((t) => [t.id, t.indicator]), [['python', 'critical'], ['github', 'minor']]);
    assert.equal(known.read, 3);
    const msg = nowMessage(known, [], { polling: true, now: T0 + 3_600_000, clock });
    assert.equal(msg.title, 'Right now: 2 known services report problems.');
    assert.equal(msg.tone, 'down');
    const text = msg.lines.join('\n');
    assert.match(text, /🔴 Major outage \(1\):\n• Python — Unplanned Database Outage since/);
    assert.match(text, /🟡 Minor problems \(1\):\n• GitHub — /);
    assert.match(text, /1 of 4 status pages could not be read/);
    assert.deepEqual(msg.links.map((l) => l.label), ['Python', 'GitHub']);
    assert.equal(msg.visibility, 'channel');
  });

  it('says all is well, with how many pages it read, and adds the channel watches that are not up', () => {
    const known = knownTrouble([{ id: 'discord', name: 'Discord', report: fine, since: T0 }], 1, T0);
    assert.equal(nowMessage(known, [], { polling: true, now: T0, clock }).title, 'The 1 known service reports no problems.');
    const two = knownTrouble([{ id: 'discord', name: 'Discord', report: fine, since: T0 }, { id: 'd2', name: 'D2', report: fine, since: T0 }], 2, T0);
    assert.equal(nowMessage(two, [], { polling: true, now: T0, clock }).title, 'All 2 known services report no problems.');
    const watch = (name: string, health: 'up' | 'down'): ChannelMonitor =>
      ({ record: { key: name, target: { kind: 'adhoc', id: name, name, urls: [`https://${name}`] }, watches: [] }, watch: { channel: { platform: 'console', tenant: 'console', channel: 'console' }, everyMs: 60_000, createdBy: 'me', createdAt: 0 }, state: { health, since: T0 - 300_000, flips: [], flapping: false, lastSummary: '503 Service Unavailable' } }) as ChannelMonitor;
    const msg = nowMessage(known, [watch('shop.example', 'down'), watch('blog.example', 'up')], { polling: true, now: T0, clock });
    assert.equal(msg.title, "Right now: 1 of this channel's watches is not up.");
    assert.match(msg.lines[1]!, /^• shop\.example — 🔴 down since .* \(5 min\): 503 Service Unavailable$/);
  });

  it('with background reads off, says so rather than "all is well"', () => {
    const msg = nowMessage(undefined, [], { polling: false, now: T0, clock });
    assert.doesNotMatch(msg.title, /known services/);
    assert.match(msg.lines.join(' '), /ISDOWN_STATUS_POLL=off/);
  });

  it('caps each group and says how many more', () => {
    const pages = Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, name: `S${i}`, report: major, since: T0 }));
    const msg = nowMessage(knownTrouble(pages, 40, T0), [], { polling: true, now: T0, clock, maxPerGroup: 10 });
    assert.equal(msg.lines.filter((l) => l.startsWith('• ')).length, 10);
    assert.ok(msg.lines.includes('…and 30 more.'));
  });
});

describe('vendor watches: only statuspage', () => {
  const major = atlassian.parse([fixture('atlassian-major.json')], { now: T0, page: 'https://status.example' });
  const minor = atlassian.parse([fixture('atlassian-github-minor.json')], { now: T0, page: 'https://www.githubstatus.com' });
  const fine = atlassian.parse([fixture('atlassian-discord-operational.json')], { now: T0, page: 'https://discordstatus.com' });
  const maintenance = atlassian.parse([fixture('atlassian-discord-maintenance.json')], { now: T0, page: 'https://discordstatus.com' });

  it('is one more watch option, in the one grammar', () => {
    assert.deepEqual(parseCommand('watch stripe only statuspage component "API"'), { ok: true, command: { kind: 'watch', target: 'stripe', only: 'statuspage', component: 'API' } });
    const bad = parseCommand('watch stripe only website');
    assert.ok(!bad.ok && /"only" takes one word, statuspage/.test(bad.error));
    const push = parseCommand('watch push backup only statuspage');
    assert.ok(!push.ok && /only statuspage is for checks isdown makes/.test(push.error));
  });

  it('needs a status page, and refuses options that only a probe could check', () => {
    const withPage: Target = { kind: 'catalog', id: 'stripe', name: 'Stripe', urls: ['https://stripe.com/'], statusPage: { kind: 'atlassian', url: 'https://status.stripe.com/api/v2/summary.json' } };
    const without: Target = { kind: 'adhoc', id: 'example.com', name: 'example.com', urls: ['https://example.com/'] };
    assert.equal(optionsMisfit(withPage, { only: 'statuspage', component: 'API' }), null);
    assert.match(optionsMisfit(without, { only: 'statuspage' })!, /example\.com has no status page I can read/);
    assert.match(optionsMisfit(withPage, { only: 'statuspage', status: '200', expect: 'ok' })!, /status, expect cannot apply/);
  });

  it('is its own monitor, and leaves the keys of existing monitors as they were', () => {
    assert.notEqual(monitorKey('stripe', { only: 'statuspage' }), monitorKey('stripe', {}));
    // The key of a plain watch made before this option existed.
    assert.equal(monitorKey('github', { component: 'Actions' }), monitorKey('github', { component: 'actions' }));
  });

  it("takes the page at its word: critical is down, major partial, minor degraded, maintenance, and an unread page changes nothing", () => {
    assert.equal(statusVerdict('Python', { ok: true, report: major }).state, 'down');
    assert.equal(statusVerdict('GitHub', { ok: true, report: minor }).state, 'degraded');
    assert.equal(statusVerdict('GitHub', { ok: true, report: minor }, 'Git Operations').state, 'up');
    assert.equal(statusVerdict('GitHub', { ok: true, report: minor }, 'Actions').state, 'degraded');
    assert.equal(statusVerdict('Discord', { ok: true, report: fine }).state, 'up');
    assert.equal(statusVerdict('Discord', { ok: true, report: maintenance }).state, 'maintenance');
    const unread = statusVerdict('Discord', { ok: false, reason: 'timed out' });
    assert.equal(unread.state, 'unknown');
    assert.match(unread.summary, /could not be read: timed out/);
    assert.match(statusVerdict('Python', { ok: true, report: major }).summary, /^Python: the status page reports a major outage\.$/);
  });
});
