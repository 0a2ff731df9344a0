import type { Verdict, VerdictState } from './types.ts';
import type { CertState } from './certificate.ts';

/**
 * The monitor state machine, pure: (previous state, verdict, thresholds, now) → (next state,
 * events). Trouble is confirmed over several rounds, recovery too; rapid flips become one
 * flapping incident; maintenance silences alerts but keeps the timeline (a channel's mute is
 * the notifier's business, per watch); a round in which our own network failed changes nothing.
 */

export type Health = 'up' | 'degraded' | 'partial' | 'down' | 'maintenance';

export interface Thresholds {
  /** Failing rounds before trouble is confirmed (the first one triggers a quick re-check). */
  readonly failRounds: number;
  /** Good rounds before recovery is confirmed. */
  readonly recoverRounds: number;
  /** Delay of the quick re-check after a first failure. */
  readonly recheckMs: number;
  /** More than this many confirmed flips inside the window is flapping. */
  readonly flapFlips: number;
  readonly flapWindowMs: number;
  /** Trouble that returns this soon after recovery reopens the same incident. */
  readonly reopenWindowMs: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  failRounds: 2,
  recoverRounds: 2,
  recheckMs: 10_000,
  flapFlips: 3,
  flapWindowMs: 30 * 60_000,
  reopenWindowMs: 30 * 60_000,
};

export interface MonitorState {
  /** The confirmed health; 'up' for a new monitor until proven otherwise. */
  readonly health: Health;
  readonly since: number;
  /** A different health seen for `rounds` rounds in a row, not yet confirmed. */
  readonly candidate?: { readonly health: Health; readonly rounds: number; readonly since: number; readonly summary: string };
  /** Times of confirmed changes between healthy and trouble, inside the flap window. */
  readonly flips: readonly number[];
  readonly flapping: boolean;
  /** The open (or recently closed, reopenable) incident. */
  readonly incident?: { readonly id: string; readonly open: boolean; readonly closedAt?: number };
  readonly lastSummary?: string;
  /** No round has seen the target yet (none ran, or our own network failed in each): 'up' is only a default. */
  readonly unseen?: true;
  /** The https target's certificate, and the last expiry warning given for it. */
  readonly cert?: CertState;
}

export function initialState(now: number): MonitorState {
  return { health: 'up', since: now, flips: [], flapping: false, unseen: true };
}

/**
 * Whether a transition changed anything worth storing. The latest summary alone is not: it
 * differs every round ("200 OK in 143 ms"), and storing it would write once per check.
 */
export function stateChanged(prev: MonitorState, next: MonitorState): boolean {
  if (prev === next) return false;
  // Compared in place rather than serialised: this runs once a check, and two JSON strings a
  // check were a measurable share of the garbage collector's work.
  return !sameJson(prev as unknown as JsonObject, next as unknown as JsonObject, 'lastSummary');
}

type JsonObject = { readonly [key: string]: unknown };

/** Equal as JSON would write them: key order aside, and a key set to undefined is no key. */
function sameJson(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as JsonObject;
  const y = b as JsonObject;
  let inX = 0;
  for (const k in x) {
    if (k === skip || x[k] === undefined) continue;
    if (!sameJson(x[k], y[k])) return false;
    inX++;
  }
  let inY = 0;
  for (const k in y) if (k !== skip && y[k] !== undefined) inY++;
  return inX === inY;
}

export type MonitorEvent =
  | { readonly type: 'opened'; readonly incidentId: string; readonly health: Health; readonly at: number; readonly summary: string; readonly silent: boolean }
  | { readonly type: 'changed'; readonly incidentId: string; readonly from: Health; readonly to: Health; readonly at: number; readonly summary: string; readonly silent: boolean }
  | { readonly type: 'reopened'; readonly incidentId: string; readonly health: Health; readonly at: number; readonly summary: string; readonly silent: boolean }
  | { readonly type: 'flapping'; readonly incidentId: string; readonly health: Health; readonly flips: number; readonly at: number; readonly summary: string; readonly silent: boolean }
  | { readonly type: 'recovered'; readonly incidentId: string; readonly at: number; readonly summary: string; readonly silent: boolean }
  /** Not an alert: ask the scheduler for a quick re-check. */
  | { readonly type: 'recheck'; readonly inMs: number };

export type AlertEvent = Exclude<MonitorEvent, { type: 'recheck' }>;

export interface Transition {
  readonly state: MonitorState;
  readonly events: readonly MonitorEvent[];
}

const isTrouble = (h: Health) => h === 'down' || h === 'partial' || h === 'degraded';

function healthOf(state: VerdictState): Health | null {
  return state === 'unknown' ? null : state;
}

/**
 * One round. `newIncidentId` is called only when an incident opens, with the time it opened:
 * deriving the id from it makes a round replayed after a crash produce the same incident.
 */
export function advance(prev: MonitorState, verdict: Verdict, now: number, t: Thresholds, newIncidentId: (openedAt: number) => string): Transition {
  const observed = healthOf(verdict.state);
  // Our own network failed this round: we know nothing new about the target.
  if (observed === null) return { state: prev, events: [] };

  const flips = prev.flips.filter((f) => now - f < t.flapWindowMs);
  const { unseen: _seenNow, ...seen } = prev;
  const base: MonitorState = { ...seen, flips: flips.length === prev.flips.length ? prev.flips : flips, lastSummary: verdict.summary };

  if (observed === prev.health) {
    const { candidate: _dropped, ...rest } = base;
    const settled: MonitorState = rest;
    // Flapping ends after a quiet window; if it settled healthy, the incident closes now.
    if (prev.flapping && flips.length === 0) {
      const calm: MonitorState = { ...settled, flapping: false };
      if (!isTrouble(observed) && calm.incident?.open) {
        const id = calm.incident.id;
        return {
          state: { ...calm, incident: { id, open: false, closedAt: now } },
          events: [{ type: 'recovered', incidentId: id, at: now, summary: verdict.summary, silent: observed === 'maintenance' }],
        };
      }
      return { state: calm, events: [] };
    }
    return { state: settled, events: [] };
  }

  // A different health this round: count it towards confirmation.
  const same = prev.candidate?.health === observed;
  const candidate = { health: observed, rounds: same ? prev.candidate!.rounds + 1 : 1, since: same ? prev.candidate!.since : now, summary: verdict.summary };
  const needed = isTrouble(observed) || observed === 'maintenance' ? t.failRounds : t.recoverRounds;
  if (candidate.rounds < needed) {
    const events: MonitorEvent[] = [];
    // The first failure from healthy earns a quick second look instead of waiting a whole interval.
    if (candidate.rounds === 1 && isTrouble(observed) && !isTrouble(prev.health)) events.push({ type: 'recheck', inMs: t.recheckMs });
    return { state: { ...base, candidate }, events };
  }

  // Confirmed. The change dates from when it was first seen, not from when we were sure.
  const at = candidate.since;
  const { candidate: _done, ...rest } = base;
  const next: MonitorState = { ...rest, health: observed, since: at };
  const wasTrouble = isTrouble(prev.health);
  const nowTrouble = isTrouble(observed);
  const silent = observed === 'maintenance';
  const flipped = wasTrouble !== nowTrouble;
  const newFlips = flipped ? [...flips, at] : flips;
  const flapping = prev.flapping || newFlips.length > t.flapFlips;
  const withFlips: MonitorState = { ...next, flips: newFlips, flapping };
  const summary = verdict.summary;

  if (nowTrouble) {
    const inc = prev.incident;
    if (inc?.open) {
      if (flapping && !prev.flapping) {
        return { state: withFlips, events: [{ type: 'flapping', incidentId: inc.id, health: observed, flips: newFlips.length, at, summary, silent }] };
      }
      return { state: withFlips, events: [{ type: 'changed', incidentId: inc.id, from: prev.health, to: observed, at, summary, silent: silent || flapping }] };
    }
    if (inc && !inc.open && inc.closedAt !== undefined && at - inc.closedAt < t.reopenWindowMs) {
      const reopened: MonitorState = { ...withFlips, incident: { id: inc.id, open: true } };
      if (flapping && !prev.flapping) return { state: reopened, events: [{ type: 'flapping', incidentId: inc.id, health: observed, flips: newFlips.length, at, summary, silent }] };
      return { state: reopened, events: [{ type: 'reopened', incidentId: inc.id, health: observed, at, summary, silent: silent || flapping }] };
    }
    const id = newIncidentId(at);
    return { state: { ...withFlips, flapping: false, flips: [at], incident: { id, open: true } }, events: [{ type: 'opened', incidentId: id, health: observed, at, summary, silent }] };
  }

  // Healthy again (up, or maintenance which is not trouble).
  const inc = prev.incident;
  if (!inc?.open) return { state: withFlips, events: [] };
  if (flapping) {
    // Flapping holds the incident open; each swing is recorded but not announced.
    const events: MonitorEvent[] = !prev.flapping
      ? [{ type: 'flapping', incidentId: inc.id, health: observed, flips: newFlips.length, at, summary, silent }]
      : [{ type: 'changed', incidentId: inc.id, from: prev.health, to: observed, at, summary, silent: true }];
    return { state: withFlips, events };
  }
  if (observed === 'maintenance') {
    return { state: withFlips, events: [{ type: 'changed', incidentId: inc.id, from: prev.health, to: observed, at, summary, silent: true }] };
  }
  return {
    state: { ...withFlips, incident: { id: inc.id, open: false, closedAt: at } },
    events: [{ type: 'recovered', incidentId: inc.id, at, summary, silent: false }],
  };
}
