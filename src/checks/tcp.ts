import { isIP, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ProbeErrorCode, ProbeRequest, ProbeResult } from '../core/types.ts';
import { describeNetworkError } from './probe-errors.ts';
import type { ProbeLimits, Resolver } from './probe.ts';
import { checkAddress, checkUrl, type AddressPolicy } from './ssrf.ts';

/** How much of a banner is read for expect/forbid: a greeting line, not a download. */
export const MAX_BANNER_BYTES = 1_024;

export interface TcpProbeContext {
  readonly policy: AddressPolicy;
  readonly limits: ProbeLimits;
  readonly region: string;
  readonly resolve: Resolver;
  readonly now: () => number;
}

/**
 * A TCP check (tcp://host:port): connect, through the same SSRF guard and port rules as HTTP,
 * and with expect/forbid read the banner the server sends first (SSH, SMTP, FTP, Redis…).
 */
export async function probeTcp(req: ProbeRequest, ctx: TcpProbeContext): Promise<ProbeResult> {
  const at = ctx.now();
  const t0 = performance.now();
  let dns = 0;
  let connect = 0;
  let firstByte = 0;
  let bytesRead = 0;
  const build = (error?: { code: ProbeErrorCode; message: string }): ProbeResult => ({
    url: req.url,
    finalUrl: req.url,
    region: ctx.region,
    ok: !error,
    latency: { dns: round(dns), connect: round(connect), tls: 0, firstByte: round(firstByte), total: round(performance.now() - t0) },
    reusedConnection: false,
    bytesRead,
    truncated: bytesRead >= MAX_BANNER_BYTES,
    redirects: [],
    ...(error ? { error } : {}),
    at,
  });

  const checked = checkUrl(req.url, ctx.policy);
  if (!checked.ok) return build({ code: 'blocked', message: checked.refusal.message });
  const host = checked.url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(checked.url.port);
  const deadlineMs = Math.max(100, Math.min(ctx.limits.totalTimeoutMs, req.timeoutMs ?? Infinity));
  const socket = new Socket();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { code: 'ISDOWN_DEADLINE' })), deadlineMs);
  });
  try {
    const literal = isIP(host);
    const addresses = literal ? [{ address: host, family: literal as 4 | 6 }] : await Promise.race([ctx.resolve(host), deadline]);
    dns = performance.now() - t0;
    if (addresses.length === 0) return build({ code: 'dns', message: 'the name does not resolve (no such domain)' });
    for (const a of addresses) {
      const refusal = checkAddress(a.address, ctx.policy);
      if (refusal) return build({ code: 'blocked', message: refusal.message });
    }
    const chosen = addresses.find((a) => a.family === 4) ?? addresses[0]!;
    const connectTimeout = new Promise<never>((_, reject) => {
      const t = setTimeout(() => reject(Object.assign(new Error('connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), ctx.limits.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(t)).once('close', () => clearTimeout(t));
    });
    const connected = new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve).once('error', reject);
      socket.connect({ host: chosen.address, port });
    });
    const started = performance.now();
    await Promise.race([connected, connectTimeout, deadline]);
    connect = performance.now() - started;
    // Defence in depth: the kernel's view of the peer must pass the same policy.
    const peer = socket.remoteAddress;
    const refusal = peer ? checkAddress(peer, ctx.policy) : null;
    if (refusal) return build({ code: 'blocked', message: refusal.message });
    if (!req.expect && !req.forbid) return build();

    // At the deadline, what arrived so far is the greeting.
    const got = { text: '' };
    await Promise.race([readBanner(socket, req, got, () => (firstByte ||= performance.now() - t0)), deadline]).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ISDOWN_DEADLINE') throw err;
    });
    const banner = got.text;
    const text = banner.toLowerCase();
    bytesRead = Buffer.byteLength(banner, 'latin1');
    if (req.forbid && text.includes(req.forbid.toLowerCase())) return build({ code: 'forbidden_text', message: `the server says "${req.forbid}"` });
    if (req.expect && !text.includes(req.expect.toLowerCase())) {
      const said = banner ? `its greeting was "${printable(banner)}"` : `it sent nothing within ${Math.round(deadlineMs / 100) / 10} s`;
      return build({ code: 'expect_missing', message: `connected, but the server did not say "${req.expect}": ${said}` });
    }
    return build();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ISDOWN_DEADLINE') return build({ code: 'timeout', message: `no connection within ${Math.round(deadlineMs / 100) / 10} s` });
    return build(describeNetworkError(err, ctx.limits, false));
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** Reads until the expected text (or the forbidden one) shows, the server closes, or the cap. */
function readBanner(socket: Socket, req: ProbeRequest, got: { text: string }, onFirstByte: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const want = [req.expect, req.forbid].filter((x): x is string => Boolean(x)).map((x) => x.toLowerCase());
    const done = () => {
      socket.off('data', onData).off('end', done).off('close', done).off('error', reject);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      onFirstByte();
      got.text += chunk.toString('latin1');
      if (got.text.length >= MAX_BANNER_BYTES) {
        got.text = got.text.slice(0, MAX_BANNER_BYTES);
        return done();
      }
      const lower = got.text.toLowerCase();
      if (want.some((w) => lower.includes(w))) done();
    };
    socket.on('data', onData).once('end', done).once('close', done).once('error', reject);
  });
}

function printable(s: string): string {
  const line = s.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
