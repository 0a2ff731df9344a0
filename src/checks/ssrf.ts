import ipaddr from 'ipaddr.js';

/**
 * The SSRF guard. isdown fetches addresses that strangers type into chat, so every
 * address is checked twice: the URL's host before any request (literal IPs never reach
 * DNS), and every resolved address at connect time, on every redirect hop.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

export interface AddressPolicy {
  /** CIDRs the operator lets through on purpose (ISDOWN_ALLOW_PRIVATE). */
  readonly allow: readonly Cidr[];
  /** Ports a target may use; 'any' lifts the restriction. */
  readonly ports: ReadonlySet<number> | 'any';
}

export type RefusalReason = 'invalid' | 'scheme' | 'port' | 'credentials' | 'private' | 'name';

export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

export class BlockedAddressError extends Error {
  readonly code = 'ISDOWN_BLOCKED';
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
    this.name = 'BlockedAddressError';
  }
}

export const DEFAULT_PORTS: ReadonlySet<number> = new Set([80, 443]);

export function parseCidrList(list: string): Cidr[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const withPrefix = entry.includes('/') ? entry : `${entry}/${ipaddr.parse(entry).kind() === 'ipv4' ? 32 : 128}`;
      return ipaddr.parseCIDR(withPrefix) as Cidr;
    });
}

export function makePolicy(opts: { allow?: readonly Cidr[]; ports?: ReadonlySet<number> | 'any' } = {}): AddressPolicy {
  return { allow: opts.allow ?? [], ports: opts.ports ?? DEFAULT_PORTS };
}

const PRIVATE_MESSAGE = "isdown does not check private addresses (loopback, private networks, link-local or cloud metadata).";

/** Ranges ipaddr.js calls unicast but that must not be reached from the internet side. */
const EXTRA_BLOCKED: Cidr[] = [
  ipaddr.parseCIDR('::/96') as Cidr, // IPv4-compatible IPv6 (deprecated), e.g. ::127.0.0.1
  ipaddr.parseCIDR('64:ff9b:1::/48') as Cidr, // local-use NAT64 (RFC 8215)
  ipaddr.parseCIDR('168.63.129.16/32') as Cidr, // Azure's platform address (wireserver, DNS, health probes): public, but answers only from inside Azure
];

function inCidrs(addr: Address, cidrs: readonly Cidr[]): boolean {
  return cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match([net, bits] as never));
}

/** The IPv4 address an IPv6 form embeds, for the translation schemes that carry one. */
function embeddedIPv4(addr: ipaddr.IPv6): ipaddr.IPv4 | null {
  const range = addr.range();
  const b = addr.toByteArray();
  if (range === 'rfc6052' || range === 'rfc6145') return new ipaddr.IPv4(b.slice(12, 16));
  if (range === '6to4') return new ipaddr.IPv4(b.slice(2, 6));
  return null;
}

function isPublic(addr: Address): boolean {
  if (inCidrs(addr, EXTRA_BLOCKED)) return false;
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    const inner = embeddedIPv4(v6);
    if (inner) return isPublic(inner);
  }
  return addr.range() === 'unicast';
}

/** Parse an address the way the OS would, unwrapping IPv4-mapped IPv6. */
export function parseAddress(ip: string): Address | null {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const noZone = bare.includes('%') ? bare.slice(0, bare.indexOf('%')) : bare;
  if (!ipaddr.isValid(noZone)) return null;
  // ipaddr.isValid accepts shorthand like "127.1" that the OS treats differently; only full forms count.
  if (!noZone.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(noZone)) return null;
  return ipaddr.process(noZone);
}

/** Refusal for a connect-time address, or null when it may be reached. */
export function checkAddress(ip: string, policy: AddressPolicy): Refusal | null {
  const addr = parseAddress(ip);
  if (!addr) return { reason: 'invalid', message: `"${ip}" is not an IP address.` };
  if (inCidrs(addr, policy.allow)) return null;
  if (!isPublic(addr)) return { reason: 'private', message: PRIVATE_MESSAGE };
  return null;
}

const BLOCKED_NAMES = /(^|\.)(localhost|localdomain|internal|local|home\.arpa)$/;

/**
 * Normalise what a person typed into a URL and refuse what must never be fetched.
 * Bare names get https://. The WHATWG parser already folds 2130706433, 0x7f.1 and
 * 017700000001 into 127.0.0.1, which is why the host is checked after parsing.
 */
export function checkUrl(input: string, policy: AddressPolicy): { ok: true; url: URL } | { ok: false; refusal: Refusal } {
  const raw = input.trim();
  if (!raw) return { ok: false, refusal: { reason: 'invalid', message: 'No address given.' } };
  if (/^tcp:/i.test(raw)) return checkTcpUrl(raw, policy);
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[^/:]+:\d+(\/|$)/.test(raw);
  let url: URL;
  try {
    url = new URL(hasScheme ? raw : `https://${raw}`);
  } catch {
    return { ok: false, refusal: { reason: 'invalid', message: `"${raw}" is not a valid web address.` } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, refusal: { reason: 'scheme', message: `isdown checks only http, https and tcp addresses, not ${url.protocol.replace(/:$/, '')}.` } };
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const refusal = checkHost(url, port, raw, policy);
  return refusal ? { ok: false, refusal } : { ok: true, url };
}

/**
 * tcp://host:port, the port always written. Only URLs of http(s) get their host folded
 * (0x7f.1 into 127.0.0.1), so the host is read as an http URL's would be, then checked the same way.
 */
function checkTcpUrl(raw: string, policy: AddressPolicy): { ok: true; url: URL } | { ok: false; refusal: Refusal } {
  const invalid = { ok: false as const, refusal: { reason: 'invalid' as const, message: `"${raw.slice(0, 80)}" is not a TCP address; write it as tcp://host:port.` } };
  const m = /^tcp:\/\/([^/?#\s]{1,300})\/?$/i.exec(raw);
  if (!m) return invalid;
  let asHttp: URL;
  let port: number;
  try {
    asHttp = new URL(`http://${m[1]}`);
    port = Number(new URL(`tcp://${m[1]}`).port);
  } catch {
    return invalid;
  }
  if (!port || port > 65_535) return { ok: false, refusal: { reason: 'port', message: `"${raw.slice(0, 80)}" needs a port: tcp://host:port.` } };
  const refusal = checkHost(asHttp, port, raw, policy);
  if (refusal) return { ok: false, refusal };
  return { ok: true, url: new URL(`tcp://${asHttp.host.replace(/:\d+$/, '')}:${port}`) };
}

function checkHost(url: URL, port: number, raw: string, policy: AddressPolicy): Refusal | null {
  if (url.username || url.password) {
    return { reason: 'credentials', message: 'isdown does not send credentials: remove the "user@" part of the address.' };
  }
  if (policy.ports !== 'any' && !policy.ports.has(port)) {
    return { reason: 'port', message: `isdown checks only ports ${[...policy.ports].join(' and ')}; ${port} is not allowed here.` };
  }
  const host = url.hostname.replace(/\.+$/, '').toLowerCase();
  if (!host) return { reason: 'invalid', message: `"${raw}" has no host name.` };
  const literal = parseAddress(host);
  if (literal) return checkAddress(host, policy);
  if (/^[0-9.]+$/.test(host) || host.startsWith('[')) {
    return { reason: 'invalid', message: `"${host}" is not a valid address.` };
  }
  if (BLOCKED_NAMES.test(host)) {
    return { reason: 'name', message: PRIVATE_MESSAGE };
  }
  if (!host.includes('.')) {
    return { reason: 'name', message: `"${host}" is not a public host name (try a full name like ${host}.com).` };
  }
  return null;
}
