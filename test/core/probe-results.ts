import type { ProbeErrorCode, ProbeResult } from '../../src/core/types.ts';

/** ProbeResult builders for pure tests; times come from the caller's fake clock. */
export function up(opts: { region?: string; at?: number; ms?: number; status?: number } = {}): ProbeResult {
  return {
    url: 'https://example.com/',
    finalUrl: 'https://example.com/',
    region: opts.region ?? 'local',
    ok: true,
    status: opts.status ?? 200,
    statusText: 'OK',
    latency: { dns: 3, connect: 10, tls: 30, firstByte: (opts.ms ?? 143) - 10, total: opts.ms ?? 143 },
    reusedConnection: false,
    bytesRead: 1234,
    truncated: false,
    redirects: [],
    at: opts.at ?? 0,
  };
}

export function failed(code: ProbeErrorCode, opts: { region?: string; at?: number; status?: number; message?: string } = {}): ProbeResult {
  const status = opts.status ?? (code === 'http_5xx' ? 503 : code === 'http_4xx' ? 404 : undefined);
  const statusText = status === 503 ? 'Service Unavailable' : status === 404 ? 'Not Found' : status === 200 ? 'OK' : undefined;
  return {
    url: 'https://example.com/',
    finalUrl: 'https://example.com/',
    region: opts.region ?? 'local',
    ok: false,
    ...(status !== undefined ? { status, statusText: statusText ?? '' } : {}),
    latency: { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 5_000 },
    reusedConnection: false,
    bytesRead: 0,
    truncated: false,
    redirects: [],
    error: { code, message: opts.message ?? (status ? `${status} ${statusText}` : code === 'timeout' ? 'could not connect within 5 s' : 'connection refused: nothing is listening') },
    at: opts.at ?? 0,
  };
}
