/**
 * "How has it been?": a monitor's rollups and incidents over a period, as numbers and as the
 * points of a chart. Pure: the store's days and the scheduler's unwritten hour come in as data.
 */
import { averageMs, DAY_MS, dayOf, HOUR_MS, mergeRollups, percentile, sumRollups, timed, uptimeOf, type Rollup } from './rollup.ts';
import { downtime, span, type Incident } from './incident.ts';

export const UPTIME_PERIODS = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS, '90d': 90 * DAY_MS } as const;
export type UptimePeriod = keyof typeof UPTIME_PERIODS;
export const DEFAULT_UPTIME_PERIOD: UptimePeriod = '7d';

export const isUptimePeriod = (s: string): s is UptimePeriod => Object.hasOwn(UPTIME_PERIODS, s);

/** A stored day: its hours while kept hourly, and its total. */
export interface DaySummary {
  readonly hours: ReadonlyMap<number, Rollup>;
  readonly total: Rollup;
}

/** The worst a bar's span saw: an incident's downtime, failed or slow checks, or none of it. */
export type BarState = 'up' | 'degraded' | 'down' | 'none';

export interface ChartPoint {
  /** Start of the point's hour or day. */
  readonly at: number;
  readonly spanMs: number;
  readonly checks: number;
  readonly uptime?: number;
  readonly avgMs?: number;
  readonly state: BarState;
}

/** What a chart draws, in any medium: PNG in chat, inline SVG on a status page, a sparkline in a terminal. */
export interface Chart {
  readonly title: string;
  readonly from: number;
  readonly to: number;
  readonly points: readonly ChartPoint[];
  /** Spans of incident downtime, shaded. */
  readonly outages: readonly { readonly from: number; readonly to: number }[];
}

export interface UptimeReport {
  readonly period: UptimePeriod;
  readonly total: Rollup;
  readonly uptime?: number;
  /** Every period's uptime, for the one-line comparison. */
  readonly byPeriod: readonly { readonly period: UptimePeriod; readonly uptime?: number }[];
  readonly incidents: number;
  readonly longest?: Incident;
  readonly longestMs: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly maxMs?: number;
  readonly chart: Chart;
}

/** The store's days with the hours this process has not written yet added in. */
export function withPending(days: ReadonlyMap<number, DaySummary>, pending: ReadonlyMap<number, Rollup>): Map<number, DaySummary> {
  const out = new Map<number, DaySummary>(days);
  for (const [hour, r] of pending) {
    const day = dayOf(hour);
    const have = out.get(day);
    const hours = new Map(have?.hours ?? []);
    const prev = hours.get(hour);
    hours.set(hour, prev ? mergeRollups(prev, r) : r);
    out.set(day, { hours, total: have ? mergeRollups(have.total, r) : r });
  }
  return out;
}

/** Rollups in [from, now]: whole hours where kept hourly, whole days otherwise. */
function totalSince(days: ReadonlyMap<number, DaySummary>, from: number): Rollup {
  const parts: Rollup[] = [];
  for (const [day, d] of days) {
    if ((day + 1) * DAY_MS <= from) continue;
    if (d.hours.size && day * DAY_MS < from) {
      for (const [hour, r] of d.hours) if (hour + HOUR_MS > from) parts.push(r);
    } else parts.push(d.total);
  }
  return sumRollups(parts);
}

function overlaps(i: Incident, from: number, to: number, now: number): boolean {
  return i.openedAt < to && (i.closedAt ?? now) > from;
}

function stateOf(r: Rollup | undefined, troubled: boolean): BarState {
  if (!r || r.checks === 0) return troubled ? 'down' : 'none';
  if (troubled) return 'down';
  return r.failures > 0 || r.degraded > 0 ? 'degraded' : 'up';
}

function point(at: number, spanMs: number, r: Rollup | undefined, incidents: readonly Incident[], now: number): ChartPoint {
  const troubled = incidents.some((i) => overlaps(i, at, at + spanMs, now) && downtime(i, now) > 0);
  const up = r && uptimeOf(r);
  const avg = r && averageMs(r);
  return { at, spanMs, checks: r?.checks ?? 0, state: stateOf(r, troubled), ...(up !== undefined ? { uptime: up } : {}), ...(avg !== undefined ? { avgMs: Math.round(avg) } : {}) };
}

/** A chart of the period: hourly points over a day, daily ones over longer periods. */
export function chartOf(title: string, days: ReadonlyMap<number, DaySummary>, incidents: readonly Incident[], periodMs: number, now: number): Chart {
  const from = now - periodMs;
  const points: ChartPoint[] = [];
  if (periodMs <= DAY_MS) {
    const hours = new Map<number, Rollup>();
    for (const d of days.values()) for (const [h, r] of d.hours) hours.set(h, r);
    for (let h = Math.floor(from / HOUR_MS) * HOUR_MS + HOUR_MS; h <= now; h += HOUR_MS) points.push(point(h, HOUR_MS, hours.get(h), incidents, now));
  } else {
    for (let day = dayOf(from) + 1; day <= dayOf(now); day++) points.push(point(day * DAY_MS, DAY_MS, days.get(day)?.total, incidents, now));
  }
  const outages = incidents
    .filter((i) => overlaps(i, from, now, now))
    .map((i) => ({ from: Math.max(from, i.openedAt), to: Math.min(now, i.closedAt ?? now) }));
  return { title, from, to: now, points, outages };
}

export function uptimeReport(service: string, days: ReadonlyMap<number, DaySummary>, incidents: readonly Incident[], period: UptimePeriod, now: number): UptimeReport {
  const periodMs = UPTIME_PERIODS[period];
  const periods = Object.keys(UPTIME_PERIODS) as UptimePeriod[];
  const totals = new Map(periods.map((p) => [p, totalSince(days, now - UPTIME_PERIODS[p])]));
  const total = totals.get(period)!;
  const inPeriod = incidents.filter((i) => overlaps(i, now - periodMs, now, now) && !i.unwatchedAt);
  let longest: Incident | undefined;
  for (const i of inPeriod) if (!longest || span(i, now) > span(longest, now)) longest = i;
  const up = uptimeOf(total);
  const p50 = percentile(total, 50);
  const p95 = percentile(total, 95);
  return {
    period,
    total,
    ...(up !== undefined ? { uptime: up } : {}),
    byPeriod: periods.map((p) => {
      const u = uptimeOf(totals.get(p)!);
      return { period: p, ...(u !== undefined ? { uptime: u } : {}) };
    }),
    incidents: inPeriod.length,
    ...(longest ? { longest } : {}),
    longestMs: longest ? span(longest, now) : 0,
    ...(p50 !== undefined ? { p50 } : {}),
    ...(p95 !== undefined ? { p95 } : {}),
    ...(timed(total) > 0 ? { maxMs: total.maxMs } : {}),
    chart: chartOf(`${service} — last ${period}`, days, inPeriod, periodMs, now),
  };
}

/** "99.95 %": two decimals, and never 100 % when one check failed. */
export function formatUptime(u: number | undefined): string {
  if (u === undefined) return 'no data';
  const pct = Math.floor(u * 10_000) / 100;
  return `${pct.toFixed(pct === 100 || pct === 0 ? 0 : 2)} %`;
}

const SPARKS = '▁▂▃▄▅▆▇█';

/** The chart in one line of text, for terminals: response time as bar heights, ✖ where it was down, · where nothing was checked. */
export function sparkline(chart: Chart): string {
  const values = chart.points.map((p) => p.avgMs);
  const known = values.filter((v): v is number => v !== undefined);
  const max = Math.max(1, ...known);
  return chart.points
    .map((p) => (p.state === 'down' ? '✖' : p.avgMs === undefined ? '·' : SPARKS[Math.min(SPARKS.length - 1, Math.floor((p.avgMs / max) * (SPARKS.length - 1) + 0.5))]!))
    .join('');
}

/** What one point of the chart stands for. */
export const chartUnit = (chart: Chart): 'day' | 'hour' => (chart.points[0] && chart.points[0].spanMs >= DAY_MS ? 'day' : 'hour');

/** What a chart shows, in words: alt text for people who cannot see the image. */
export function chartDescription(chart: Chart): string {
  const per = chartUnit(chart);
  const down = chart.points.filter((p) => p.state === 'down').length;
  return `${chart.title}: average response time per ${per} as a line, and uptime per ${per} as bars; ${down ? `${down} ${per}${down === 1 ? '' : 's'} with downtime` : 'no downtime'}.`;
}
