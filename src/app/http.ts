import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';

/**
 * The process's own HTTP server: /healthz for deploy platforms and /metrics for monitoring of the bot itself.
 * Slack's receiver mounts on the same server in HTTP mode.
 */
export function healthReport(runtime: Runtime) {
  const outbox = runtime.notifier?.health() ?? { pending: 0, stuck: 0, oldestMs: 0 };
  const stats = runtime.watcher?.stats();
  const lag = stats ? [...stats.lagMs].sort((a, b) => a - b) : [];
  const p99 = lag.length ? lag[Math.min(lag.length - 1, Math.floor(lag.length * 0.99))]! : 0;
  const ok = outbox.stuck === 0;
  return {
    status: ok ? 'ok' : 'degraded',
    outbox,
    scheduler: stats ? { monitors: stats.monitors, checks: stats.checks, running: stats.running, lagP99Ms: Math.round(p99), ...(runtime.role ? { role: runtime.role() } : {}) } : null,
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
  metric('isdown_monitors', 'gauge', 'Monitors this process schedules.', stats?.monitors ?? 0);
  metric('isdown_checks_total', 'counter', 'Scheduled check rounds started by this process.', stats?.checks ?? 0);
  metric('isdown_checks_running', 'gauge', 'Check rounds in flight.', stats?.running ?? 0);
  lines.push('# HELP isdown_schedule_lag_seconds How late recent checks started against their due time.', '# TYPE isdown_schedule_lag_seconds summary');
  for (const q of [0.5, 0.99]) lines.push(`isdown_schedule_lag_seconds{quantile="${q}"} ${p(q)}`);
  lines.push(`isdown_schedule_lag_seconds_count ${lag.length}`);
  metric('isdown_outbox_pending', 'gauge', 'Alerts written but not yet delivered.', outbox.pending);
  metric('isdown_outbox_stuck', 'gauge', 'Alerts undelivered for over an hour.', outbox.stuck);
  metric('isdown_outbox_oldest_seconds', 'gauge', 'Age of the oldest undelivered alert.', outbox.oldestMs / 1_000);
  if (runtime.role) metric('isdown_scheduler_active', 'gauge', '1 when this process holds the scheduler lease (distributed mode).', runtime.role() === 'scheduler' ? 1 : 0);
  return `${lines.join('\n')}\n`;
}

export async function startHttp(runtime: Runtime, port: number, extra?: http.RequestListener): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/healthz/')) {
      const body = healthReport(runtime);
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      return;
    }
    if (req.method === 'GET' && req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metricsText(runtime));
      return;
    }
    if (extra) return extra(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
