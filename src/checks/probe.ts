import diagnostics from 'node:diagnostics_channel';
import { lookup as dnsLookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { STATUS_CODES } from 'node:http';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { ProbeError, ProbeErrorCode, ProbeRequest, ProbeResult } from '../core/types.ts';
import { BlockedAddressError, checkAddress, checkUrl, type AddressPolicy } from './ssrf.ts';
import { describeNetworkError } from './probe-errors.ts';
import { exchange, type Exchange } from './http-exchange.ts';
import { probeTcp } from './tcp.ts';
import { formatStatusList, readStatusCode, statusAccepted } from '../core/status-codes.ts';
import { failedJsonCondition, HEADER_ENV_PREFIX, type JsonCondition } from '../core/conditions.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface ProbeLimits {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxRedirects: number;
  readonly maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ProbeLimits = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  totalTimeoutMs: 15_000,
  maxRedirects: 5,
  maxBodyBytes: 256 * 1024,
};

export interface ProberOptions {
  readonly policy: AddressPolicy;
  readonly limits?: Partial<ProbeLimits>;
  readonly region?: string;
  /** Injected in tests; defaults to the OS resolver. */
  readonly resolve?: Resolver;
  /** Where header values are read (a watch names ISDOWN_HEADER_… variables); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra trusted CAs (PEM), added to Node's roots. NODE_EXTRA_CA_CERTS works without this. */
  readonly extraCa?: readonly string[];
  readonly userAgent?: string;
  /** Wall clock for ProbeResult.at; injected so results are reproducible. */
  readonly now?: () => number;
}

export interface Prober {
  probe(req: ProbeRequest): Promise<ProbeResult>;
  /**
   * The same guarded, bounded request, keeping the body (up to maxBytes) for a reader such as
   * a status page provider. `truncated` tells a body that did not fit.
   */
  fetch(url: string, opts?: FetchOptions): Promise<FetchedBody>;
  /**
   * A POST through the same guard (an outbound webhook): no redirect is followed, the answer's
   * body is not read. Throws a PostFailure with the reason when nothing answered.
   */
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<PostAnswer>;
  close(): Promise<void>;
}

export interface PostAnswer {
  readonly status: number;
  /** Retry-After, when the receiver said when. */
  readonly retryAfterMs?: number;
}

export class PostFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostFailure';
  }
}

/** What the last answer said about its version, sent back next time to be told "not modified". */
export interface Validators {
  readonly etag?: string;
  readonly lastModified?: string;
}

export interface FetchOptions {
  readonly maxBytes?: number;
  readonly accept?: string;
  /** Ask conditionally: a 304 answer is then `notModified`, with no body. */
  readonly validators?: Validators;
}

export interface FetchedBody {
  readonly result: ProbeResult;
  readonly body?: Buffer;
  /** The document did not change since the validators sent (HTTP 304). */
  readonly notModified?: true;
  /** The answer's own validators, for the next conditional request. */
  readonly validators?: Validators;
}

const systemResolver: Resolver = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

interface ConnectionTimings {
  dns: number;
  connect: number;
  tls: number;
  used: boolean;
  /** The peer certificate's end of validity, epoch ms (https). */
  certExpiresAt?: number;
}

/** What one probe learns about the connection undici picked for it. */
interface ProbeContext {
  timings?: ConnectionTimings;
  reused: boolean;
}

const kTimings = Symbol('isdown.connectionTimings');
type TimedSocket = Socket & { [kTimings]?: ConnectionTimings };

// undici pools connections behind one shared dispatcher, so which socket served a request
// is only visible through its diagnostics channel. undici calls the handler's onConnect and
// then publishes sendHeaders synchronously in the same function (client-h1 writeH1), so the
// context set in onConnect is the one whose headers are being sent.
let connecting: ProbeContext | undefined;
diagnostics.subscribe('undici:client:sendHeaders', (msg) => {
  const ctx = connecting;
  connecting = undefined;
  const timings = (msg as { socket: TimedSocket }).socket[kTimings];
  if (!ctx || !timings) return;
  ctx.reused = timings.used;
  ctx.timings = timings;
  timings.used = true;
});

type LegacyHandler = { [callback: string]: ((...args: unknown[]) => unknown) | undefined };

/** Delegates every callback to undici's own handler; only marks which probe is connecting. */
class TimingHandler {
  constructor(
    private readonly inner: LegacyHandler,
    private readonly ctx: ProbeContext,
  ) {}
  onConnect(...args: unknown[]) {
    connecting = this.ctx;
    return this.inner.onConnect?.(...args);
  }
  onError(...args: unknown[]) {
    return this.inner.onError?.(...args);
  }
  onUpgrade(...args: unknown[]) {
    return this.inner.onUpgrade?.(...args);
  }
  onResponseStarted(...args: unknown[]) {
    return this.inner.onResponseStarted?.(...args);
  }
  onHeaders(...args: unknown[]) {
    return this.inner.onHeaders?.(...args);
  }
  onData(...args: unknown[]) {
    return this.inner.onData?.(...args);
  }
  onComplete(...args: unknown[]) {
    return this.inner.onComplete?.(...args);
  }
  onBodySent(...args: unknown[]) {
    return this.inner.onBodySent?.(...args);
  }
}

const kProbe = 'isdownProbe';
const timingInterceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
  const ctx = (opts as { [kProbe]?: ProbeContext })[kProbe];
  return dispatch(opts, ctx ? (new TimingHandler(handler as unknown as LegacyHandler, ctx) as unknown as Dispatcher.DispatchHandler) : handler);
};

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function makeConnector(opts: ProberOptions, limits: ProbeLimits): buildConnector.connector {
  const resolve = opts.resolve ?? systemResolver;
  // One secure context for every connection: a `ca` list given to each connection made Node parse
  // every root certificate again per handshake (about 20 ms of CPU each, measured by
  // bench:status-poll, where each page's host is a new connection).
  const secureContext = opts.extraCa?.length ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...opts.extraCa] }) : undefined;
  const base = buildConnector({ timeout: limits.connectTimeoutMs, maxCachedSessions: 2_000, ...(secureContext ? { secureContext } : {}) } as buildConnector.BuildOptions);
  const certSeen = new Map<string, number>();

  return (connectOpts, callback) => {
    const started = performance.now();
    const host = connectOpts.hostname.replace(/^\[|\]$/g, '');
    const literal = isIP(host);
    // Resolve here and connect to the very address we checked: no second lookup to rebind.
    const lookup = literal ? Promise.resolve([{ address: host, family: literal as 4 | 6 }]) : resolve(host);
    withTimeout(lookup, limits.connectTimeoutMs, () =>
      Object.assign(new Error(`DNS lookup for ${host} timed out`), { code: 'EAI_AGAIN' }),
    )
      .then((addresses) => {
        if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
        for (const a of addresses) {
          const refusal = checkAddress(a.address, opts.policy);
          if (refusal) throw new BlockedAddressError(refusal);
        }
        const chosen = addresses.find((a) => a.family === 4) ?? addresses[0]!;
        const dnsDone = performance.now();
        const timings: ConnectionTimings = { dns: dnsDone - started, connect: 0, tls: 0, used: false };
        let connected = dnsDone;
        // undici's connector returns the socket at runtime though its type says void.
        const socket = base({ ...connectOpts, hostname: chosen.address }, (err, sock) => {
          if (err) return callback(err, null);
          const s = sock as TimedSocket;
          // Defence in depth: the kernel's view of the peer must pass the same policy.
          const peer = s.remoteAddress;
          const refusal = peer ? checkAddress(peer, opts.policy) : null;
          if (refusal) {
            s.destroy();
            return callback(new BlockedAddressError(refusal), null);
          }
          const now = performance.now();
          if (connectOpts.protocol === 'https:') {
            timings.tls = now - connected;
            const validTo = Date.parse((s as unknown as tls.TLSSocket).getPeerCertificate?.()?.valid_to ?? '');
            // A resumed TLS session shows no certificate: the one its full handshake showed stands.
            const where = `${host}:${connectOpts.port}`;
            if (Number.isFinite(validTo)) {
              if (certSeen.size >= 10_000) certSeen.clear();
              certSeen.set(where, validTo);
              timings.certExpiresAt = validTo;
            } else if (certSeen.has(where)) timings.certExpiresAt = certSeen.get(where)!;
          } else timings.connect = now - dnsDone;
          s[kTimings] = timings;
          callback(null, s);
        }) as unknown as Socket;
        socket.once('connect', () => {
          connected = performance.now();
          timings.connect = connected - dnsDone;
        });
      })
      .catch((err: Error) => callback(err, null));
  };
}

/** An answer that sends the probe on: a 3xx that says where to. */
function isRedirect(code: number, headers: Exchange['headers']): boolean {
  return code >= 300 && code < 400 && typeof headers.location === 'string';
}

function fail(code: ProbeErrorCode, message: string): ProbeError {
  return { code, message };
}

export function createProber(opts: ProberOptions): Prober {
  const limits: ProbeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const region = opts.region ?? 'local';
  const now = opts.now ?? Date.now;
  const env = opts.env ?? process.env;
  // The region is in the User-Agent so a site's operator can tell our vantage points apart.
  const userAgent = opts.userAgent ?? `isdown/0.1 (region ${region}; +https://github.com/isdown/isdown; uptime check)`;
  const agent = new Agent({
    connect: makeConnector(opts, limits),
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.totalTimeoutMs,
    keepAliveTimeout: 4_000,
    connections: 64,
  });
  const dispatcher = agent.compose(timingInterceptor);
  const headers = ['user-agent', userAgent, 'accept', 'text/html,application/json;q=0.9,*/*;q=0.8'];
  // Monitors probe the same few URLs over and over; the policy is fixed for this prober.
  const urlChecks = new Map<string, ReturnType<typeof checkUrl>>();
  const checkUrlCached = (raw: string) => {
    let checked = urlChecks.get(raw);
    if (!checked) {
      checked = checkUrl(raw, opts.policy);
      if (urlChecks.size >= 10_000) urlChecks.clear();
      urlChecks.set(raw, checked);
    }
    return checked;
  };

  const tcp = { policy: opts.policy, limits, region, resolve: opts.resolve ?? systemResolver, now };
  async function probe(req: ProbeRequest): Promise<ProbeResult> {
    if (req.url.startsWith('tcp:')) return probeTcp(req, tcp);
    return (await run(req, limits.maxBodyBytes, headers, false)).result;
  }

  async function run(req: ProbeRequest, maxBytes: number, requestHeaders: string[], keepBody: boolean): Promise<FetchedBody> {
    let kept: Buffer | undefined;
    let validators: Validators | undefined;
    const at = now();
    const t0 = performance.now();
    const redirects: string[] = [];
    const ctx: ProbeContext = { reused: false };
    let firstByte = 0;
    let current = req.url;
    let status: number | undefined;
    let statusText: string | undefined;
    let bytesRead = 0;
    let truncated = false;
    // One deadline for the whole probe, redirects and body included. undici documents an
    // EventEmitter as a valid signal; it costs a fraction of an AbortController per probe.
    const signal = new Deadline();
    const deadlineMs = Math.max(100, Math.min(limits.totalTimeoutMs, req.timeoutMs ?? Infinity));
    const timer = setTimeout(() => signal.fire(), deadlineMs);

    const progress = { bytes: 0 };
    let readingBody = false;
    const result = (error?: ProbeError, refusal?: ProbeResult['refusal'], slowBody?: true): FetchedBody => ({
      result: build(error, refusal, slowBody),
      ...(keepBody && kept ? { body: kept } : {}),
      ...(keepBody && !error && status === 304 ? { notModified: true as const } : {}),
      ...(keepBody && !error && validators ? { validators } : {}),
    });
    const build = (error?: ProbeError, refusal?: ProbeResult['refusal'], slowBody?: true): ProbeResult => {
      const t = ctx.timings;
      return {
        url: req.url,
        finalUrl: current,
        region,
        ok: !error,
        ...(status !== undefined ? { status, statusText: statusText ?? '' } : {}),
        latency: {
          dns: round(ctx.reused || !t ? 0 : t.dns),
          connect: round(ctx.reused || !t ? 0 : t.connect),
          tls: round(ctx.reused || !t ? 0 : t.tls),
          firstByte: round(firstByte),
          total: round(performance.now() - t0),
        },
        reusedConnection: ctx.reused,
        bytesRead,
        truncated,
        redirects,
        ...(error ? { error } : {}),
        ...(refusal ? { refusal } : {}),
        ...(slowBody ? { slowBody } : {}),
        at,
        ...(t?.certExpiresAt !== undefined ? { certExpiresAt: t.certExpiresAt } : {}),
      };
    };

    try {
      let sendHeaders = requestHeaders;
      if (req.headers?.length) {
        sendHeaders = [...requestHeaders];
        for (const h of req.headers) {
          // Checked again here, where the value is read: only variables set aside for headers.
          const value = h.env.startsWith(HEADER_ENV_PREFIX) ? env[h.env] : undefined;
          if (value === undefined || value === '') return result(fail('setting', `the ${h.name} header needs ${h.env}, which is not set where this check runs`));
          sendHeaders.push(h.name, value);
        }
      }
      const seen = new Set<string>();
      let origin: string | undefined;
      for (;;) {
        const checked = checkUrlCached(current);
        if (!checked.ok) return result(fail('blocked', checked.refusal.message));
        const url = checked.url;
        current = url.href;
        origin ??= url.origin;
        if (seen.has(current)) return result(fail('redirect_loop', `redirect loop: ${current} leads back to itself`));
        seen.add(current);

        const res = await exchange(dispatcher, url, {
          // A redirect is followed with GET, as browsers do after a 301/302/303.
          method: redirects.length ? 'GET' : (req.method ?? 'GET'),
          signal,
          // A watch's headers (credentials, often) go only to the origin they were set for.
          headers: url.origin === origin ? sendHeaders : requestHeaders,
          progress,
          extra: { [kProbe]: ctx },
          onHead(code, _text, headers) {
            firstByte = performance.now() - t0;
            status = code;
            statusText = STATUS_TEXT[code] ?? '';
            // A redirect's body is drained so the connection can be reused; a large one closes it.
            if (isRedirect(code, headers)) return 16 * 1024;
            readingBody = true;
            return maxBytes;
          },
        });

        const location = res.headers.location;
        if (typeof location === 'string' && isRedirect(res.statusCode, res.headers)) {
          if (redirects.length >= limits.maxRedirects) {
            return result(fail('redirect_loop', `more than ${limits.maxRedirects} redirects (last to ${location})`));
          }
          redirects.push(current);
          current = new URL(location, url).href;
          continue;
        }

        if (keepBody) {
          const etag = oneHeader(res.headers.etag);
          const lastModified = oneHeader(res.headers['last-modified']);
          // Bounded: a validator is echoed back in the next request's headers.
          if ((etag && etag.length <= 200) || (lastModified && lastModified.length <= 100)) {
            validators = { ...(etag && etag.length <= 200 ? { etag } : {}), ...(lastModified && lastModified.length <= 100 ? { lastModified } : {}) };
          }
        }
        // Read up to the cap; a large page is not a failure.
        const body = res.body;
        bytesRead = body.length;
        truncated = res.truncated;
        kept = body;

        const said = `${res.statusCode} ${statusText}`.trim();
        if (req.acceptStatus) {
          // The watch's own list replaces the default reading entirely.
          if (!statusAccepted(res.statusCode, req.acceptStatus)) {
            const code = res.statusCode >= 500 ? 'http_5xx' : res.statusCode >= 400 ? 'http_4xx' : 'http_status';
            // Say why only where the default reading would have let it through (a 401, a 200 not listed).
            const why = readStatusCode(res.statusCode) === 'down' ? '' : `, not an accepted status (${formatStatusList(req.acceptStatus)})`;
            return result(fail(code, `${said}${why}`));
          }
        } else {
          const reading = readStatusCode(res.statusCode);
          if (isChallenge(res.headers) && (reading === 'auth' || reading === 'rate_limited' || res.statusCode === 503)) return result(undefined, 'challenge');
          if (reading === 'auth' || reading === 'rate_limited') return result(undefined, reading);
          if (reading === 'down') return result(fail(res.statusCode >= 500 ? 'http_5xx' : 'http_4xx', said));
        }
        if (req.expect || req.forbid) {
          const text = body.toString('utf8').toLowerCase();
          if (req.forbid && text.includes(req.forbid.toLowerCase())) {
            return result(fail('forbidden_text', `the page says "${req.forbid}"`));
          }
          if (req.expect && !text.includes(req.expect.toLowerCase())) {
            const where = truncated ? ` in the first ${Math.round(limits.maxBodyBytes / 1024)} KiB` : '';
            return result(fail('expect_missing', `the page does not contain "${req.expect}"${where}`));
          }
        }
        if (req.json) {
          const why = truncated
            ? `the answer is over ${Math.round(maxBytes / 1024)} KiB, too large to read ${req.json.pathText}`
            : jsonFailure(body, req.json);
          if (why) return result(fail('condition_failed', why));
        }
        return result();
      }
    } catch (err) {
      if (err instanceof BlockedAddressError) return result(fail('blocked', err.message));
      const e = describeNetworkError(err, { ...limits, totalTimeoutMs: deadlineMs }, signal.aborted);
      if (e.code === 'timeout' && readingBody && status !== undefined) {
        // Headers came with a good status and the page is still arriving: it answers, slowly.
        // That is not an outage (a trickling page is the classic "it loads for me, eventually").
        const good = req.acceptStatus ? statusAccepted(status, req.acceptStatus) : readStatusCode(status) === 'up';
        bytesRead = progress.bytes;
        if (good) return result(undefined, undefined, true);
      }
      return result(e);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    probe,
    fetch: (url, fetchOpts = {}) => {
      const v = fetchOpts.validators;
      const conditional = [...(v?.etag ? ['if-none-match', v.etag] : []), ...(v?.lastModified ? ['if-modified-since', v.lastModified] : [])];
      const base = fetchOpts.accept ? ['user-agent', userAgent, 'accept', fetchOpts.accept] : headers;
      // A status page is a document: only a 2xx is it (a wall or a challenge is not the page),
      // or a 304 when it was asked for conditionally.
      return run({ url, acceptStatus: conditional.length ? [[200, 299], [304, 304]] : [[200, 299]] }, fetchOpts.maxBytes ?? limits.maxBodyBytes, conditional.length ? [...base, ...conditional] : base, true);
    },
    async post(url, body, postHeaders) {
      const checked = checkUrlCached(url);
      if (!checked.ok || checked.url.protocol === 'tcp:') throw new PostFailure(checked.ok ? 'a webhook is an http(s) address' : checked.refusal.message);
      const signal = new Deadline();
      const timer = setTimeout(() => signal.fire(), limits.totalTimeoutMs);
      try {
        const res = await exchange(dispatcher, checked.url, {
          method: 'POST',
          body,
          headers: Object.entries({ 'user-agent': userAgent, ...postHeaders }).flat(),
          signal,
          progress: { bytes: 0 },
          // The answer is not read, only drained so the connection can be reused; a large one closes it.
          onHead: () => 64 * 1024,
        });
        const ra = res.headers['retry-after'];
        const seconds = typeof ra === 'string' && /^\d{1,6}$/.test(ra) ? Number(ra) * 1_000 : undefined;
        return { status: res.statusCode, ...(seconds !== undefined ? { retryAfterMs: seconds } : {}) };
      } catch (err) {
        if (err instanceof BlockedAddressError) throw new PostFailure(err.message);
        throw new PostFailure(describeNetworkError(err, limits, signal.aborted).message);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => agent.close(),
  };
}

/** A header sent more than once counts by its first value. */
function oneHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * A bot challenge in front of the site (Cloudflare's managed challenge, AWS WAF's challenge or
 * CAPTCHA): the site is there, it just will not show itself to a script.
 */
function isChallenge(headers: Record<string, string | string[] | undefined>): boolean {
  const one = (v: string | string[] | undefined) => oneHeader(v)?.toLowerCase();
  return one(headers['cf-mitigated']) === 'challenge' || ['challenge', 'captcha'].includes(one(headers['x-amzn-waf-action']) ?? '');
}

function jsonFailure(bytes: Buffer, condition: JsonCondition): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    return `the answer is not JSON, so ${condition.pathText} cannot be read`;
  }
  return failedJsonCondition(doc, condition);
}

class Deadline extends EventEmitter {
  aborted = false;
  fire(): void {
    this.aborted = true;
    this.emit('abort');
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// Cloudflare's own codes are what users see when an origin behind it is down.
const STATUS_TEXT: Record<number, string | undefined> = {
  ...STATUS_CODES,
  520: 'Unknown Error', 521: 'Web Server Is Down', 522: 'Connection Timed Out', 523: 'Origin Is Unreachable',
  524: 'A Timeout Occurred', 525: 'SSL Handshake Failed', 526: 'Invalid SSL Certificate', 530: 'Origin DNS Error',
};
