import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createProber, type Prober } from '../../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import { atlassian } from '../../src/checks/statuspage/atlassian.ts';
import { feed } from '../../src/checks/statuspage/feed.ts';
import { incidentio } from '../../src/checks/statuspage/incidentio.ts';
import { createStatusSource, PROVIDERS } from '../../src/checks/statuspage/index.ts';
import { instatus } from '../../src/checks/statuspage/instatus.ts';
import type { StatusPageKind } from '../../src/core/types.ts';
import { readStatus } from '../../src/core/verdict.ts';
import { fixture, startStatusPages } from '../fakes/statuspage.ts';
import type { FakeTarget } from '../fakes/target.ts';
import { until } from '../support/until.ts';

const ctx = { now: Date.parse('2026-11-20T11:00:00Z'), page: 'https://status.example' };

describe('Atlassian Statuspage v2', () => {
  it('reads the documented major-outage example', () => {
    const r = atlassian.parse([fixture('atlassian-major.json')], ctx);
    assert.equal(r.indicator, 'major');
    assert.equal(r.description, 'Partial System Outage');
    assert.deepEqual(r.components, [
      { name: 'API', status: 'partial_outage' },
      { name: 'Management Portal', status: 'major_outage' },
    ]);
    assert.equal(r.incidents[0]!.name, 'Unplanned Database Outage');
    assert.equal(r.incidents[0]!.status, 'identified');
    assert.equal(r.incidents[0]!.impact, 'critical');
    assert.match(r.incidents[0]!.latestUpdate!.body, /ham sandwiches/);
    assert.deepEqual(
      r.maintenances.map((m) => [m.name, m.status]),
      [
        ['Network Maintenance (No Interruption Expected)', 'scheduled'],
        ['Web Tier Recycle', 'in_progress'],
      ],
    );
    assert.match(readStatus(r).words, /problems with every component: API \(partial outage\) and Management Portal \(major outage\)/);
  });

  it('reads GitHub: drops the "Visit … for more information" placeholder, words the degraded component', () => {
    const r = atlassian.parse([fixture('atlassian-github-minor.json')], ctx);
    assert.equal(r.indicator, 'minor');
    assert.ok(!r.components.some((c) => c.name.startsWith('Visit ')));
    assert.equal(r.components.length, 10);
    assert.deepEqual(r.incidents[0]!.components, ['Actions']);
    assert.equal(r.incidents[0]!.latestUpdate!.body, 'Actions is experiencing degraded performance. We are continuing to investigate.');
    assert.equal(readStatus(r).words, 'All components operational except Actions (performance issues).');
    assert.equal(readStatus(r).worst, 'minor');
  });

  it('reads component groups and leaves the group row out', () => {
    const r = atlassian.parse([fixture('atlassian-discord-operational.json')], ctx);
    assert.equal(r.indicator, 'none');
    assert.ok(!r.components.some((c) => c.name === 'Voice'));
    assert.deepEqual(r.components.find((c) => c.name === 'europe'), { name: 'europe', status: 'operational', group: 'Voice' });
    assert.deepEqual(readStatus(r), { worst: 'ok', words: 'The status page says all components operational.' });
  });

  it('reads an under-maintenance component and the active maintenance', () => {
    const r = atlassian.parse([fixture('atlassian-discord-maintenance.json')], ctx);
    assert.equal(r.indicator, 'maintenance');
    assert.equal(r.maintenances[0]!.status, 'in_progress');
    assert.equal(readStatus(r).worst, 'maintenance');
    assert.match(readStatus(r).words, /Search \(under maintenance\)/);
  });

  it('narrows to one component when asked', () => {
    const r = atlassian.parse([fixture('atlassian-github-minor.json')], ctx);
    assert.deepEqual(readStatus(r, 'Git Operations'), { worst: 'ok', words: 'The status page says Git Operations is operational.' });
    assert.equal(readStatus(r, 'actions').worst, 'minor');
    assert.match(readStatus(r, 'Nonexistent').words, /no component named "Nonexistent"/);
  });
});

describe('incident.io widget API', () => {
  it('reads an operational page', () => {
    const r = incidentio.parse([fixture('incidentio-operational.json')], ctx);
    assert.equal(r.indicator, 'none');
    assert.deepEqual(r.components, []);
    assert.equal(r.page, 'https://neonstatus.com/console');
  });

  it('reads a partial outage with its affected components and groups', () => {
    const r = incidentio.parse([fixture('incidentio-partial.json')], ctx);
    assert.equal(r.indicator, 'major');
    assert.deepEqual(r.components, [
      { name: 'Conversations', status: 'partial_outage', group: 'ChatGPT' },
      { name: 'Chat Completions', status: 'degraded_performance', group: 'APIs' },
    ]);
    assert.equal(r.incidents[0]!.status, 'identified');
    assert.match(r.incidents[0]!.latestUpdate!.body, /identified the cause/);
    assert.deepEqual(r.maintenances.map((m) => m.status), ['scheduled']);
  });
});

describe('Instatus', () => {
  it('reads the summary and the components document', () => {
    const r = instatus.parse([fixture('instatus-summary.json'), fixture('instatus-components.json')], ctx);
    assert.equal(r.indicator, 'critical');
    assert.deepEqual(r.components, [
      { name: 'Dashboard', status: 'major_outage' },
      { name: 'API', status: 'operational' },
      { name: 'eu-central', status: 'operational', group: 'Regions' },
    ]);
    assert.equal(r.incidents[0]!.name, 'Dashboard login failures');
    assert.equal(readStatus(r).words, 'All components operational except Dashboard (major outage).');
  });

  it('still tells the story when the components document failed', () => {
    const r = instatus.parse([fixture('instatus-summary.json'), undefined], ctx);
    assert.equal(r.indicator, 'critical');
    assert.deepEqual(r.components, []);
    assert.equal(readStatus(r).worst, 'major');
  });
});

describe('RSS and Atom history feeds', () => {
  it('reads a Statuspage Atom feed: open, resolved and maintenance entries', () => {
    const r = feed.parse([fixture('statuspage-history.atom')], ctx);
    assert.deepEqual(
      r.incidents.map((i) => [i.name, i.status]),
      [['Disruption with some GitHub services', 'monitoring']],
    );
    assert.equal(r.incidents[0]!.url, 'https://www.githubstatus.com/incidents/yzmk3qz8v9tq');
    assert.match(r.incidents[0]!.latestUpdate!.body, /^A fix has been applied/);
    assert.equal(r.incidents[0]!.impact, 'major');
    assert.deepEqual(r.maintenances.map((m) => m.status), ['in_progress']);
  });

  it('keeps an unresolved entry open for days (a long incident), and lets it go after the horizon', () => {
    const dayLater = feed.parse([fixture('statuspage-history.atom')], { ...ctx, now: Date.parse('2026-11-21T11:00:00Z') });
    assert.deepEqual(dayLater.incidents.map((i) => i.status), ['monitoring'], 'still open 25 h after its last update');
    const weekLater = feed.parse([fixture('statuspage-history.atom')], { ...ctx, now: Date.parse('2026-11-28T11:00:00Z') });
    assert.equal(weekLater.incidents.length, 0);
    assert.equal(weekLater.indicator, 'none');
    const shorter = feed.parse([fixture('statuspage-history.atom')], { ...ctx, now: Date.parse('2026-11-21T11:00:00Z'), horizonMs: 12 * 3_600_000 });
    assert.equal(shorter.incidents.length, 0, 'the horizon is a setting');
  });

  // Entries in Statuspage's own layout (newest update first, each "<small>time</small><br><strong>Status</strong> - text").
  const update = (time: string, status: string, text: string) => `&lt;p&gt;&lt;small&gt;Feb &lt;var data-var='date'&gt; 9&lt;/var&gt;, &lt;var data-var='time'&gt;${time}&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;${status}&lt;/strong&gt; - ${text}&lt;/p&gt;`;
  const atom = (updated: string, ...entries: [string, string, string][]) =>
    `<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Status - Incident History</title><updated>${updated}</updated>${entries
      .map(([id, title, content]) => `<entry><id>tag:status.example.com,2005:Incident/${id}</id><updated>${updated}</updated><link rel="alternate" type="text/html" href="https://status.example.com/incidents/${id}"/><title>${title}</title><content type="html">${content}</content></entry>`)
      .join('')}</feed>`;
  const at = (iso: string) => ({ ...ctx, now: Date.parse(iso) });

  it('reads every update of an entry: a Resolved stamped the same minute as a newer-looking Update closes it', () => {
    const xml = atom('2021-02-09T16:57:00Z', ['1', 'Incident on 2021-02-09 16:19 UTC', update('16:57', 'Update', 'Webhooks is operating normally.') + update('16:57', 'Resolved', 'This incident has been resolved.') + update('16:19', 'Investigating', 'We are investigating reports of degraded performance for GitHub Actions.')]);
    assert.deepEqual(feed.parse([xml], at('2021-02-09T17:00:00Z')).incidents, []);
  });

  it('an "Update" keeps the event what it was: open incident, or maintenance in progress', () => {
    const xml = atom(
      '2021-02-09T16:30:00Z',
      ['2', 'Degraded performance for GitHub Actions', update('16:25', 'Update', 'GitHub Actions is still experiencing degraded performance.') + update('16:19', 'Investigating', 'We are investigating.')],
      ['3', 'Database maintenance', update('16:20', 'Update', 'Still read-only.') + update('10:00', 'In progress', 'Scheduled maintenance is currently in progress.') + update('09:00', 'Scheduled', 'A 24-hour window.')],
    );
    const r = feed.parse([xml], at('2021-02-10T09:00:00Z'));
    assert.deepEqual(r.incidents.map((i) => [i.name, i.status]), [['Degraded performance for GitHub Actions', 'investigating']]);
    assert.equal(r.incidents[0]!.latestUpdate!.body, 'GitHub Actions is still experiencing degraded performance.');
    assert.deepEqual(r.maintenances.map((m) => [m.name, m.status]), [['Database maintenance', 'in_progress']], 'a maintenance that runs for a day is still in progress');
  });

  it('takes severity from the provider\'s title, not from a word somewhere in an update', () => {
    const xml = atom('2021-02-09T16:30:00Z', ['4', 'Incident with Copilot', update('16:25', 'Investigating', 'Some suggestions are unavailable for a small number of users.')], ['5', 'Major outage of Git operations', update('16:20', 'Identified', 'We found the cause.')]);
    const r = feed.parse([xml], at('2021-02-09T17:00:00Z'));
    assert.deepEqual(r.incidents.map((i) => [i.name, i.impact]), [['Incident with Copilot', 'minor'], ['Major outage of Git operations', 'major']]);
  });

  it('groups the items of one RSS event: a newer [RESOLVED] closes the older ones, an open event counts once', () => {
    const item = (title: string, pub: string, guid: string) => `<item><title><![CDATA[${title}]]></title><link>https://status.aws.amazon.com/</link><pubDate>${pub}</pubDate><guid isPermaLink="false">${guid}</guid><description><![CDATA[${title}]]></description></item>`;
    const rss = (...items: string[]) => `<?xml version="1.0"?><rss version="2.0"><channel><title>Amazon EC2 (N. Virginia) Service Status</title>${items.join('')}</channel></rss>`;
    const resolved = rss(
      item('Service is operating normally: [RESOLVED] Increased API Error Rates', 'Fri, 20 Nov 2026 11:30:00 PST', 'g3'),
      item('Informational message: Increased API Error Rates', 'Fri, 20 Nov 2026 11:00:00 PST', 'g2'),
      item('Informational message: Increased API Error Rates', 'Fri, 20 Nov 2026 10:45:00 PST', 'g1'),
    );
    assert.deepEqual(feed.parse([resolved], at('2026-11-20T19:45:00Z')).incidents, []);
    const open = rss(item('Service disruption: Instance launch failures', 'Fri, 20 Nov 2026 11:30:00 PST', 'h2'), item('Performance issues: Instance launch failures', 'Fri, 20 Nov 2026 11:00:00 PST', 'h1'));
    const r = feed.parse([open], at('2026-11-20T19:45:00Z'));
    assert.deepEqual(r.incidents.map((i) => [i.name, i.impact]), [['Service disruption: Instance launch failures', 'major']], 'one event, its newest word');
  });

  it('reads a generic RSS feed by its words', () => {
    const r = feed.parse([fixture('aws-health.rss')], { ...ctx, now: Date.parse('2026-11-20T19:30:00Z') });
    assert.deepEqual(r.incidents.map((i) => i.name), ['Informational message: Increased API Error Rates']);
    assert.equal(r.indicator, 'minor');
  });
});

describe('status pages through the fake server', () => {
  let server: FakeTarget;
  let prober: Prober;
  before(async () => {
    server = await startStatusPages();
    prober = createProber({ policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }) });
  });
  after(async () => {
    await prober.close();
    await server.close();
  });

  it('reads each provider over HTTP', async () => {
    const source = createStatusSource({ prober, ttlMs: 60_000, now: () => ctx.now });
    const cases: [StatusPageKind, string, string][] = [
      ['atlassian', '/github/api/v2/summary.json', 'minor'],
      ['incidentio', '/openai/api/v1/summary', 'major'],
      ['instatus', '/instatus/summary.json', 'critical'],
      ['feed', '/github/history.atom', 'major'],
    ];
    for (const [kind, path, indicator] of cases) {
      const out = await source.read({ kind, url: `${server.url}${path}` });
      assert.ok(out.ok, `${kind}: ${out.ok ? '' : out.reason}`);
      assert.equal(out.report.indicator, indicator, kind);
    }
    assert.equal(server.hits.get('/instatus/v2/components.json'), 1);
  });

  it('reads a page once for a burst of requests within the TTL', async () => {
    let t = 1_000;
    const source = createStatusSource({ prober, ttlMs: 60_000, now: () => t });
    const url = `${server.url}/discord/api/v2/summary.json`;
    const before = server.hits.get('/discord/api/v2/summary.json') ?? 0;
    const outs = await Promise.all(Array.from({ length: 20 }, () => source.read({ kind: 'atlassian', url })));
    assert.ok(outs.every((o) => o.ok));
    assert.equal((server.hits.get('/discord/api/v2/summary.json') ?? 0) - before, 1);
    t += 61_000;
    await source.read({ kind: 'atlassian', url });
    assert.equal((server.hits.get('/discord/api/v2/summary.json') ?? 0) - before, 2);
  });

  it('keeps a newer answer when an older read of the page fails after it', async () => {
    const t = 1_000;
    const source = createStatusSource({ prober, ttlMs: 60_000, now: () => t });
    const path = '/late-failure/api/v2/summary.json';
    const ref = { kind: 'atlassian' as const, url: `${server.url}${path}` };
    server.set(path, { kind: 'ok', status: 503, body: 'Service Unavailable', delayMs: 300 });
    // A vendor watch's read, slow and about to fail...
    const late = source.read(ref);
    await until(() => server.hits.get(path), 'the first read reaching the page');
    // ...while the background reader reads the page again, which answers now.
    server.set(path, { kind: 'ok', body: fixture('atlassian-major.json'), contentType: 'application/json' });
    const fresh = await source.refresh(ref, 60_000);
    assert.equal(fresh.outcome.ok, true);
    assert.equal((await late).ok, false);
    const after = await source.read(ref);
    assert.ok(after.ok, `the page reads as the newer answer, not the older failure (${after.ok ? '' : after.reason})`);
    assert.equal(after.report.indicator, 'major');
    assert.equal(server.hits.get(path), 2, 'and from the cache');
  });

  const broken: [string, RegExp][] = [
    ['/broken/truncated.json', /not valid JSON/],
    ['/broken/wrong-types.json', /unexpected shape/],
    ['/broken/html.json', /HTML, not JSON/],
    ['/broken/huge.json', /larger than 1024 KiB/],
  ];
  for (const kind of ['atlassian', 'incidentio', 'instatus'] as const) {
    for (const [path, reason] of broken) {
      it(`${kind}: ${path} is "status page unavailable", not a crash`, async () => {
        const source = createStatusSource({ prober, ttlMs: 60_000 });
        const out = await source.read({ kind, url: `${server.url}${path}` });
        assert.equal(out.ok, false);
        if (!out.ok) assert.match(out.reason, reason);
      });
    }
  }
  const brokenFeeds: [string, RegExp][] = [
    ['/broken/truncated.atom', /not well-formed XML/],
    ['/broken/json.atom', /not XML/],
    ['/broken/html.json', /neither an RSS nor an Atom feed/],
    ['/broken/huge.json', /larger than 1024 KiB/],
    ['/broken/bomb.atom', /does not expand/],
  ];
  for (const [path, reason] of brokenFeeds) {
    it(`feed: ${path} is "status page unavailable", not a crash`, async () => {
      const source = createStatusSource({ prober, ttlMs: 60_000 });
      const out = await source.read({ kind: 'feed', url: `${server.url}${path}` });
      assert.equal(out.ok, false);
      if (!out.ok) assert.match(out.reason, reason);
    });
  }

  it('says why when the page does not answer', async () => {
    const source = createStatusSource({ prober, ttlMs: 60_000 });
    const out = await source.read({ kind: 'atlassian', url: `${server.url}/503` });
    assert.deepEqual(out, { ok: false, reason: '503 Service Unavailable' });
  });

  it('has a provider for every kind', () => {
    assert.deepEqual(Object.keys(PROVIDERS).sort(), ['atlassian', 'feed', 'incidentio', 'instatus']);
  });
});
