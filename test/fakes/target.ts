import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { KeyPair } from './certs.ts';

/**
 * A target site that misbehaves on request. Each path is a behaviour; `set` changes what a
 * path does while a test runs (a site going down and coming back).
 */
export type Behaviour =
  /**
   * `validators`: sends a weak ETag (of the body) and a Last-Modified, and answers a matching
   * If-None-Match, or failing that a not-older If-Modified-Since, with 304 and no body, as
   * Statuspage's and most CDNs' servers do (RFC 9110 §13.1).
   */
  | { kind: 'ok'; body?: string; status?: number; delayMs?: number; delayMaxMs?: number; contentType?: string; validators?: { lastModified: string } }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'trickle'; chunks: number; everyMs: number }
  | { kind: 'redirect'; to: string; status?: number }
  | { kind: 'big'; bytes: number }
  | { kind: 'reset' }
  /** Answers each probing region differently (the region is in isdown's User-Agent). */
  | { kind: 'byRegion'; regions: Record<string, Behaviour>; otherwise: Behaviour };

export interface FakeTarget {
  readonly url: string;
  readonly port: number;
  /** Requests seen per path, to prove a refused target got none. */
  readonly hits: Map<string, number>;
  /** The last request's method and headers per path. */
  readonly last: Map<string, { method: string; headers: http.IncomingHttpHeaders }>;
  set(path: string, behaviour: Behaviour): void;
  close(): Promise<void>;
}

const DEFAULTS: Record<string, Behaviour> = {
  '/': { kind: 'ok', body: '<html><title>Example</title><body>Welcome to the example site</body></html>' },
  '/ok': { kind: 'ok', body: 'all good' },
  '/503': { kind: 'status', status: 503, body: 'Service Unavailable' },
  '/404': { kind: 'status', status: 404, body: 'Not Found' },
  '/hang': { kind: 'hang' },
  '/trickle': { kind: 'trickle', chunks: 50, everyMs: 200 },
  '/down-page': { kind: 'ok', body: '<html><body><h1>Sorry!</h1><p>Example is currently down for maintenance.</p></body></html>' },
  '/loop': { kind: 'redirect', to: '/loop2' },
  '/loop2': { kind: 'redirect', to: '/loop' },
  '/to-private': { kind: 'redirect', to: 'http://169.254.169.254/latest/meta-data/' },
  '/to-loopback': { kind: 'redirect', to: 'http://127.0.0.2/' },
  '/hop': { kind: 'redirect', to: '/ok' },
  '/big': { kind: 'big', bytes: 10 * 1024 * 1024 },
  '/reset': { kind: 'reset' },
};

export async function startTarget(opts: { tls?: KeyPair; host?: string } = {}): Promise<FakeTarget> {
  const routes = new Map<string, Behaviour>(Object.entries(DEFAULTS));
  const hits = new Map<string, number>();
  const last = new Map<string, { method: string; headers: http.IncomingHttpHeaders }>();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handler: http.RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    last.set(path, { method: req.method ?? '', headers: req.headers });
    let b = routes.get(path) ?? { kind: 'status', status: 404, body: 'no such route' };
    if (b.kind === 'byRegion') {
      const region = /\(region ([a-z0-9-]+);/.exec(req.headers['user-agent'] ?? '')?.[1] ?? '';
      b = b.regions[region] ?? b.otherwise;
    }
    switch (b.kind) {
      case 'byRegion':
        res.writeHead(500).end('nested byRegion');
        return;
      case 'ok': {
        const body = b.body ?? 'ok';
        let send = () => void res.writeHead(b.status ?? 200, { 'content-type': b.contentType ?? 'text/html' }).end(body);
        if (b.validators) {
          const etag = `W/"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
          const lastModified = b.validators.lastModified;
          const inm = req.headers['if-none-match'];
          const ims = req.headers['if-modified-since'];
          // If-None-Match wins when present (weak comparison); If-Modified-Since only without it.
          const fresh = inm !== undefined ? inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag.replace(/^W\//, '') || t.trim() === '*') : ims !== undefined && Date.parse(ims) >= Date.parse(lastModified);
          send = fresh
            ? () => void res.writeHead(304, { etag, 'last-modified': lastModified }).end()
            : () => void res.writeHead(b.status ?? 200, { 'content-type': b.contentType ?? 'text/html', etag, 'last-modified': lastModified }).end(body);
        }
        const delay = b.delayMaxMs ? (b.delayMs ?? 0) + Math.random() * (b.delayMaxMs - (b.delayMs ?? 0)) : b.delayMs;
        if (delay) later(send, delay);
        else send();
        return;
      }
      case 'status':
        res.writeHead(b.status, { 'content-type': 'text/plain', ...b.headers }).end(b.body ?? '');
        return;
      case 'hang':
        return; // never answer; the socket stays open until the client gives up
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        let sent = 0;
        const tick = () => {
          if (res.destroyed) return;
          res.write('.');
          if (++sent >= b.chunks) res.end();
          else later(tick, b.everyMs);
        };
        tick();
        return;
      }
      case 'redirect':
        res.writeHead(b.status ?? 302, { location: b.to }).end();
        return;
      case 'big': {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(b.bytes) });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = b.bytes;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
              res.once('drain', pump);
              return;
            }
          }
          res.end();
        };
        pump();
        return;
      }
      case 'reset':
        req.socket.resetAndDestroy();
        return;
    }
  };

  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {}); // the client refusing our bad certificate is the point
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}`,
    port,
    hits,
    last,
    set: (path, behaviour) => routes.set(path, behaviour),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
