import type { ProbeError } from '../core/types.ts';
import type { ProbeLimits } from './probe.ts';

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** TLS failures worded so a person knows whose fault it is. */
const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the TLS certificate has expired',
  CERT_NOT_YET_VALID: 'the TLS certificate is not valid yet',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the TLS certificate chain ends in a self-signed certificate nobody trusts',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the TLS certificate is signed by an unknown authority (incomplete chain?)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the TLS certificate is signed by an unknown authority',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the TLS certificate is for another host name',
  CERT_REVOKED: 'the TLS certificate has been revoked',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS on this port',
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: 'the server only offers an outdated TLS version',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the TLS handshake failed',
  ECONNRESET_TLS: 'the connection was reset during the TLS handshake',
};

function codeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; cause?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (e.cause) return codeOf(e.cause);
  }
  return undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Turns whatever undici or the OS threw into one of the probe's error codes and a sentence. */
export function describeNetworkError(err: unknown, limits: ProbeLimits, deadlinePassed: boolean): ProbeError {
  const code = codeOf(err);
  if (deadlinePassed || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))) {
    return { code: 'timeout', message: `no complete answer within ${seconds(limits.totalTimeoutMs)}` };
  }
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { code: 'timeout', message: `could not connect within ${seconds(limits.connectTimeoutMs)}` };
    case 'UND_ERR_HEADERS_TIMEOUT':
      return { code: 'timeout', message: `connected, but no response within ${seconds(limits.headersTimeoutMs)}` };
    case 'UND_ERR_BODY_TIMEOUT':
      return { code: 'timeout', message: 'the page stopped arriving part-way' };
    case 'ENOTFOUND':
      return { code: 'dns', message: 'the name does not resolve (no such domain)' };
    case 'EAI_AGAIN':
      return { code: 'dns', message: 'DNS lookup failed or timed out' };
    case 'ECONNREFUSED':
      return { code: 'refused', message: 'connection refused: nothing is listening' };
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code: 'refused', message: 'no route to the host' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { code: 'reset', message: 'the connection was reset before a full answer arrived' };
    case 'HPE_INVALID_CONSTANT':
    case 'HPE_INVALID_STATUS':
    case 'UND_ERR_INVALID_ARG':
      return { code: 'reset', message: 'the server answered with something that is not HTTP' };
  }
  if (code && (TLS_REASONS[code] || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || code.includes('CERT'))) {
    return { code: 'tls', message: TLS_REASONS[code] ?? `TLS failed: ${messageOf(err)}` };
  }
  return { code: 'reset', message: `connection failed: ${messageOf(err)}` };
}
