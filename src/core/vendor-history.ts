import type { Impact, StatusReport } from './types.ts';

/**
 * What a vendor's own status page said over time, kept from the background reads: a status
 * summary lists only what is open now, so the history is the sequence of reads folded together.
 * `history <service>` tells it for services nobody watched, and vendor watches alert from its
 * changes.
 */

export interface VendorUpdate {
  readonly at: number;
  readonly status: string;
  readonly body: string;
}

export interface VendorIncident {
  /** The incident's link where it has one, else its name: how one read's incident is found in the next. */
  readonly key: string;
  readonly name: string;
  readonly impact: Impact;
  readonly url?: string;
  readonly startedAt: number;
  readonly updates: readonly VendorUpdate[];
  readonly resolvedAt?: number;
  readonly components: readonly string[];
}

export interface VendorMaintenance {
  readonly key: string;
  readonly name: string;
  readonly status: string;
  readonly scheduledFor?: number;
  readonly scheduledUntil?: number;
  readonly components: readonly string[];
  /** When isdown first saw it announced. */
  readonly seenAt: number;
  readonly endedAt?: number;
}

export interface VendorHistory {
  /** Newest first. */
  readonly incidents: readonly VendorIncident[];
  readonly maintenances: readonly VendorMaintenance[];
}

export type VendorChange =
  | { readonly type: 'opened'; readonly incident: VendorIncident }
  | { readonly type: 'updated'; readonly incident: VendorIncident; readonly update: VendorUpdate }
  | { readonly type: 'resolved'; readonly incident: VendorIncident }
  | { readonly type: 'scheduled'; readonly maintenance: VendorMaintenance }
  | { readonly type: 'maintenance_started'; readonly maintenance: VendorMaintenance }
  | { readonly type: 'maintenance_ended'; readonly maintenance: VendorMaintenance };

/** Bounds: a page that lists a thousand incidents, or one that updates every minute, stays small. */
export const VENDOR_LIMITS = { incidents: 50, maintenances: 20, updates: 20, bodyChars: 1_000, nameChars: 200 } as const;

export const EMPTY_HISTORY: VendorHistory = { incidents: [], maintenances: [] };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function parseTime(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  const t = Date.parse(text);
  // A time in the future or unreadable is the provider's mistake; when we saw it is the fact.
  return Number.isFinite(t) && t <= fallback ? t : fallback;
}

function parseWhen(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isFinite(t) ? t : undefined;
}

/**
 * One read folded into the history: incidents new to it open, a new latest update is added, an
 * open incident the page no longer lists is resolved now; maintenances likewise. Returns the
 * changes in the order a channel should hear them; none when the read told nothing new.
 */
export function foldReport(prev: VendorHistory | undefined, report: StatusReport, at: number): { history: VendorHistory; changes: VendorChange[] } {
  const before = prev ?? EMPTY_HISTORY;
  const changes: VendorChange[] = [];
  const listed = new Set<string>();
  const incidents = new Map(before.incidents.map((i) => [i.key, i]));
  for (const s of report.incidents) {
    const key = clip(s.url ?? s.name, VENDOR_LIMITS.nameChars);
    if (listed.has(key)) continue;
    listed.add(key);
    const had = incidents.get(key);
    const update: VendorUpdate | undefined = s.latestUpdate ? { at: parseTime(s.latestUpdate.at, at), status: s.status, body: clip(s.latestUpdate.body, VENDOR_LIMITS.bodyChars) } : undefined;
    const resolvedHere = s.status === 'resolved' || s.status === 'completed';
    if (!had || had.resolvedAt !== undefined) {
      if (resolvedHere && !had) continue;
      const opened: VendorIncident = {
        key,
        name: clip(s.name, VENDOR_LIMITS.nameChars),
        impact: s.impact,
        ...(s.url ? { url: s.url } : {}),
        startedAt: had?.startedAt ?? parseTime(s.startedAt, at),
        updates: update ? [update] : [],
        components: s.components.slice(0, 20),
      };
      incidents.set(key, opened);
      changes.push({ type: 'opened', incident: opened });
      continue;
    }
    const last = had.updates[had.updates.length - 1];
    const fresh = update && (!last || last.body !== update.body || last.status !== update.status);
    const next: VendorIncident = {
      ...had,
      impact: s.impact,
      ...(fresh ? { updates: [...had.updates, update].slice(-VENDOR_LIMITS.updates) } : {}),
      ...(resolvedHere ? { resolvedAt: at } : {}),
    };
    if (fresh || resolvedHere || next.impact !== had.impact) incidents.set(key, next);
    if (resolvedHere) changes.push({ type: 'resolved', incident: next });
    else if (fresh) changes.push({ type: 'updated', incident: next, update: update! });
  }
  for (const [key, i] of incidents) {
    if (i.resolvedAt !== undefined || listed.has(key)) continue;
    const closed: VendorIncident = { ...i, resolvedAt: at };
    incidents.set(key, closed);
    changes.push({ type: 'resolved', incident: closed });
  }

  const shown = new Set<string>();
  const maintenances = new Map(before.maintenances.map((m) => [m.key, m]));
  for (const s of report.maintenances) {
    const key = clip(`${s.name} ${s.scheduledFor ?? ''}`, VENDOR_LIMITS.nameChars);
    if (shown.has(key)) continue;
    shown.add(key);
    const had = maintenances.get(key);
    const ended = s.status === 'completed';
    const started = s.status === 'in_progress' || s.status === 'verifying';
    const when = { ...(parseWhen(s.scheduledFor) !== undefined ? { scheduledFor: parseWhen(s.scheduledFor)! } : {}), ...(parseWhen(s.scheduledUntil) !== undefined ? { scheduledUntil: parseWhen(s.scheduledUntil)! } : {}) };
    if (!had) {
      if (ended) continue;
      const m: VendorMaintenance = { key, name: clip(s.name, VENDOR_LIMITS.nameChars), status: s.status, ...when, components: s.components.slice(0, 20), seenAt: at };
      maintenances.set(key, m);
      changes.push(started ? { type: 'maintenance_started', maintenance: m } : { type: 'scheduled', maintenance: m });
      continue;
    }
    if (had.status === s.status || had.endedAt !== undefined) continue;
    const m: VendorMaintenance = { ...had, status: s.status, ...when, ...(ended ? { endedAt: at } : {}) };
    maintenances.set(key, m);
    if (ended) changes.push({ type: 'maintenance_ended', maintenance: m });
    else if (started && had.status === 'scheduled') changes.push({ type: 'maintenance_started', maintenance: m });
  }
  for (const [key, m] of maintenances) {
    if (m.endedAt !== undefined || shown.has(key)) continue;
    const ended: VendorMaintenance = { ...m, status: 'completed', endedAt: at };
    maintenances.set(key, ended);
    // A scheduled window that vanished was cancelled or moved; only one that was under way ends.
    if (m.status !== 'scheduled') changes.push({ type: 'maintenance_ended', maintenance: ended });
  }

  if (changes.length === 0 && prev) return { history: prev, changes };
  return {
    history: {
      incidents: [...incidents.values()].sort((a, b) => b.startedAt - a.startedAt).slice(0, VENDOR_LIMITS.incidents),
      maintenances: [...maintenances.values()].sort((a, b) => b.seenAt - a.seenAt).slice(0, VENDOR_LIMITS.maintenances),
    },
    changes,
  };
}

/** Incidents that were open at some point in [fromMs, now]. */
export function incidentsSince(h: VendorHistory, fromMs: number): VendorIncident[] {
  return h.incidents.filter((i) => (i.resolvedAt ?? Infinity) >= fromMs);
}
