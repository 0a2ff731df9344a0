import { parseDuration } from '../core/duration.ts';
import { formatExactDuration } from '../core/duration.ts';
import { formatHeader, headerEnvFor, parseJsonCondition } from '../core/conditions.ts';

/**
 * Other monitors' configurations, read into the chat grammar: each monitor becomes the words of
 * `/isdown watch …`, so an import is checked by exactly the rules a person typing them meets.
 * What cannot be carried is said, with why; nothing is dropped in silence.
 */
export interface ImportPlan {
  /** One per monitor carried: its name there, and the words after "watch". */
  /** `notes`: what was not carried, or needs the operator, for a monitor that was. */
  readonly made: { readonly name: string; readonly words: string[]; readonly notes: string[] }[];
  readonly skipped: { readonly name: string; readonly reason: string }[];
}

const MAX_MONITORS = 10_000;

function headerNotes(headers: Record<string, unknown>, words: string[], notes: string[]): void {
  for (const [name, value] of Object.entries(headers).slice(0, 5)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name) || /^(host|content-length|connection|transfer-encoding)$/i.test(name)) continue;
    // A header's value stays out of isdown: the watch names a variable for the operator to set.
    const env = headerEnvFor(name);
    words.push('header', formatHeader({ name, env }));
    notes.push(`set ${env} to its ${name} value (values are never kept in a watch)`);
  }
}

function every(seconds: number): string[] {
  if (!Number.isFinite(seconds) || seconds <= 0) return [];
  return ['every', formatExactDuration(Math.round(seconds) * 1_000)];
}

// ---------------------------------------------------------------- Uptime Kuma

interface KumaMonitor {
  id?: number;
  name?: string;
  type?: string;
  url?: string;
  hostname?: string;
  port?: number | string;
  interval?: number;
  keyword?: string | null;
  invertKeyword?: boolean | number;
  accepted_statuscodes?: string[] | string;
  maxretries?: number;
  method?: string;
  headers?: string | null;
  jsonPath?: string | null;
  expectedValue?: string | null;
  active?: boolean | number;
  upsideDown?: boolean | number;
  ignoreTls?: boolean | number;
  authMethod?: string | null;
  basic_auth_user?: string | null;
  body?: string | null;
}

const KUMA_AUTH = new Map([
  ['ntlm', 'NTLM'],
  ['mtls', 'a client certificate (mTLS)'],
  ['oauth2-cc', 'OAuth2 client credentials'],
]);

/**
 * Uptime Kuma's backup (Settings → Backup → Export): { version, notificationList, monitorList }, or a
 * bare list of the same monitor objects (what Kuma's API and bulk-import tools pass around).
 */
export function planKuma(doc: unknown): ImportPlan | { error: string } {
  const given = Array.isArray(doc) ? doc : (doc as { monitorList?: unknown } | null)?.monitorList;
  // Kuma keeps monitors as an object keyed by id in its front end; a backup may hold either form.
  const list = Array.isArray(given) ? given : given && typeof given === 'object' ? Object.values(given) : undefined;
  if (!list) return { error: 'this is not an Uptime Kuma backup: it has no "monitorList" (Settings → Backup → Export in Kuma 1.x makes one), nor is it a list of Kuma monitors' };
  const made: ImportPlan['made'] = [];
  const skipped: ImportPlan['skipped'] = [];
  for (const raw of list.slice(0, MAX_MONITORS) as KumaMonitor[]) {
    const name = String(raw?.name ?? `monitor ${raw?.id ?? made.length + skipped.length + 1}`).slice(0, 80);
    const type = String(raw?.type ?? 'http');
    if (raw?.active === false || raw?.active === 0) {
      skipped.push({ name, reason: 'paused in Kuma' });
      continue;
    }
    if (!['http', 'keyword', 'json-query', 'port', 'push'].includes(type)) {
      skipped.push({ name, reason: `a Kuma "${type.slice(0, 40)}" monitor: isdown checks HTTP(S), TCP ports and heartbeats` });
      continue;
    }
    // Upside-down mode counts a failed check as up; carried as a normal watch it would alert on the
    // very state Kuma was told is fine, so it is refused rather than turned around in silence.
    if (raw?.upsideDown === true || raw?.upsideDown === 1) {
      skipped.push({ name, reason: 'upside-down mode (up when the check fails) has no isdown equivalent' });
      continue;
    }
    const words: string[] = [];
    const notes: string[] = [];
    if (type === 'push') {
      words.push('push', slug(name), ...every(Number(raw.interval ?? 60)));
      notes.push("its job must call isdown's new URL (the watch answer shows it)");
      made.push({ name, words, notes });
      continue;
    }
    if (type === 'port') {
      if (!raw.hostname || !raw.port) {
        skipped.push({ name, reason: 'a port monitor without a host or port' });
        continue;
      }
      words.push(`tcp://${raw.hostname}:${raw.port}`, ...every(Number(raw.interval ?? 60)));
      made.push({ name, words, notes });
      continue;
    }
    if (!raw.url || !/^https?:\/\//i.test(raw.url)) {
      skipped.push({ name, reason: 'no http(s) URL' });
      continue;
    }
    words.push(raw.url, ...every(Number(raw.interval ?? 60)));
    const method = String(raw.method ?? 'GET').toUpperCase();
    if (method !== 'GET') words.push('method', method);
    const codes = Array.isArray(raw.accepted_statuscodes) ? raw.accepted_statuscodes : typeof raw.accepted_statuscodes === 'string' ? [raw.accepted_statuscodes] : [];
    if (codes.length) words.push('status', codes.join(','));
    if (raw.headers) {
      try {
        const h = JSON.parse(raw.headers) as unknown;
        if (h && typeof h === 'object' && !Array.isArray(h)) headerNotes(h as Record<string, unknown>, words, notes);
      } catch {
        notes.push('its headers are not JSON; none carried');
      }
    }
    const auth = String(raw.authMethod ?? '');
    const unsupportedAuth = KUMA_AUTH.get(auth);
    if (unsupportedAuth) {
      skipped.push({ name, reason: `it signs in with ${unsupportedAuth}; isdown sends only headers taken from variables` });
      continue;
    }
    if ((auth === 'basic' || raw.basic_auth_user) && !words.some((w) => /^authorization:/i.test(w))) {
      const env = headerEnvFor('Authorization');
      words.push('header', formatHeader({ name: 'Authorization', env }));
      notes.push(`set ${env} to "Basic " and the base64 of user:password (Kuma's basic auth; values are never kept in a watch)`);
    }
    if (raw.body && method !== 'GET') notes.push(`its ${method} body is not carried: isdown sends requests without one`);
    if (raw.ignoreTls === true || raw.ignoreTls === 1) notes.push('Kuma ignored its TLS errors; isdown verifies certificates, so a self-signed or expired one reads as down');
    if (type === 'keyword' && raw.keyword) words.push(raw.invertKeyword ? 'forbid' : 'expect', raw.keyword);
    if (type === 'json-query') {
      const path = String(raw.jsonPath ?? '').trim();
      const condition = `${path.startsWith('$') ? path : `$.${path}`} == ${JSON.stringify(String(raw.expectedValue ?? ''))}`;
      if (parseJsonCondition(condition).ok) words.push('json', condition);
      else {
        skipped.push({ name, reason: `its JSON query "${path.slice(0, 60)}" is more than a path; isdown reads paths like $.status` });
        continue;
      }
    }
    if (typeof raw.maxretries === 'number' && raw.maxretries > 0) notes.push(`maxretries ${raw.maxretries}: isdown confirms every outage over rounds of its own (ISDOWN_FAIL_ROUNDS)`);
    made.push({ name, words, notes });
  }
  if (list.length > MAX_MONITORS) skipped.push({ name: `${list.length - MAX_MONITORS} more`, reason: `more than ${MAX_MONITORS} monitors in one file` });
  return { made, skipped };
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|-+$/g, '')
      .slice(0, 63) || 'heartbeat'
  );
}

// ---------------------------------------------------------------- Gatus

interface GatusEndpoint {
  name?: string;
  url?: string;
  method?: string;
  interval?: string;
  enabled?: boolean;
  headers?: Record<string, unknown>;
  body?: string;
  conditions?: unknown[];
  dns?: unknown;
  ssh?: unknown;
}

const STATUS_COND = /^\[STATUS\]\s*(==|<=|>=|<|>)\s*(\d{3})$/;
const BODY_PATH_COND = /^\[BODY\]((?:\.[A-Za-z0-9_$-]+|\[\d{1,6}\])+)\s*(==|!=|<=|>=|<|>)\s*(.{1,200})$/;
const BODY_PAT_COND = /^\[BODY\]\s*==\s*pat\(\*([^*()]{1,200})\*\)$/;
const TIME_COND = /^\[RESPONSE_TIME\]\s*(<|<=)\s*(\d{1,6})$/;

/** A Gatus configuration: endpoints with url, interval and conditions. */
export function planGatus(doc: unknown): ImportPlan | { error: string } {
  const list = (doc as { endpoints?: unknown } | null)?.endpoints;
  if (!Array.isArray(list)) return { error: 'this is not a Gatus configuration: it has no "endpoints:" list' };
  const made: ImportPlan['made'] = [];
  const skipped: ImportPlan['skipped'] = [];
  for (const e of list.slice(0, MAX_MONITORS) as GatusEndpoint[]) {
    const name = String(e?.name ?? `endpoint ${made.length + skipped.length + 1}`).slice(0, 80);
    const url = String(e?.url ?? '').trim();
    if (e?.enabled === false) {
      skipped.push({ name, reason: 'disabled in Gatus' });
      continue;
    }
    if (e?.dns) {
      skipped.push({ name, reason: 'a DNS query: isdown checks HTTP(S), TCP ports and heartbeats' });
      continue;
    }
    const scheme = /^([a-z]+):\/\//i.exec(url)?.[1]?.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https' && scheme !== 'tcp') {
      skipped.push({ name, reason: `${scheme ? `${scheme}:// checks` : `"${url.slice(0, 60)}" is not a URL; such checks`} are not something isdown does (it checks HTTP(S), TCP ports and heartbeats)` });
      continue;
    }
    const words: string[] = [url];
    const notes: string[] = [];
    const intervalMs = e.interval ? parseDuration(String(e.interval)) : 60_000;
    if (intervalMs) words.push('every', formatExactDuration(intervalMs));
    const tcp = scheme === 'tcp';
    if (!tcp) {
      const method = String(e.method ?? 'GET').toUpperCase();
      if (method !== 'GET') words.push('method', method);
      if (e.headers && typeof e.headers === 'object') headerNotes(e.headers, words, notes);
      if (e.body) notes.push('its request body is not sent (isdown sends none)');
    }
    let low = 100;
    let high = 599;
    let statusSeen = false;
    let json = false;
    for (const c of (e.conditions ?? []).slice(0, 50)) {
      const text = String(c).trim();
      let m: RegExpExecArray | null;
      if (!tcp && (m = STATUS_COND.exec(text))) {
        const n = Number(m[2]);
        statusSeen = true;
        if (m[1] === '==') [low, high] = [Math.max(low, n), Math.min(high, n)];
        else if (m[1] === '<') high = Math.min(high, n - 1);
        else if (m[1] === '<=') high = Math.min(high, n);
        else if (m[1] === '>') low = Math.max(low, n + 1);
        else low = Math.max(low, n);
      } else if (!tcp && !json && (m = BODY_PATH_COND.exec(text))) {
        const value = m[3]!.trim();
        const condition = `$${m[1]} ${m[2]} ${value}`;
        if (parseJsonCondition(condition).ok && !/^(len|has|pat|any)\(/.test(value)) {
          words.push('json', condition);
          json = true;
        } else notes.push(`not carried: ${text.slice(0, 80)} (isdown compares one JSON value with ==, !=, <, <=, >, >=)`);
      } else if (!tcp && (m = BODY_PAT_COND.exec(text))) {
        words.push('expect', m[1]!);
      } else if ((m = TIME_COND.exec(text))) {
        const ms = Number(m[2]) + (m[1] === '<=' ? 1 : 0);
        words.push('slower', 'than', `${Math.min(15_000, Math.max(10, ms))}ms`);
      } else if (/^\[CERTIFICATE_EXPIRATION\]/.test(text)) {
        notes.push(`${text}: certificate warnings are built in (ISDOWN_CERT_WARN_DAYS, then 3 days)`);
      } else if (/^\[CONNECTED\]\s*==\s*true$/.test(text)) {
        // What a check does anyway.
      } else {
        notes.push(`not carried: ${text.slice(0, 80)} (isdown has no such condition)`);
      }
    }
    if (statusSeen) {
      if (low > high) {
        skipped.push({ name, reason: 'its status conditions accept no code at all' });
        continue;
      }
      words.push('status', low === high ? String(low) : `${low}-${high}`);
    }
    made.push({ name, words, notes });
  }
  return { made, skipped };
}
