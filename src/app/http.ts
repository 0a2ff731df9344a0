import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from './runtime.ts';

/**
 * The process's own HTTP server: /healthz for deploy platforms and monitoring of the bot itself.
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

export async function startHttp(runtime: Runtime, port: number, extra?: http.RequestListener): Promise<{ server: http.Server; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/healthz/')) {
      const body = healthReport(runtime);
      res.writeHead(body.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
