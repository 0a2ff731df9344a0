import { formatDuration } from './duration.ts';
import type { AlertEvent, Health } from './monitor.ts';

/**
 * An incident: opened on confirmed trouble, closed on confirmed recovery, reopened when trouble
 * returns soon after. It keeps every change so it can be told back like an outage report.
 */

export interface TimelineEntry {
  readonly at: number;
  readonly health: Health;
  readonly kind: AlertEvent['type'];
  /** The evidence in words, as the verdict said it. */
  readonly summary: string;
}

export interface Incident {
  readonly id: string;
  readonly monitorKey: string;
  /** The catalog id or address the buttons on an alert re-check. */
  readonly targetId: string;
  readonly service: string;
  readonly openedAt: number;
  readonly closedAt?: number;
  /** Closed because no channel watched the service any more, not because it recovered. */
  readonly unwatchedAt?: number;
  readonly health: Health;
  readonly flapping: boolean;
  readonly timeline: readonly TimelineEntry[];
}

export const isTrouble = (h: Health) => h === 'down' || h === 'partial' || h === 'degraded';

function healthAfter(event: AlertEvent): Health {
  switch (event.type) {
    case 'opened':
    case 'reopened':
      return event.health;
    case 'changed':
      return event.to;
    case 'recovered':
      return 'up';
    case 'flapping':
      return event.health;
  }
}

/** Applies one event to the incident it belongs to (creating it on 'opened'). Pure. */
export function applyEvent(incident: Incident | undefined, event: AlertEvent, ctx: { monitorKey: string; targetId: string; service: string }): Incident {
  if (!incident) {
    if (event.type !== 'opened') throw new Error(`incident ${event.incidentId} is missing for a ${event.type} event`);
    return {
      id: event.incidentId,
      monitorKey: ctx.monitorKey,
      targetId: ctx.targetId,
      service: ctx.service,
      openedAt: event.at,
      health: event.health,
      flapping: false,
      timeline: [{ at: event.at, health: event.health, kind: 'opened', summary: event.summary }],
    };
  }
  const health = healthAfter(event);
  const entry: TimelineEntry = { at: event.at, health, kind: event.type, summary: event.summary };
  const { closedAt: _c, ...open } = incident;
  const base = event.type === 'recovered' ? { ...incident, closedAt: event.at } : event.type === 'reopened' ? open : incident;
  return { ...base, health, flapping: event.type === 'flapping' ? true : base.flapping, timeline: [...incident.timeline, entry] };
}

interface Segment {
  readonly health: Health;
  readonly from: number;
  readonly to: number;
  readonly ongoing: boolean;
}

function segments(incident: Incident, now: number): Segment[] {
  const out: Segment[] = [];
  const entries = incident.timeline;
  entries.forEach((e, i) => {
    const next = entries[i + 1];
    const end = next ? next.at : (incident.closedAt ?? now);
    const prev = out[out.length - 1];
    if (prev && prev.health === e.health) {
      out[out.length - 1] = { ...prev, to: end, ongoing: !next && incident.closedAt === undefined };
      return;
    }
    if (e.kind === 'recovered' && !next) return; // the end of the story, not a segment of it
    out.push({ health: e.health, from: e.at, to: end, ongoing: !next && incident.closedAt === undefined });
  });
  return out;
}

/** Milliseconds spent down, partial or degraded: the downtime a recovery message reports. */
export function downtime(incident: Incident, now: number): number {
  return segments(incident, now)
    .filter((s) => isTrouble(s.health))
    .reduce((sum, s) => sum + (s.to - s.from), 0);
}

/** The incident's span, open to close (or to now while it lasts). */
export function span(incident: Incident, now: number): number {
  return (incident.closedAt ?? now) - incident.openedAt;
}

export type ClockFormat = (epochMs: number) => string;

export function clockFormat(timeZone = 'UTC'): ClockFormat {
  const f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
  return (ms) => f.format(ms);
}

const WORD: Record<Health, string> = { up: 'up', down: 'down', partial: 'partially down', degraded: 'degraded', maintenance: 'in maintenance' };

/**
 * "Down 11:23–12:04 (41 min) · briefly up · down again 12:15–12:58 · degraded until 13:20 ·
 * total 1 h 57 min": the timeline told back like a report.
 */
export function tellStory(incident: Incident, now: number, clock: ClockFormat = clockFormat()): string {
  const segs = segments(incident, now);
  const parts: string[] = [];
  const seen = new Set<Health>();
  segs.forEach((s, i) => {
    const prev = segs[i - 1];
    const end = s.ongoing ? 'now' : clock(s.to);
    if (!isTrouble(s.health)) {
      parts.push(s.health === 'up' ? 'briefly up' : `${WORD[s.health]} ${clock(s.from)}–${end}`);
      return;
    }
    if (i === 0) {
      const word = WORD[s.health];
      parts.push(`${word[0]!.toUpperCase()}${word.slice(1)} ${clock(s.from)}–${end} (${formatDuration(s.to - s.from)})`);
    } else if (prev && isTrouble(prev.health)) {
      parts.push(s.ongoing ? `${WORD[s.health]} since ${clock(s.from)}` : `${WORD[s.health]} until ${end}`);
    } else {
      parts.push(`${WORD[s.health]}${seen.has(s.health) ? ' again' : ''} ${clock(s.from)}–${end}`);
    }
    seen.add(s.health);
  });
  if (incident.flapping) parts.push('flapping');
  if (incident.unwatchedAt !== undefined) parts.push(`no longer watched from ${clock(incident.unwatchedAt)}`);
  parts.push(incident.closedAt === undefined ? `ongoing for ${formatDuration(span(incident, now))}` : `total ${formatDuration(span(incident, now))}`);
  return parts.join(' · ');
}
