import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusOutcome, StatusReport, VerdictState } from '../../src/core/types.ts';
import { decideVerdict, type VerdictInput } from '../../src/core/verdict.ts';
import { failed, up } from './probe-results.ts';

function page(over: Partial<StatusReport> = {}): StatusOutcome {
  return {
    ok: true,
    report: {
      provider: 'atlassian',
      page: 'https://status.example',
      indicator: 'none',
      description: 'All Systems Operational',
      components: [
        { name: 'API', status: 'operational' },
        { name: 'Streaming', status: 'operational' },
        { name: 'Website', status: 'operational' },
      ],
      incidents: [],
      maintenances: [],
      ...over,
    },
  };
}
const comps = (api: string, streaming: string, website = 'operational') =>
  [
    { name: 'API', status: api },
    { name: 'Streaming', status: streaming },
    { name: 'Website', status: website },
  ] as StatusReport['components'];

interface Row {
  readonly name: string;
  readonly input: Omit<VerdictInput, 'name'>;
  readonly state: VerdictState;
  readonly summary: RegExp;
  readonly reason?: RegExp;
}

const rows: Row[] = [
  { name: 'probes up, page operational', input: { probes: [up()], status: page() }, state: 'up', summary: /it's just you/, reason: /all components operational/ },
  {
    name: 'probes up, page reports a major outage of two components',
    input: { probes: [up()], status: page({ indicator: 'major', components: comps('major_outage', 'major_outage') }) },
    state: 'partial',
    summary: /answers, but parts of it are down/,
    reason: /Our checks get 200 OK in 143 ms, but the status page reports a major problem/,
  },
  {
    name: 'probes up, one component with performance issues',
    input: { probes: [up()], status: page({ indicator: 'minor', components: comps('operational', 'degraded_performance') }) },
    state: 'degraded',
    summary: /its status page reports problems/,
    reason: /^All components operational except Streaming \(performance issues\)\.$/,
  },
  {
    name: 'the outage story: all in disruption except one, stream with performance issues',
    input: { probes: [failed('http_5xx')], status: page({ indicator: 'major', components: comps('major_outage', 'degraded_performance', 'major_outage') }) },
    state: 'down',
    summary: /down for everyone: 503/,
    reason: /The status page reports problems with every component: API \(major outage\), Streaming \(performance issues\) and Website \(major outage\)/,
  },
  {
    name: 'probes down, page still all operational',
    input: { probes: [failed('http_5xx')], status: page() },
    state: 'down',
    summary: /down for everyone/,
    reason: /has not caught up yet/,
  },
  {
    name: 'probes down during maintenance',
    input: { probes: [failed('http_5xx')], status: page({ indicator: 'maintenance', components: comps('under_maintenance', 'under_maintenance', 'under_maintenance'), maintenances: [{ name: 'DB upgrade', status: 'in_progress', components: [] }] }) },
    state: 'maintenance',
    summary: /down for maintenance/,
  },
  {
    name: 'probes up during maintenance',
    input: { probes: [up()], status: page({ indicator: 'maintenance', maintenances: [{ name: 'DB upgrade', status: 'in_progress', components: [] }] }) },
    state: 'up',
    summary: /up; maintenance is in progress/,
    reason: /maintenance in progress: DB upgrade/,
  },
  {
    name: 'status page unavailable never changes the probes\' verdict',
    input: { probes: [up()], status: { ok: false, reason: 'Statuspage summary is not valid JSON' } },
    state: 'up',
    summary: /it's just you/,
    reason: /^Status page unavailable: Statuspage summary is not valid JSON\.$/,
  },
  {
    name: 'crowd reports from two teams turn "just you" into "others report problems"',
    input: { probes: [up()], crowd: { reports: 3, teams: 2, windowMs: 1_800_000 } },
    state: 'up',
    summary: /up from here, but others report problems/,
    reason: /^3 reports from 2 teams in the last 30 min\.$/,
  },
  {
    name: 'crowd reports alone never make it down',
    input: { probes: [up()], crowd: { reports: 50, teams: 20, windowMs: 1_800_000 } },
    state: 'up',
    summary: /up from here/,
  },
  {
    name: 'one report from one team is mentioned, not headlined',
    input: { probes: [up()], crowd: { reports: 1, teams: 1, windowMs: 1_800_000 } },
    state: 'up',
    summary: /it's just you/,
    reason: /1 report from 1 team/,
  },
  {
    name: 'a watched component narrows the page: others failing do not count',
    input: { probes: [up()], component: 'API', status: page({ indicator: 'major', components: comps('operational', 'major_outage') }) },
    state: 'up',
    summary: /it's just you/,
    reason: /API is operational/,
  },
  {
    name: 'a watched component in trouble',
    input: { probes: [up()], component: 'streaming', status: page({ indicator: 'major', components: comps('operational', 'major_outage') }) },
    state: 'partial',
    summary: /parts of it are down/,
    reason: /major outage of Streaming/,
  },
  {
    name: 'a component asked of a page with no component list, named by an open incident',
    input: {
      probes: [up()],
      component: 'Actions',
      status: page({ provider: 'feed', components: [], indicator: 'major', incidents: [{ name: 'Disruption with GitHub Actions', status: 'investigating', impact: 'major', components: [] }] }),
    },
    state: 'partial',
    summary: /parts of it are down according to its status page/,
    reason: /open incident that names Actions: "Disruption with GitHub Actions" \(investigating\)/,
  },
  {
    name: 'a component asked of a page with no component list, named by nothing',
    input: { probes: [up()], component: 'Actions', status: page({ provider: 'feed', components: [], incidents: [] }) },
    state: 'up',
    summary: /is up/,
    reason: /lists no components, and no open incident there names "Actions"/,
  },
  {
    name: 'our network failing beats everything, and says what the page says',
    input: { probes: [failed('timeout')], control: { checked: 2, failed: 2 }, status: page({ indicator: 'major', components: comps('major_outage', 'major_outage') }) },
    state: 'unknown',
    summary: /my own connection is failing/,
  },
];

describe('fused verdict: probes + status page + crowd', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.state}`, () => {
      const v = decideVerdict({ name: 'Example', ...row.input });
      assert.equal(v.state, row.state, v.summary);
      assert.match(v.summary, row.summary);
      if (row.reason) assert.ok(v.reasons.some((r) => row.reason!.test(r)), `reasons: ${v.reasons.join(' | ')}`);
    });
  }
});
