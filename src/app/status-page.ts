import type http from 'node:http';
import { tellStory, type ClockFormat } from '../core/incident.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { badgeName, badgeSvg, renderStatusPage, statusJson, type PageState, type PageWatch, type StatusPageData } from '../core/status-page.ts';
import { chartOf, isUptimePeriod, UPTIME_PERIODS, uptimeReport } from '../core/uptime.ts';
import type { ChannelRef } from '../core/watch.ts';
import type { PageRepository } from '../store/pages.ts';
import type { Route } from './http.ts';
import { routePath } from './http.ts';
import type { Watcher } from './watcher.ts';

export interface StatusPageSource {
  readonly pages: PageRepository;
  readonly watcher: Watcher;
  readonly now: () => number;
  readonly clock: ClockFormat;
  /** ISDOWN_PUBLIC_URL without its trailing slash, for the badge links in the JSON. */
  readonly publicUrl?: string;
}

/** A page is made at most this often per channel: many readers of one page cost one read of the store. */
const PAGE_TTL_MS = 15_000;
const MAX_CACHED_PAGES = 500;

/** Everything a channel's page shows, from its watches only: another channel's never reach it. */
export async function gatherPage(src: StatusPageSource, channel: ChannelRef): Promise<StatusPageData> {
  const at = src.now();
  const items = await src.watcher.list(channel);
  const watches = await Promise.all(
    items.map(async (item): Promise<PageWatch> => {
      const seen = await src.watcher.overview(item.record, at - UPTIME_PERIODS['90d']);
      const report = uptimeReport(item.record.target.name, seen.days, seen.incidents, '90d', at);
      const recent = chartOf(item.record.target.name, seen.days, seen.incidents, UPTIME_PERIODS['24h'], at);
      const state: PageState = !item.state || item.state.unseen ? 'pending' : item.state.health;
      const lastCheckedAt = src.watcher.lastChecked(item.record.key);
      return {
        service: item.record.target.name,
        badge: badgeName(item.record.target.id),
        state,
        ...(item.state && !item.state.unseen ? { since: item.state.since } : {}),
        ...(lastCheckedAt !== undefined ? { lastCheckedAt } : {}),
        uptime: Object.fromEntries(report.byPeriod.filter((p) => p.uptime !== undefined).map((p) => [p.period, p.uptime!])),
        days: report.chart.points.map((p) => ({ at: p.at, state: p.state, ...(p.uptime !== undefined ? { uptime: p.uptime } : {}) })),
        recent,
        ...(report.p95 !== undefined ? { p95Ms: report.p95 } : {}),
        openIncidents: seen.incidents.filter((i) => i.closedAt === undefined).map((i) => ({ id: i.id, openedAt: i.openedAt, story: tellStory(i, at, src.clock) })),
      };
    }),
  );
  // Trouble first, then by name: what a visitor came for is at the top.
  const rank: Record<PageState, number> = { down: 0, partial: 1, degraded: 2, maintenance: 3, pending: 4, up: 5 };
  watches.sort((a, b) => rank[a.state] - rank[b.state] || a.service.localeCompare(b.service));
  return { generatedAt: at, watches };
}

const HEADERS = {
  // No script, no outside resource: the page is text, inline CSS and inline SVG.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors *",
  'x-content-type-options': 'nosniff',
  // The slug is the page's only secret: a link followed from the page must not carry it away.
  'referrer-policy': 'no-referrer',
  'cache-control': 'public, max-age=15',
};

/** /status/<slug>, /status/<slug>.json and /status/<slug>/badge/<service>.svg. */
export function statusRoutes(src: StatusPageSource): Route[] {
  const cache = new Map<string, { at: number; data: Promise<StatusPageData> }>();
  const dataOf = (slug: string, channel: ChannelRef): Promise<StatusPageData> => {
    const hit = cache.get(slug);
    if (hit && src.now() - hit.at < PAGE_TTL_MS) return hit.data;
    if (cache.size >= MAX_CACHED_PAGES) cache.clear();
    const data = gatherPage(src, channel);
    cache.set(slug, { at: src.now(), data });
    data.catch(() => cache.delete(slug));
    return data;
  };

  const notFound = (res: http.ServerResponse) =>
    void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end('No status page has this address (it may have been retired with /isdown page off).\n');

  const handler: http.RequestListener = async (req, res) => {
    const rest = (routePath(req.url) ?? '').slice('/status/'.length);
    const m = /^([A-Za-z0-9_-]{22})(\.json|\/badge\/([a-z0-9.-]{1,80})\.svg)?$/.exec(rest);
    if (!m) return notFound(res);
    const [, slug, suffix, badge] = m;
    let data: StatusPageData;
    try {
      const channel = await src.pages.channelOf(slug!);
      if (!channel) return notFound(res);
      data = await dataOf(slug!, channel);
    } catch (err) {
      if (!isStoreFailure(err)) throw err;
      return void res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '30', 'cache-control': 'no-store' }).end("The status page can't be read right now (isdown's store is failing); try again in a minute.\n");
    }
    if (!suffix) return void res.writeHead(200, { ...HEADERS, 'content-type': 'text/html; charset=utf-8' }).end(renderStatusPage(data));
    if (suffix === '.json') {
      const base = `${src.publicUrl ?? ''}/status/${slug}`;
      return void res.writeHead(200, { ...HEADERS, 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify(statusJson(data, (b) => `${base}/badge/${b}.svg`)));
    }
    const watch = data.watches.find((w) => w.badge === badge);
    if (!watch) return void res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`This page shows no service called "${badge}"; its JSON lists each badge's address.\n`);
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const period = query.get('uptime');
    if (period !== null && !isUptimePeriod(period)) return void res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`uptime is one of ${Object.keys(UPTIME_PERIODS).join(', ')}.\n`);
    res.writeHead(200, { ...HEADERS, 'content-type': 'image/svg+xml; charset=utf-8' }).end(badgeSvg(query.get('label')?.slice(0, 60) || watch.service, watch, period ? { uptime: period } : {}));
  };
  return [{ path: '/status', prefix: true, methods: { GET: handler } }];
}
