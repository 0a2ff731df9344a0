import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';
import { MAX_BEAT_MESSAGE } from '../core/heartbeat.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { clockFormat } from '../core/incident.ts';
import { statusRoutes } from './status-page.ts';
import { LATENCY_BOUNDS_MS } from '../core/rollup.ts';
import { channelId } from '../core/watch.ts';
import type { Watcher } from './watcher.ts';

/** How long requests under way may take to be answered once the server is closing. */
const CLOSE_GRACE_MS = 5_000;

/**
 * The process's own HTTP server: /healthz for deploy platforms, /metrics for monitoring of the
 * bot itself, and Slack's endpoints in HTTP mode. Every request is routed here by its normalised
 * path, so no spelling of a path (dot segments, a fragment, an absolute-form request line) can
 * reach a handler other than the one its route names; unknown paths get 404 and known paths
 * with another method 405, and nothing a client sends can throw out of the server.
 */
export function healthReport(runtime: Runtime) {
  const outbox = runtime.notifier?.health() ?? { pending: 0, stuck: 0, oldestMs: 0 };
  const stats = runtime.watcher?.stats();
  const lag = stats ? [...stats.lagMs].sort((a, b) => a - b) : [];
  const p99 = lag.length ? lag[Math.min(lag.length - 1, Math.floor(lag.length * 0.99))]! : 0;
  const store = runtime.store.health();
  const platforms = runtime.notifier?.platforms() ?? {};
  const poll = runtime.vendor.poller?.stats();
  const problems = [
    ...(store.ok ? [] : [`store: ${store.error}`]),
    ...(outbox.stuck ? [`outbox: ${outbox.stuck} alert(s) undelivered for over an hour`] : []),
    ...Object.entries(platforms).map(([name, p]) => `${name}: ${p.error}`),
  ];
  return {
    status: problems.length ? 'degraded' : 'ok',
    ...(problems.length ? { problems } : {}),
    store,
    outbox,
    ...(Object.keys(platforms).length ? { platforms } : {}),
    scheduler: stats ? { monitors: stats.monitors, checks: stats.checks, running: stats.running, lagP99Ms: Math.round(p99), ...(runtime.role ? { role: runtime.role() } : {}) } : null,
    // The background reader of status pages, where this process runs it: a page that fails is
    // information about that vendor, not a problem of the bot's, so it is counted, not raised.
    ...(poll ? { statusPages: { pages: poll.pages, reads: poll.reads, notModified: poll.notModified, failures: poll.failures, queued: poll.queued } } : {}),
  };
}

/**
 * The same numbers for Prometheus (text exposition format, version 0.0.4), so the bot itself can
 * be scraped and alerted on.
 */
export function metricsText(runtime: Runtime): string {
  const outbox = runtime.notifier?.health() ?? { pending: 0, stuck: 0, oldestMs: 0 };
  const stats = runtime.watcher?.stats();
  const lag = stats ? [...stats.lagMs].sort((a, b) => a - b) : [];
  const p = (q: number) => (lag.length ? lag[Math.min(lag.length - 1, Math.floor(lag.length * q))]! / 1_000 : 0);
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  const store = runtime.store.health();
  metric('isdown_monitors', 'gauge', 'Monitors this process schedules.', stats?.monitors ?? 0);
  metric('isdown_checks_total', 'counter', 'Scheduled check rounds started by this process.', stats?.checks ?? 0);
  metric('isdown_checks_running', 'gauge', 'Check rounds in flight.', stats?.running ?? 0);
  lines.push('# HELP isdown_schedule_lag_seconds How late recent checks started against their due time.', '# TYPE isdown_schedule_lag_seconds summary');
  for (const q of [0.5, 0.99]) lines.push(`isdown_schedule_lag_seconds{quantile="${q}"} ${p(q)}`);
  lines.push(`isdown_schedule_lag_seconds_count ${lag.length}`);
  metric('isdown_outbox_pending', 'gauge', 'Alerts written but not yet delivered.', outbox.pending);
  metric('isdown_outbox_stuck', 'gauge', 'Alerts undelivered for over an hour.', outbox.stuck);
  metric('isdown_outbox_oldest_seconds', 'gauge', 'Age of the oldest undelivered alert.', outbox.oldestMs / 1_000);
  metric('isdown_store_up', 'gauge', '1 while the store answers, 0 while its operations fail or time out.', store.ok ? 1 : 0);
  metric('isdown_store_failures_total', 'counter', 'Store operations that failed or timed out.', store.failures);
  if (runtime.config.metricsPerMonitor && runtime.watcher) lines.push(...perMonitorMetrics(runtime.watcher));
  const poll = runtime.vendor.poller?.stats();
  if (poll) {
    metric('isdown_status_pages', 'gauge', 'Status pages the background reader covers.', poll.pages);
    metric('isdown_status_reads_total', 'counter', 'Background status page reads.', poll.reads);
    metric('isdown_status_not_modified_total', 'counter', 'Background reads answered 304 Not Modified.', poll.notModified);
    metric('isdown_status_read_failures_total', 'counter', 'Background reads that failed.', poll.failures);
  }
  if (runtime.role) metric('isdown_scheduler_active', 'gauge', '1 when this process holds the scheduler lease (distributed mode).', runtime.role() === 'scheduler' ? 1 : 0);
  return `${lines.join('\n')}\n`;
}

/** A Prometheus label value: backslash, double quote and newline escaped (the exposition format's rule). */
const labelValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * Each monitor's series, labelled by service and channel (ISDOWN_METRICS_PER_MONITOR): whether it
 * is up, and its response times since this process started as a histogram on the rollups'
 * buckets. Off by default: a series per watch grows without bound as teams add watches.
 */
export function perMonitorMetrics(watcher: Watcher): string[] {
  const up = ['# HELP isdown_monitor_up 1 when the monitor is up (or degraded: it answers), 0 when down or partly down, per watching channel.', '# TYPE isdown_monitor_up gauge'];
  const hist = ['# HELP isdown_monitor_response_seconds Response times of the monitor since this process started.', '# TYPE isdown_monitor_response_seconds histogram'];
  const checks = ['# HELP isdown_monitor_checks_total Checks of the monitor since this process started, by result.', '# TYPE isdown_monitor_checks_total counter'];
  for (const { record, state, checks: r } of watcher.perMonitor()) {
    const service = labelValue(record.target.name);
    for (const w of record.watches) {
      const labels = `service="${service}",channel="${labelValue(channelId(w.channel))}"`;
      if (state && !state.unseen) up.push(`isdown_monitor_up{${labels}} ${state.health === 'up' || state.health === 'degraded' ? 1 : 0}`);
      if (!r) continue;
      let cumulative = 0;
      LATENCY_BOUNDS_MS.forEach((bound, i) => {
        cumulative += r.hist[i]!;
        hist.push(`isdown_monitor_response_seconds_bucket{${labels},le="${bound / 1_000}"} ${cumulative}`);
      });
      cumulative += r.hist[LATENCY_BOUNDS_MS.length]!;
      hist.push(`isdown_monitor_response_seconds_bucket{${labels},le="+Inf"} ${cumulative}`, `isdown_monitor_response_seconds_sum{${labels}} ${r.sumMs / 1_000}`, `isdown_monitor_response_seconds_count{${labels}} ${cumulative}`);
      checks.push(`isdown_monitor_checks_total{${labels},result="up"} ${r.checks - r.failures - r.degraded}`, `isdown_monitor_checks_total{${labels},result="degraded"} ${r.degraded}`, `isdown_monitor_checks_total{${labels},result="down"} ${r.failures}`);
    }
  }
  return [...up, ...hist, ...checks];
}

type Method = 'GET' | 'POST';

/** One path, with a handler per method; GET routes answer HEAD with the same status and headers. */
export interface Route {
  readonly path: string;
  /** Also every path under this one (/push/<token>): the handler reads the rest. */
  readonly prefix?: boolean;
  readonly methods: Partial<Record<Method, http.RequestListener>>;
}

/** Longest request-target we read; anything longer is refused before it is parsed. */
const MAX_URL_LENGTH = 8_192;

/**
 * The path a request names, as a handler must see it: dot segments resolved, query and fragment
 * dropped, an absolute-form target reduced to its path, one trailing slash ignored. Null when
 * the target is not a path at all.
 */
export function routePath(target: string | undefined): string | null {
  if (!target || target.length > MAX_URL_LENGTH) return null;
  let url: URL;
  try {
    // Origin-form ("/x") is resolved against a fixed base so "//host/x" stays a path, not a host.
    url = target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const p = url.pathname;
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

function plain(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers }).end(`${text}\n`);
}

export function router(routes: readonly Route[], log: (line: string) => void): http.RequestListener {
  const byPath = new Map(routes.filter((r) => !r.prefix).map((r) => [r.path, r]));
  const prefixed = routes.filter((r) => r.prefix);
  return (req, res) => {
    const path = routePath(req.url);
    const route = path === null ? undefined : (byPath.get(path) ?? prefixed.find((r) => path.startsWith(`${r.path}/`) && path.length > r.path.length + 1));
    const hasBody = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0' ? true : req.headers['transfer-encoding'] !== undefined;
    // A body we will not read must not be parsed as the next request on this connection.
    const closeIfBody: Record<string, string> = hasBody ? { connection: 'close' } : {};
    if (path === null) return plain(res, 400, 'bad request target', closeIfBody);
    if (!route) return plain(res, 404, 'not found', closeIfBody);
    const method = (req.method ?? '').toUpperCase();
    const handler = route.methods[method as Method] ?? (method === 'HEAD' ? route.methods.GET : undefined);
    if (!handler) {
      const allow = Object.keys(route.methods).flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
      return plain(res, 405, 'method not allowed', { allow: allow.join(', '), ...closeIfBody });
    }
    try {
      const done = handler(req, res) as unknown;
      if (done instanceof Promise) done.catch((err: unknown) => fail(err));
    } catch (err) {
      fail(err);
    }
    function fail(err: unknown) {
      log(`isdown: ${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) plain(res, 500, 'internal error', { connection: 'close' });
      else res.destroy();
    }
  };
}

export function healthRoutes(runtime: Runtime): Route[] {
  return [
    {
      path: '/healthz',
      methods: {
        GET: (_req, res) => {
          const body = healthReport(runtime);
          res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
        },
      },
    },
    {
      path: '/metrics',
      methods: { GET: (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(runtime)) },
    },
  ];
}

const PUSH_TOKEN = /^[A-Za-z0-9_-]{20,64}$/;

/**
 * /push/<token>: a heartbeat watch's job calls in (GET or POST; ?status=down&msg=… reports a
 * failure). A token's beats are written at most once a second, whatever a caller sends; a body
 * is never read. HEAD only says whether the URL is a heartbeat's.
 */
export function pushRoutes(runtime: Runtime): Route[] {
  const watcher = runtime.watcher;
  if (!watcher) return [];
  const lastWrite = new Map<string, { at: number; down: boolean }>();
  const handler: http.RequestListener = async (req, res) => {
    const bodyClose: Record<string, string> = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined ? { connection: 'close' } : {};
    const token = (routePath(req.url) ?? '').slice('/push/'.length);
    if (!PUSH_TOKEN.test(token)) return plain(res, 404, 'no heartbeat has this address', bodyClose);
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const status = query.get('status') ?? 'up';
    if (status !== 'up' && status !== 'down') return plain(res, 400, 'status is up or down', bodyClose);
    // Printable text only: it is shown in chat.
    const message = [...(query.get('msg') ?? '').slice(0, MAX_BEAT_MESSAGE * 2)].map((c) => (c < ' ' || c === '\u007f' ? ' ' : c)).join('').trim().slice(0, MAX_BEAT_MESSAGE);
    const down = status === 'down';
    const at = Date.now();
    const seen = lastWrite.get(token);
    let recorded: boolean;
    try {
      // A HEAD records nothing; a repeat within the second is answered without a write.
      if (req.method === 'HEAD') recorded = await watcher.heartbeatKnown(token);
      else if (seen && at - seen.at < 1_000 && seen.down === down) recorded = true;
      else {
        recorded = await watcher.heartbeat(token, { at, ...(down ? { down: true as const } : {}), ...(message ? { message } : {}) });
        if (recorded) {
          if (lastWrite.size >= 10_000) lastWrite.clear();
          lastWrite.set(token, { at, down });
        }
      }
    } catch (err) {
      if (!isStoreFailure(err)) throw err;
      return plain(res, 503, 'the beat could not be recorded (isdown\'s store is failing); send it again', { 'retry-after': '30', ...bodyClose });
    }
    if (!recorded) return plain(res, 404, 'no heartbeat has this address', bodyClose);
    plain(res, 200, 'OK', bodyClose);
  };
  return [{ path: '/push', prefix: true, methods: { GET: handler, POST: handler } }];
}

export async function startHttp(
  runtime: Runtime,
  port: number,
  extra: readonly Route[] = [],
  log: (line: string) => void = () => {},
): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const pages = runtime.pages && runtime.watcher ? statusRoutes({ pages: runtime.pages, watcher: runtime.watcher, now: Date.now, clock: clockFormat(runtime.config.timeZone), ...(runtime.config.publicUrl ? { publicUrl: runtime.config.publicUrl } : {}) }) : [];
  const server = http.createServer(router([...healthRoutes(runtime), ...pushRoutes(runtime), ...pages, ...extra], log));
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.maxHeadersCount = 100;
  // A malformed request line or header: Node's parser refuses it; answer 400 and close, quietly.
  server.on('clientError', (_err, socket) => {
    if (socket.writable && !socket.writableEnded) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        // Requests under way get a few seconds to be answered; then their connections are cut,
        // so a client that never reads cannot hold the process open.
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
