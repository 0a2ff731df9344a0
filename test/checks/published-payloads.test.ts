import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { atlassian } from '../../src/checks/statuspage/atlassian.ts';
import { feed } from '../../src/checks/statuspage/feed.ts';
import type { VerdictState } from '../../src/core/types.ts';
import { decideVerdict, readStatus } from '../../src/core/verdict.ts';
import { up } from '../core/probe-results.ts';

/**
 * Real githubstatus.com payloads, recorded by others (provenance in the README beside them), each
 * read with the clock at the moment it was captured. The expectations were written from what the
 * page itself said at that moment: its components, its open incidents and their stated impact.
 */
const dir = new URL('../fixtures/published/githubstatus/', import.meta.url);
const captures = readFileSync(new URL('README.md', dir), 'utf8')
  .split('\n')
  .flatMap((line) => {
    const m = /^\| `([^`]+)` \| outages\/github-outages \| github_summary_v1\.json \| `([0-9a-f]{40})` \| (\S+) \|$/.exec(line);
    return m ? [{ file: m[1]!, commit: m[2]!, captured: Date.parse(m[3]!) }] : [];
  });

interface Expectation {
  readonly worst: 'ok' | 'minor' | 'major' | 'maintenance';
  /** What the sentence must name. */
  readonly words: RegExp;
  /** The one-shot verdict while our own check gets 200 OK. */
  readonly verdict: VerdictState;
  /** Narrowed to one component. */
  readonly component?: readonly [name: string, worst: 'ok' | 'minor' | 'major' | 'maintenance'];
}

const EXPECTED: Record<string, Expectation> = {
  'summary-20260822T2227Z-operational.json': {
    worst: 'ok', words: /^The status page says all components operational\.$/, verdict: 'up', component: ['Git Operations', 'ok'],
  },
  'summary-20220328T1118Z-three-scheduled.json': {
    // Three maintenances announced for later that day: nothing is affected yet.
    worst: 'ok', words: /all components operational/, verdict: 'up',
  },
  'summary-20250529T2122Z-maintenance-scheduled.json': { worst: 'ok', words: /all components operational/, verdict: 'up' },
  'summary-20221104T0349Z-maintenance-no-components.json': {
    worst: 'maintenance', words: /maintenance in progress: GitHub Importer Maintenance/, verdict: 'up',
  },
  'summary-20250531T0313Z-maintenance-codespaces.json': {
    worst: 'maintenance', words: /Codespaces \(under maintenance\)/, verdict: 'up', component: ['Actions', 'ok'],
  },
  'summary-20220328T1312Z-actions-maintenance.json': {
    worst: 'maintenance', words: /GitHub Actions \(under maintenance\)/, verdict: 'up', component: ['GitHub Actions', 'maintenance'],
  },
  'summary-20250528T1121Z-incident-indicator-none.json': {
    // The indicator still said "All Systems Operational"; the incident (impact minor) was already open.
    worst: 'minor', words: /^The status page reports "Disruption with some GitHub services" \(investigating\)\.$/, verdict: 'degraded',
  },
  'summary-20250530T1554Z-major-incident-during-maintenance.json': {
    // Indicator "maintenance", one component under maintenance, and a major incident open beside it.
    worst: 'major', words: /Codespaces \(under maintenance\)\. Open incident: "Disruption with some GitHub services" \(investigating\), major impact\./, verdict: 'partial',
    component: ['Codespaces', 'maintenance'],
  },
  'summary-20250515T1524Z-maintenance-and-minor-incident.json': {
    worst: 'minor', words: /Open incident: "Disruption with Gemini 2\.5 Pro" \(investigating\), minor impact/, verdict: 'degraded',
  },
  'summary-20260813T1542Z-minor-copilot-providers.json': {
    worst: 'minor', words: /except Copilot AI Model Providers \(performance issues\)\.$/, verdict: 'degraded', component: ['Copilot AI Model Providers', 'minor'],
  },
  'summary-20260428T1544Z-two-minor-incidents.json': {
    worst: 'minor', words: /except Pull Requests \(performance issues\) and Actions \(performance issues\)\.$/, verdict: 'degraded', component: ['Issues', 'ok'],
  },
  'summary-20250527T1252Z-minor-actions-and-scheduled.json': {
    // A partial outage is "parts of it are down", whatever the page's blended indicator.
    worst: 'major', words: /except Actions \(partial outage\)/, verdict: 'partial',
  },
  'summary-20230830T2114Z-webhooks-partial-no-incident.json': { worst: 'major', words: /except Webhooks \(partial outage\)/, verdict: 'partial' },
  'summary-20220907T1526Z-impact-none-and-minor.json': { worst: 'major', words: /except Actions \(partial outage\)/, verdict: 'partial' },
  'summary-20250508T1526Z-partial-outages-during-maintenance.json': {
    worst: 'major', words: /Git Operations \(partial outage\), Pull Requests \(partial outage\), Actions \(partial outage\) and Codespaces \(under maintenance\)/, verdict: 'partial',
    component: ['Codespaces', 'maintenance'],
  },
  'summary-20260416T1723Z-major-codespaces.json': { worst: 'major', words: /except Codespaces \(major outage\)/, verdict: 'partial', component: ['Git Operations', 'ok'] },
  'summary-20240121T0534Z-major-two-incidents.json': { worst: 'major', words: /Actions \(partial outage\) and Codespaces \(major outage\)/, verdict: 'partial' },
  'summary-20210810T2253Z-monitoring-major.json': { worst: 'major', words: /except GitHub Actions \(partial outage\)/, verdict: 'partial' },
  'summary-20260724T1711Z-major-incident-degraded.json': {
    // Six components merely degraded, but GitHub called the incident's impact major.
    worst: 'major', words: /Open incident: "Disruption with some GitHub services" \(investigating\), major impact\./, verdict: 'partial', component: ['Pages', 'minor'],
  },
  'summary-20260817T1348Z-critical-incident-degraded.json': {
    worst: 'major', words: /Open incident: "Incident with GitHub\.com" \(investigating\), critical impact\./, verdict: 'partial',
  },
  'summary-20260720T0114Z-critical-and-monitoring.json': {
    // Partial outages already make it major; the critical incident adds no weight, so no second sentence.
    worst: 'major', words: /except API Requests \(partial outage\), Issues \(performance issues\), Actions \(partial outage\) and Pages \(performance issues\)\.$/, verdict: 'partial',
  },
  'summary-20260817T2110Z-critical-copilot.json': { worst: 'major', words: /except Copilot \(major outage\)/, verdict: 'partial', component: ['Copilot', 'major'] },
};

describe('published githubstatus.com captures', () => {
  it('keeps at least 20 captures, every file listed with its provenance and every listed file present', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 20, `only ${files.length} captures`);
    assert.deepEqual(captures.map((c) => c.file).sort(), files);
    assert.deepEqual(Object.keys(EXPECTED).sort(), files);
    for (const c of captures) assert.ok(Number.isFinite(c.captured), `${c.file}: no capture time`);
  });

  for (const { file, captured } of captures) {
    it(`reads ${file} as the page meant it`, () => {
      const want = EXPECTED[file]!;
      const report = atlassian.parse([readFileSync(new URL(file, dir), 'utf8')], { now: captured, page: 'https://www.githubstatus.com' });
      assert.equal(report.page, 'https://www.githubstatus.com');
      assert.ok(!report.components.some((c) => c.name.startsWith('Visit ')), 'the "Visit … for more information" row is a link, not a component');

      const view = readStatus(report);
      assert.equal(view.worst, want.worst, view.words);
      assert.match(view.words, want.words);
      if (want.component) {
        const [name, worst] = want.component;
        assert.equal(readStatus(report, name).worst, worst, `component ${name}: ${readStatus(report, name).words}`);
      }

      const verdict = decideVerdict({ name: 'GitHub', probes: [up({ at: captured })], status: { ok: true, report } });
      assert.equal(verdict.state, want.verdict, verdict.summary);
    });
  }
});

describe('a published Sauce Labs history.atom', () => {
  const body = readFileSync(new URL('../fixtures/published/saucelabs/history-20201115T0817Z.atom', import.meta.url), 'utf8');
  const captured = Date.parse('2020-11-15T08:17:45Z');
  const ctx = { now: captured, page: 'https://status.us-west-1.saucelabs.com' };

  it('has nothing open at the moment it was captured: every entry ends Resolved or Completed', () => {
    const report = feed.parse([body], ctx);
    assert.deepEqual(report.incidents, []);
    assert.deepEqual(report.maintenances, []);
    assert.deepEqual(readStatus(report), { worst: 'ok', words: 'The status page reports no open incident.' });
  });

  it('reads the newest entry as open (Monitoring) once its Resolved line is taken out', () => {
    const resolved =
      "&lt;p&gt;&lt;small&gt;Nov &lt;var data-var='date'&gt;14&lt;/var&gt;, &lt;var data-var='time'&gt;14:07&lt;/var&gt; PST&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - Tunnels are starting successfully. This incident has been resolved.&lt;/p&gt;";
    assert.ok(body.includes(resolved));
    const report = feed.parse([body.replace(resolved, '')], ctx);
    assert.deepEqual(
      report.incidents.map((i) => [i.name, i.status]),
      [['2020-Nov-14 Service Incident', 'monitoring']],
    );
    assert.match(readStatus(report).words, /"2020-Nov-14 Service Incident" \(monitoring\)/);
  });
});

describe("Docker's status.io feed, as a public repository recorded it", () => {
  const read = (name: string) => readFileSync(new URL(`../fixtures/published/statusio/${name}`, import.meta.url), 'utf8');
  const ctx = (at: string) => ({ now: Date.parse(at), page: 'https://www.dockerstatus.com' });
  const twoItems = read('docker-rss-resolved-and-maintenance.xml');

  it('reads the updates oldest first, as status.io writes them: the newest (Monitoring) is the state', () => {
    const report = feed.parse([read('docker-rss-monitoring.xml')], ctx('2026-04-21T14:32:19Z'));
    assert.deepEqual(
      report.incidents.map((i) => [i.name, i.status, i.latestUpdate?.body]),
      [['Degraded Hub performance', 'monitoring', 'Docker Hub performance is improving.']],
    );
  });

  it('a resolved incident and a completed maintenance leave nothing open, even within the hour', () => {
    for (const at of ['2026-06-04T13:44:00Z', '2026-05-28T16:01:00Z', '2026-06-24T03:30:58Z']) {
      const report = feed.parse([twoItems], ctx(at));
      assert.deepEqual([report.incidents, report.maintenances], [[], []], at);
    }
  });

  it('without its Resolved line the incident is open (Investigating); without Completed the maintenance is under way', () => {
    const resolved = '<br /><small>June 4, 2026 06:43 PDT</small><br /><b>Resolved</b> - The issue is now resolved<br /><br />';
    const completed = '<small>May 28, 2026 09:00 PDT</small><br /><b>Completed</b> - Scheduled maintenance has been completed successfully.<br /><br />';
    assert.ok(twoItems.includes(resolved) && twoItems.includes(completed));
    const open = feed.parse([twoItems.replace(resolved, '')], ctx('2026-06-04T13:44:00Z'));
    assert.deepEqual(
      open.incidents.map((i) => [i.name, i.status]),
      [['Customers are experiencing Image push webhooks not firing as expected', 'investigating']],
    );
    // Three hours on, past the window in which an entry's words alone are trusted: the stated status decides.
    const underway = feed.parse([twoItems.replace(completed, '')], ctx('2026-05-28T19:00:00Z'));
    assert.deepEqual(underway.maintenances, [{ name: 'Scheduled Database Maintenance', status: 'in_progress', components: [] }]);
    assert.equal(underway.indicator, 'maintenance');
  });
});
