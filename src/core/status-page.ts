/**
 * A channel's public status page, as data and as server-rendered HTML that needs no JavaScript,
 * plus the JSON beside it and shields-style badges. Pure: the app gathers the data.
 */
import { escapeXml, STATE_COLOUR } from './chart-svg.ts';
import { formatLatency } from './duration.ts';
import { formatUptime, type BarState, type Chart, type UptimePeriod } from './uptime.ts';

export type PageState = 'up' | 'degraded' | 'partial' | 'down' | 'maintenance' | 'pending';

export interface PageWatch {
  readonly service: string;
  /** The badge's name in its URL: /status/<slug>/badge/<badge>.svg. */
  readonly badge: string;
  readonly state: PageState;
  readonly since?: number;
  readonly lastCheckedAt?: number;
  readonly uptime: Readonly<Partial<Record<UptimePeriod, number>>>;
  /** The last 90 days, oldest first. */
  readonly days: readonly { readonly at: number; readonly state: BarState; readonly uptime?: number }[];
  /** The last 24 hours by the hour, for the response-time line. */
  readonly recent: Chart;
  readonly p95Ms?: number;
  readonly openIncidents: readonly { readonly id: string; readonly openedAt: number; readonly story: string }[];
}

export interface StatusPageData {
  readonly generatedAt: number;
  readonly watches: readonly PageWatch[];
}

const STATE_WORD: Record<PageState, string> = { up: 'Operational', degraded: 'Degraded', partial: 'Partial outage', down: 'Down', maintenance: 'Maintenance', pending: 'Not checked yet' };
/** Text colours chosen for contrast ≥ 4.5:1 on the card in each scheme. */
const STATE_CLASS: Record<PageState, string> = { up: 'up', degraded: 'warn', partial: 'warn', down: 'down', maintenance: 'info', pending: 'info' };

/** A name that is safe in a URL path segment: "github", "127-0-0-1-8080-health". */
export function badgeName(id: string): string {
  return (
    id
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 80) || 'service'
  );
}

const iso = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s < 90) return `${s} s ago`;
  if (s < 5_400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3_600)} h ago`;
}

/** The last day's response time as a small line, outages shaded; scales to the card's width. */
function responseLine(chart: Chart): string {
  const W = 300;
  const H = 48;
  const span = Math.max(1, chart.to - chart.from);
  const slowest = Math.max(1, ...chart.points.map((p) => p.avgMs ?? 0));
  const x = (at: number) => ((at - chart.from) / span) * W;
  const y = (ms: number) => H - 4 - (ms / slowest) * (H - 8);
  const shaded = chart.outages.map((o) => `<rect x="${x(o.from).toFixed(1)}" y="0" width="${Math.max(2, x(o.to) - x(o.from)).toFixed(1)}" height="${H}" fill="${STATE_COLOUR.down}" fill-opacity="0.2"/>`).join('');
  const pts = chart.points.filter((p) => p.avgMs !== undefined).map((p) => [x(p.at + p.spanMs / 2), y(p.avgMs!)] as const);
  // One hour of data is a short stroke at its height, not nothing.
  const drawn = pts.length === 1 ? [[Math.max(0, pts[0]![0] - 6), pts[0]![1]] as const, [Math.min(W, pts[0]![0] + 6), pts[0]![1]] as const] : pts;
  const line = drawn.length > 1 ? `<polyline points="${drawn.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}" fill="none" stroke="#2f6fde" stroke-width="2" vector-effect="non-scaling-stroke"/>` : '';
  const label = pts.length ? `Response time over the last 24 hours, up to ${formatLatency(slowest)}` : 'No response times in the last 24 hours';
  return `<svg class="line" viewBox="0 0 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="${escapeXml(label)}"><title>${escapeXml(label)}</title>${shaded}${line}</svg>`;
}

/** Dates and numbers only (nothing from outside), so the bar's title needs no escaping. */
function barsOf(days: PageWatch['days'], dayNames: Map<number, string>): string {
  let out = '';
  for (const d of days) {
    let name = dayNames.get(d.at);
    if (name === undefined) dayNames.set(d.at, (name = isoDay(d.at)));
    out += `<i class="b ${d.state}" title="${name}: ${d.uptime === undefined ? 'no checks' : `${formatUptime(d.uptime)} up`}"></i>`;
  }
  return out;
}

function watchCard(w: PageWatch, now: number, dayNames: Map<number, string>): string {
  const bars = barsOf(w.days, dayNames);
  const incidents = w.openIncidents.length
    ? `<ul class="inc">${w.openIncidents.map((i) => `<li><strong>Since ${escapeXml(iso(i.openedAt))}</strong> — ${escapeXml(i.story)}</li>`).join('')}</ul>`
    : '';
  const checked = w.lastCheckedAt !== undefined ? `last checked ${ago(now - w.lastCheckedAt)}` : 'not checked since the bot started';
  return `<section class="card" id="${escapeXml(w.badge)}">
<div class="head"><h2>${escapeXml(w.service)}</h2><span class="st ${STATE_CLASS[w.state]}">${STATE_WORD[w.state]}${w.since !== undefined && w.state !== 'up' && w.state !== 'pending' ? ` since ${escapeXml(iso(w.since))}` : ''}</span></div>
<div class="meta">${escapeXml(formatUptime(w.uptime['90d']))} up over 90 days · ${escapeXml(formatUptime(w.uptime['24h']))} over 24 h${w.p95Ms !== undefined ? ` · p95 ≤ ${escapeXml(formatLatency(w.p95Ms))}` : ''} · ${escapeXml(checked)}</div>
<div class="bars" role="img" aria-label="${escapeXml(`Daily uptime of ${w.service} over the last 90 days`)}">${bars}</div>
<div class="axis"><span>90 days ago</span><span>today</span></div>
<div class="axis"><span>response time, last 24 h${w.recent.points.some((p) => p.avgMs !== undefined) ? ` (top: ${escapeXml(formatLatency(Math.max(...w.recent.points.map((p) => p.avgMs ?? 0))))})` : ': none yet'}</span></div>
${responseLine(w.recent)}
${incidents}
</section>`;
}

const CSS = `
:root{color-scheme:light dark;--bg:#f6f7f9;--card:#fff;--fg:#1d2125;--muted:#505a64;--border:#dde1e6;--up:#1a7f37;--warn:#8a6100;--down:#c0272d;--info:#3a5a8c}
@media (prefers-color-scheme:dark){:root{--bg:#0f1216;--card:#181c22;--fg:#e8eaed;--muted:#aab3bd;--border:#2c333b;--up:#4fc06b;--warn:#e0b43c;--down:#ff7b72;--info:#8fb4ff}}
*{box-sizing:border-box}body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:860px;margin:0 auto;padding:24px 16px}
h1{font-size:22px;margin:0 0 4px}.banner{padding:14px 16px;border-radius:8px;margin:16px 0;font-weight:600;border:1px solid var(--border);background:var(--card)}
.banner.up{border-left:6px solid var(--up)}.banner.down{border-left:6px solid var(--down)}.banner.warn{border-left:6px solid var(--warn)}
.card{background:var(--card);border:1px solid var(--border);border-radius:8px;padding:14px 16px;margin:12px 0}
.head{display:flex;justify-content:space-between;gap:12px;align-items:baseline;flex-wrap:wrap}h2{font-size:17px;margin:0;word-break:break-all}
.st{font-weight:600}.st.up{color:var(--up)}.st.warn{color:var(--warn)}.st.down{color:var(--down)}.st.info{color:var(--info)}
.meta,.axis,footer{color:var(--muted);font-size:13px}.meta{margin:4px 0 10px}
.bars{display:flex;gap:2px;height:28px}.b{flex:1;border-radius:2px;min-width:2px}
.b.up{background:${STATE_COLOUR.up}}.b.degraded{background:${STATE_COLOUR.degraded}}.b.down{background:${STATE_COLOUR.down}}.b.none{background:${STATE_COLOUR.none};opacity:.45}
.axis{display:flex;justify-content:space-between;margin-top:2px}
.line{display:block;width:100%;height:48px;margin-top:2px;border-bottom:1px solid var(--border)}
.inc{margin:10px 0 0;padding-left:18px}.inc li{margin:4px 0}
footer{margin-top:24px}`;

export function renderStatusPage(data: StatusPageData): string {
  // Every watch shows the same 90 days: each date is written once.
  const dayNames = new Map<number, string>();
  const troubled = data.watches.filter((w) => w.state === 'down' || w.state === 'partial' || w.state === 'degraded');
  const down = troubled.some((w) => w.state === 'down');
  const banner = data.watches.length === 0 ? ['info', 'This channel watches nothing yet.'] : troubled.length === 0 ? ['up', `All ${data.watches.length} ${data.watches.length === 1 ? 'service is' : 'services are'} operational`] : [down ? 'down' : 'warn', `${troubled.length} of ${data.watches.length} ${data.watches.length === 1 ? 'service has' : 'services have'} problems`];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex">
<title>Service status</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>Service status</h1>
<div class="banner ${banner[0]}" role="status">${escapeXml(banner[1]!)}</div>
${data.watches.map((w) => watchCard(w, data.generatedAt, dayNames)).join('\n')}
<footer>Updated ${escapeXml(iso(data.generatedAt))} · checked by isdown from its own network · bars: one day each, colour by the worst that day saw</footer>
</main>
</body>
</html>
`;
}

/** The same data for machines. */
export function statusJson(data: StatusPageData, badgeUrl: (badge: string) => string): unknown {
  return {
    generatedAt: new Date(data.generatedAt).toISOString(),
    watches: data.watches.map((w) => ({
      service: w.service,
      state: w.state,
      ...(w.since !== undefined ? { since: new Date(w.since).toISOString() } : {}),
      ...(w.lastCheckedAt !== undefined ? { lastCheckedAt: new Date(w.lastCheckedAt).toISOString() } : {}),
      uptime: w.uptime,
      ...(w.p95Ms !== undefined ? { p95Ms: w.p95Ms } : {}),
      days: w.days.map((d) => ({ date: isoDay(d.at), state: d.state, ...(d.uptime !== undefined ? { uptime: d.uptime } : {}) })),
      openIncidents: w.openIncidents.map((i) => ({ id: i.id, openedAt: new Date(i.openedAt).toISOString(), story: i.story })),
      badge: badgeUrl(w.badge),
    })),
  };
}

const BADGE_COLOUR: Record<string, string> = { up: '#2e9e4f', degraded: '#b07d00', partial: '#c46200', down: '#c0272d', maintenance: '#3a5a8c', pending: '#6b7178' };

/** Text width in Verdana 11 px, near enough for a badge: shields.io measures the same way. */
const textWidth = (s: string) => Math.round([...s].reduce((w, c) => w + (/[il.:,'|! ]/.test(c) ? 3.5 : /[mwMW%]/.test(c) ? 10 : /[A-Z0-9]/.test(c) ? 7.5 : 6.5), 0)) + 10;

/** A shields-style badge: the service, then its state or its uptime over a period. */
export function badgeSvg(label: string, w: PageWatch, show: { uptime?: UptimePeriod }): string {
  const value = show.uptime ? formatUptime(w.uptime[show.uptime]) : STATE_WORD[w.state].toLowerCase();
  const u = show.uptime ? w.uptime[show.uptime] : undefined;
  const colour = show.uptime ? (u === undefined ? BADGE_COLOUR.pending! : u >= 0.999 ? BADGE_COLOUR.up! : u >= 0.99 ? BADGE_COLOUR.degraded! : BADGE_COLOUR.down!) : BADGE_COLOUR[w.state]!;
  const l = label.slice(0, 60);
  const lw = textWidth(l);
  const vw = textWidth(value);
  const title = `${l}: ${value}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + vw}" height="20" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="${lw + vw}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="${lw}" height="20" fill="#555"/><rect x="${lw}" width="${vw}" height="20" fill="${colour}"/><rect width="${lw + vw}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="${lw / 2}" y="14">${escapeXml(l)}</text><text x="${lw + vw / 2}" y="14">${escapeXml(value)}</text></g></svg>`;
}
