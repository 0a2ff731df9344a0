/**
 * Charts as SVG text: inline on the status page, and turned into the PNG attached in chat.
 * One drawing for both, so what a team sees in Slack is what its page shows.
 */
import { formatLatency } from './duration.ts';
import { chartUnit, formatUptime, type BarState, type Chart } from './uptime.ts';
import { DAY_MS } from './rollup.ts';

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Colours that read on white and on the dark scheme alike (WCAG AA against both for the text ones). */
export const STATE_COLOUR: Record<BarState, string> = { up: '#2e9e4f', degraded: '#d29b00', down: '#d23c3c', none: '#9aa0a6' };

const FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";

/** A round number at or above the slowest point, for the y axis: 100, 200, 500, 1000 … */
function niceMax(ms: number): number {
  const steps = [50, 100, 200, 300, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 15_000, 30_000];
  return steps.find((s) => s >= ms) ?? Math.ceil(ms / 10_000) * 10_000;
}

const day = (at: number) => new Date(at).toISOString().slice(0, 10);
const hourMinute = (at: number) => new Date(at).toISOString().slice(11, 16);

export interface ChartSvgOptions {
  readonly width?: number;
  readonly height?: number;
  /** Dark text on a white card (PNG) or the page's own colours (currentColor). */
  readonly background?: string;
  readonly text?: string;
}

/**
 * Response time as a line (average per hour or day), outages shaded red, and a strip of bars
 * below coloured by each hour's or day's worst state. Every value that reaches the text is
 * escaped: a service's name comes from outside.
 */
export function chartSvg(chart: Chart, opts: ChartSvgOptions = {}): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 300;
  const text = opts.text ?? 'currentColor';
  const left = 56;
  const right = 12;
  const top = 34;
  const barH = 18;
  const bottom = 44;
  const plotH = H - top - bottom - barH - 8;
  const plotW = W - left - right;
  const span = Math.max(1, chart.to - chart.from);
  const x = (at: number) => left + ((at - chart.from) / span) * plotW;
  const slowest = Math.max(0, ...chart.points.map((p) => p.avgMs ?? 0));
  const yMax = niceMax(Math.max(slowest, 1));
  const y = (ms: number) => top + plotH - (Math.min(ms, yMax) / yMax) * plotH;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(chart.title)}: response time and uptime">`);
  if (opts.background) parts.push(`<rect width="${W}" height="${H}" fill="${opts.background}"/>`);
  parts.push(`<text x="${left}" y="20" ${FONT} font-size="14" font-weight="bold" fill="${text}">${escapeXml(chart.title)}</text>`);
  // Grid: zero, half and the top, labelled.
  for (const f of [0, 0.5, 1]) {
    const gy = y(yMax * f).toFixed(1);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${gy}" y2="${gy}" stroke="${text}" stroke-opacity="0.15"/>`);
    parts.push(`<text x="${left - 6}" y="${gy}" dy="4" text-anchor="end" ${FONT} font-size="11" fill="${text}">${escapeXml(formatLatency(yMax * f))}</text>`);
  }
  for (const o of chart.outages) {
    const x0 = x(o.from);
    const w = Math.max(2, x(o.to) - x0);
    parts.push(`<rect x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${plotH}" fill="${STATE_COLOUR.down}" fill-opacity="0.18"><title>down ${escapeXml(`${day(o.from)} ${hourMinute(o.from)}–${hourMinute(o.to)} UTC`)}</title></rect>`);
  }
  // The line breaks where a point has no answer, rather than drawing through the gap.
  const runs: string[][] = [];
  let run: string[] = [];
  for (const p of chart.points) {
    if (p.avgMs === undefined) {
      if (run.length) runs.push(run);
      run = [];
      continue;
    }
    run.push(`${x(Math.min(p.at + p.spanMs / 2, chart.to)).toFixed(1)},${y(p.avgMs).toFixed(1)}`);
  }
  if (run.length) runs.push(run);
  for (const r of runs) {
    if (r.length === 1) {
      const [cx, cy] = r[0]!.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="2.5" fill="#2f6fde"/>`);
    } else parts.push(`<polyline points="${r.join(' ')}" fill="none" stroke="#2f6fde" stroke-width="2" stroke-linejoin="round"/>`);
  }
  const barTop = top + plotH + 8;
  const gap = chart.points.length > 60 ? 1 : 2;
  for (const p of chart.points) {
    const x0 = x(Math.max(p.at, chart.from));
    // Today's bar ends at now, not at midnight: nothing is drawn past the chart's right edge.
    const w = Math.max(1, x(Math.min(p.at + p.spanMs, chart.to)) - x0 - gap);
    const label = `${p.spanMs >= DAY_MS ? day(p.at) : `${day(p.at)} ${hourMinute(p.at)} UTC`}: ${p.checks ? `${formatUptime(p.uptime)} up` : 'no checks'}${p.avgMs !== undefined ? `, ${formatLatency(p.avgMs)} average` : ''}`;
    parts.push(`<rect x="${x0.toFixed(1)}" y="${barTop}" width="${w.toFixed(1)}" height="${barH}" rx="1" fill="${STATE_COLOUR[p.state]}"><title>${escapeXml(label)}</title></rect>`);
  }
  const axisY = barTop + barH + 16;
  const fmt = span > 2 * 86_400_000 ? day : (at: number) => `${hourMinute(at)} UTC`;
  parts.push(`<text x="${left}" y="${axisY}" ${FONT} font-size="11" fill="${text}">${escapeXml(fmt(chart.from))}</text>`);
  parts.push(`<text x="${W - right}" y="${axisY}" text-anchor="end" ${FONT} font-size="11" fill="${text}">${escapeXml(fmt(chart.to))}</text>`);
  parts.push(`<text x="${(left + W - right) / 2}" y="${axisY}" text-anchor="middle" ${FONT} font-size="11" fill="${text}" fill-opacity="0.75">response time (line) · uptime per ${chartUnit(chart)} (bars) · red: down</text>`);
  parts.push('</svg>');
  return parts.join('');
}
