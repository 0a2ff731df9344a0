import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addToDay, addToHistory, DAY_MS, dayOf, decodeRollup, emptyRollup, encodeRollup, HOUR_MS, isFoldable, percentile, readDay, readHistory, sampleOf, tally, uptimeOf, type Rollup } from '../../src/core/rollup.ts';
import { chartOf, formatUptime, sparkline, uptimeReport, withPending, type DaySummary } from '../../src/core/uptime.ts';
import { chartSvg } from '../../src/core/chart-svg.ts';
import { parseCommand } from '../../src/core/commands.ts';
import type { Incident } from '../../src/core/incident.ts';
import type { ProbeResult } from '../../src/core/types.ts';

const NOW = Date.UTC(2026, 10, 27, 12, 30);
const rollup = (checks: number, failures: number, ms = 100, degraded = 0): Rollup => {
  const r = emptyRollup();
  for (let i = 0; i < checks; i++) tally(r, { state: i < failures ? 'down' : i < failures + degraded ? 'degraded' : 'up', latencyMs: ms });
  return r;
};
const incident = (openedAt: number, closedAt?: number): Incident => ({
  id: `i-${openedAt}`,
  monitorKey: 'k',
  targetId: 'example.com',
  service: 'example.com',
  openedAt,
  ...(closedAt !== undefined ? { closedAt } : {}),
  health: closedAt === undefined ? 'down' : 'up',
  flapping: false,
  timeline: [{ at: openedAt, health: 'down', kind: 'opened', summary: 'down' }, ...(closedAt !== undefined ? [{ at: closedAt, health: 'up' as const, kind: 'recovered' as const, summary: 'up' }] : [])],
});

describe('rollups', () => {
  it('count checks, failures and degraded; an unknown round (our network) is not counted', () => {
    const r = emptyRollup();
    for (const state of ['up', 'down', 'degraded', 'partial', 'unknown', 'maintenance'] as const) tally(r, { state, latencyMs: 80 });
    assert.deepEqual([r.checks, r.failures, r.degraded], [5, 1, 2]);
    assert.equal(uptimeOf(r), 4 / 5);
  });

  it('tell p50/p95 as the bound of their latency bucket, capped by the slowest answer', () => {
    const r = emptyRollup();
    for (let i = 0; i < 95; i++) tally(r, { state: 'up', latencyMs: 40 });
    for (let i = 0; i < 5; i++) tally(r, { state: 'up', latencyMs: 2_400 });
    assert.equal(percentile(r, 50), 50);
    assert.equal(percentile(r, 95), 50);
    assert.equal(percentile(r, 99), 2_400, 'the last bucket holding it is 3 s, the slowest was 2.4 s');
    assert.equal(percentile(emptyRollup(), 50), undefined);
  });

  it('take the fastest answer of a check, and no time from a probe that got none', () => {
    const probe = (ok: boolean, total: number, status?: number) => ({ ok, latency: { total }, ...(status ? { status } : {}) }) as unknown as ProbeResult;
    assert.deepEqual(sampleOf('up', [probe(true, 300, 200), probe(true, 120, 200)]), { state: 'up', latencyMs: 120 });
    assert.deepEqual(sampleOf('down', [probe(false, 15_000)]), { state: 'down' }, 'a timeout is not a response time');
    assert.deepEqual(sampleOf('down', [probe(false, 40, 503)]), { state: 'down', latencyMs: 40 });
  });

  it('encode to a few numbers and read back; damaged values read as nothing', () => {
    const r = rollup(60, 2, 120);
    const e = encodeRollup(r);
    assert.ok(JSON.stringify(e).length < 40, JSON.stringify(e));
    assert.deepEqual(decodeRollup(e), r);
    for (const bad of [null, 'x', [1, 2], [1, 2, 3, 4, -5], [1, 2, 3, 4, 5, ...new Array(20).fill(1)], [1, 2, 3, 4, Infinity]]) assert.equal(decodeRollup(bad), undefined);
  });

  it('add hours to a day; a day 48 h old becomes one total in the history, which keeps only retention', () => {
    const day = dayOf(NOW);
    const stored = addToDay(addToDay(undefined, day, new Map([[day * DAY_MS + 3 * HOUR_MS, rollup(10, 1)]])), day, new Map([[day * DAY_MS + 3 * HOUR_MS, rollup(10, 0)], [(day + 1) * DAY_MS, rollup(5, 5)]]));
    assert.deepEqual(Object.keys(stored.h), ['3'], "another day's hour is not added here");
    assert.equal(readDay(stored, day).total.checks, 20);
    assert.equal(isFoldable(day, NOW), false, 'recent: kept hourly');
    assert.equal(isFoldable(day, (day + 1) * DAY_MS + 48 * HOUR_MS), true);
    let history = addToHistory(undefined, new Map([[day - 100, rollup(1, 0)], [day, readDay(stored, day).total]]), day - 90);
    assert.deepEqual([...readHistory(history, 0).keys()], [day], 'a day past retention is not kept');
    history = addToHistory(history, new Map([[day, rollup(4, 0)]]), day - 90);
    assert.equal(readHistory(history, 0).get(day)!.checks, 24, 'late data joins the day');
    assert.deepEqual([...readHistory(addToHistory(history, new Map(), day + 1), 0).keys()], [], 'pruned as retention moves on');
  });
});

describe('uptime report', () => {
  const today = dayOf(NOW);
  // 89 days of perfect checks, then yesterday with an hour down, and today's morning by the hour.
  const days = new Map<number, DaySummary>();
  for (let d = today - 89; d < today - 1; d++) days.set(d, { hours: new Map(), total: rollup(1_440, 0, 200) });
  days.set(today - 1, { hours: new Map(), total: rollup(1_440, 60, 300) });
  const pending = new Map<number, Rollup>();
  for (let h = 0; h <= 12; h++) pending.set(today * DAY_MS + h * HOUR_MS, rollup(60, 0, 100));
  const all = withPending(days, pending);
  const outage = incident(Date.UTC(2026, 10, 26, 9), Date.UTC(2026, 10, 26, 10));

  it('gives uptime for the period and for every other period in one line', () => {
    const r = uptimeReport('example.com', all, [outage], '7d', NOW);
    assert.equal(r.total.failures, 60);
    assert.equal(formatUptime(r.uptime), formatUptime((r.total.checks - 60) / r.total.checks));
    // 24h: today's 13 hours and yesterday whole (kept only as a day); 7d: 6 more days; and so on.
    assert.deepEqual(
      r.byPeriod.map((p) => [p.period, formatUptime(p.uptime)]),
      [['24h', '97.29 %'], ['7d', '99.44 %'], ['30d', '99.86 %'], ['90d', '99.95 %']],
    );
    assert.ok(r.byPeriod[0]!.uptime! < r.byPeriod[3]!.uptime!, 'the bad day weighs more in 24h than in 90d');
    assert.equal(r.incidents, 1);
    assert.equal(r.longestMs, HOUR_MS);
    assert.equal(r.p50, 200);
    assert.equal(r.chart.points.length, 7);
    assert.equal(r.chart.points.at(-2)!.state, 'down', 'the day of the outage is red');
    assert.equal(r.chart.points.at(-3)!.state, 'up');
    assert.deepEqual(r.chart.outages, [{ from: outage.openedAt, to: outage.closedAt }]);
  });

  it('draws a day by the hour, counting only the last 24 hours', () => {
    const r = uptimeReport('example.com', all, [], '24h', NOW);
    assert.equal(r.chart.points.length, 24);
    assert.equal(r.chart.points.filter((p) => p.checks > 0).length, 13, "today's hours; yesterday's are folded into its day");
    assert.equal(r.total.checks, 780 + 1_440, 'yesterday counts whole: it is kept only as a day');
  });

  it('says "no data" rather than 100 % for a period with no checks, and never rounds a failure up to 100 %', () => {
    assert.equal(formatUptime(uptimeReport('x', new Map(), [], '24h', NOW).uptime), 'no data');
    assert.equal(formatUptime(1 - 1 / 100_000), '99.99 %');
    assert.equal(formatUptime(1), '100 %');
  });

  it('draws a sparkline for terminals, ✖ where it was down', () => {
    const line = sparkline(chartOf('x', all, [outage], 7 * DAY_MS, NOW));
    assert.equal([...line].length, 7);
    assert.equal([...line].at(-2), '✖');
  });

  it('draws an SVG that escapes what came from outside', () => {
    const svg = chartSvg(chartOf('<script>alert(1)</script> & co', all, [outage], 30 * DAY_MS, NOW));
    assert.ok(svg.startsWith('<svg') && svg.endsWith('</svg>'));
    assert.ok(!svg.includes('<script>'));
    assert.match(svg, /&#60;script&#62;/);
    assert.equal((svg.match(/<rect [^>]*height="18"/g) ?? []).length, 30, 'one bar a day');
    assert.match(svg, /<polyline /);
  });
});

describe('uptime and page commands', () => {
  it('parse with their periods and options, and refuse the rest with the choices', () => {
    assert.deepEqual(parseCommand('uptime github'), { ok: true, command: { kind: 'uptime', target: 'github', period: '7d' } });
    assert.deepEqual(parseCommand('/isdown uptime github 90D'), { ok: true, command: { kind: 'uptime', target: 'github', period: '90d' } });
    const bad = parseCommand('uptime github 3d');
    assert.ok(!bad.ok && /24h, 7d, 30d, 90d/.test(bad.error));
    assert.ok(!parseCommand('uptime').ok);
    assert.deepEqual(parseCommand('page'), { ok: true, command: { kind: 'page' } });
    assert.deepEqual(parseCommand('page off'), { ok: true, command: { kind: 'page', off: true } });
    assert.ok(!parseCommand('page on').ok);
  });
});
