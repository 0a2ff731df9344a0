import { DESCRIPTIONS, PUSH_USAGE, USAGE, type CommandName } from './commands.ts';
import type { CheckOutcome } from './check.ts';
import { formatDuration, formatLatency } from './duration.ts';
import { downtime, tellStory, type ClockFormat, type Incident } from './incident.ts';
import type { AlertEvent } from './monitor.ts';
import { daysLeft, type CertNotice } from './certificate.ts';
import type { ProbeResult, Target, VerdictState } from './types.ts';
import type { Chart } from './uptime.ts';
import type { VendorIncident, VendorMaintenance, VendorUpdate } from './vendor-history.ts';

/**
 * The neutral message every adapter renders in its own idiom (Block Kit, embed, terminal).
 * No platform formats its own alert text: they all start from this.
 */
export type Tone = VerdictState | 'info' | 'error';

export interface Field {
  readonly label: string;
  readonly value: string;
}

export interface Link {
  readonly label: string;
  readonly url: string;
}

export type Action =
  | { readonly kind: 'recheck'; readonly target: string }
  | { readonly kind: 'mute'; readonly target: string; readonly durationMs: number }
  | { readonly kind: 'watch'; readonly target: string };

export interface Message {
  readonly tone: Tone;
  readonly title: string;
  readonly lines: readonly string[];
  readonly fields: readonly Field[];
  readonly links: readonly Link[];
  readonly actions: readonly Action[];
  /** 'channel' answers are for the team; 'private' ones only for whoever asked. */
  readonly visibility: 'channel' | 'private';
  /** Epoch ms the facts are from. */
  readonly at?: number;
  /** What an alert is about, as data: a receiver of outbound webhooks reads it rather than the words. */
  readonly alert?: AlertFacts;
  /** A picture of the numbers: a PNG in Slack and Discord, a sparkline in the console. */
  readonly chart?: Chart;
}

export interface AlertFacts {
  /** `vendor_update`: the vendor's page posted an update; `maintenance`: it announced a maintenance. */
  readonly event: 'opened' | 'changed' | 'reopened' | 'flapping' | 'recovered' | 'certificate' | 'vendor_update' | 'maintenance';
  readonly incidentId: string;
  readonly service: string;
  readonly target: string;
}

export const TONE_EMOJI: Record<Tone, string> = {
  up: '✅',
  degraded: '🟡',
  partial: '🟠',
  down: '🔴',
  maintenance: '🔧',
  unknown: '❔',
  info: 'ℹ️',
  error: '⚠️',
};

export function probeDetail(p: ProbeResult): string {
  const parts: string[] = [];
  if (p.status !== undefined) parts.push(`${p.status} ${p.statusText ?? ''}`.trim());
  if (p.error && (p.status === undefined || !p.error.code.startsWith('http_'))) parts.push(p.error.message);
  const l = p.latency;
  const phases = [
    l.dns ? `dns ${formatLatency(l.dns)}` : '',
    l.connect ? `connect ${formatLatency(l.connect)}` : '',
    l.tls ? `tls ${formatLatency(l.tls)}` : '',
    l.firstByte ? `first byte ${formatLatency(l.firstByte)}` : '',
    `total ${formatLatency(l.total)}`,
  ].filter(Boolean);
  return [...parts, phases.join(' · ')].join(' — ');
}

/** What a button names: a catalog id, or an ad-hoc target's full URL (its id drops the scheme). */
export function actionTarget(target: Target): string {
  if (target.kind === 'push') return `push:${target.name}`;
  return target.kind === 'adhoc' ? (target.urls[0] ?? target.id) : target.id;
}

export function checkMessage(outcome: CheckOutcome): Message {
  const { verdict, target, probes } = outcome;
  const lastByRegion = new Map(probes.map((p) => [p.region, p]));
  const fields: Field[] = [...lastByRegion.values()].map((p) => ({
    label: lastByRegion.size > 1 ? `HTTP from ${p.region}` : 'HTTP',
    value: probeDetail(p),
  }));
  if (outcome.status?.ok) {
    fields.push({ label: 'Status page', value: outcome.status.report.description });
  }
  const links: Link[] = [];
  if (target.statusPage) links.push({ label: 'Status page', url: target.statusPage.page ?? target.statusPage.url });
  const ref = actionTarget(target);
  const actions: Action[] = [{ kind: 'recheck', target: ref }];
  if (verdict.state !== 'up' && verdict.state !== 'unknown') actions.push({ kind: 'mute', target: ref, durationMs: 3_600_000 });
  actions.push({ kind: 'watch', target: ref });
  // The summary already carries the first reason when there is only one source.
  const lines = verdict.reasons.length > 1 ? verdict.reasons : [];
  return {
    tone: verdict.state,
    title: verdict.summary,
    lines,
    fields,
    links,
    actions,
    visibility: 'channel',
    ...(probes[0] ? { at: probes[0].at } : {}),
  };
}

const EXTRA_HELP: Partial<Record<CommandName, string[]>> = {
  watch: [
    `${PUSH_USAGE} — a heartbeat: answers a URL your cron job or backup calls; silence past the period is an outage`,
    'method GET|HEAD|POST|…, header "Name: $ISDOWN_HEADER_…" (a variable the operator set, never a value), json "$.status == UP", slower than 2s',
    'tcp://host:port connects; with expect "SSH-" it reads what the server says first',
  ],
  uptime: [
    'From the hourly rollups of this channel\'s watch: uptime for every period in one line, incidents and the longest, p50/p95 response time, and a chart (an image in Slack and Discord).',
    'Kept for ISDOWN_RETENTION (90 days); a check isdown could not make (its own network failing) is not counted.',
  ],
  page: [
    'Answers the address only to you: anyone who has it can see the page (this channel\'s watches, nothing else).',
    'Beside it: <address>.json, and <address>/badge/<service>.svg (add ?uptime=30d for the uptime). "page off" retires it; a new page gets a new address.',
  ],
};

export function helpMessage(topic?: CommandName): Message {
  if (topic) {
    return { tone: 'info', title: USAGE[topic], lines: [DESCRIPTIONS[topic], ...(EXTRA_HELP[topic] ?? [])], fields: [], links: [], actions: [], visibility: 'private' };
  }
  const names = Object.keys(USAGE) as CommandName[];
  return {
    tone: 'info',
    title: 'isdown: is it down for everyone, or just you?',
    lines: names.map((n) => `${USAGE[n]} — ${DESCRIPTIONS[n]}`),
    fields: [],
    links: [],
    actions: [],
    visibility: 'private',
  };
}

export function errorMessage(error: string, usage?: string): Message {
  return {
    tone: 'error',
    title: error,
    lines: usage ? [`Usage: ${usage}`] : [],
    fields: [],
    links: [],
    actions: [],
    visibility: 'private',
  };
}

export function infoMessage(title: string, lines: readonly string[] = [], visibility: Message['visibility'] = 'private'): Message {
  return { tone: 'info', title, lines, fields: [], links: [], actions: [], visibility };
}

const HEALTH_TITLE: Record<string, string> = {
  down: 'is down',
  partial: 'is partially down',
  degraded: 'is degraded',
  maintenance: 'is in maintenance',
  up: 'is up',
};

/** The root alert message: the incident's current state, edited in place as it evolves. */
/** An https watch's certificate is about to expire: said once at the warning window, once more near the end. */
export function certificateMessage(service: string, target: string, id: string, notice: CertNotice): Message {
  const days = daysLeft(notice.expiresAt, notice.at);
  const facts: AlertFacts = { event: 'certificate', incidentId: id, service, target };
  const when = days === 0 ? 'today' : days === 1 ? 'tomorrow' : `in ${days} days`;
  return {
    tone: notice.stage === 'final' ? 'error' : 'degraded',
    title: `The certificate of ${service} expires ${when}, on ${utcDate(notice.expiresAt)}.`,
    lines: ['Renew it before then: once it expires, browsers and this check refuse the site.'],
    fields: [],
    links: [],
    actions: [],
    visibility: 'channel',
    at: notice.at,
    alert: facts,
  };
}

/** An update the vendor posted on its status page, as a reply in the vendor watch's alert thread. */
export function vendorUpdateMessage(service: string, incident: VendorIncident, update: VendorUpdate, clock: ClockFormat): Message {
  return {
    tone: 'info',
    title: `${service}'s status page, ${clock(update.at)} — ${incident.name} (${update.status})`,
    lines: [update.body],
    fields: [],
    links: incident.url ? [{ label: 'Incident', url: incident.url }] : [],
    actions: [],
    visibility: 'channel',
    at: update.at,
  };
}

/** A maintenance the vendor announced ahead: said once, when it first appears on the page. */
export function vendorMaintenanceMessage(service: string, m: VendorMaintenance, target: string, now: number, clock: ClockFormat): Message {
  const day = (t: number) => {
    const d = Math.floor(t / 86_400_000) - Math.floor(now / 86_400_000);
    return d === 0 ? 'today' : d === 1 ? 'tomorrow' : utcDate(t).slice(0, 10);
  };
  const when = m.scheduledFor !== undefined ? `${day(m.scheduledFor)} ${clock(m.scheduledFor)}${m.scheduledUntil !== undefined ? `–${clock(m.scheduledUntil)}` : ''}` : 'soon';
  return {
    tone: 'maintenance',
    title: `${service} plans maintenance ${when}: ${m.name}`,
    lines: [...(m.components.length ? [`Affects: ${m.components.join(', ')}.`] : []), 'Alerts from this watch stay quiet while the page says it is under way.'],
    fields: [],
    links: [],
    actions: [],
    visibility: 'channel',
    at: now,
    alert: { event: 'maintenance', incidentId: m.key, service, target },
  };
}

/** 2026-12-10 14:00 UTC */
export function utcDate(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function incidentRootMessage(incident: Incident, now: number, clock: ClockFormat): Message {
  const closed = incident.closedAt !== undefined;
  const tone: Tone = closed ? 'up' : incident.flapping ? 'degraded' : (incident.health as Tone);
  const title = closed
    ? `${incident.service} recovered — down ${formatDuration(downtime(incident, now))} in all`
    : incident.flapping
      ? `${incident.service} is flapping (${HEALTH_TITLE[incident.health]?.replace('is ', '') ?? incident.health} right now)`
      : `${incident.service} ${HEALTH_TITLE[incident.health] ?? incident.health} since ${clock(incident.timeline[incident.timeline.length - 1]!.at)}`;
  const last = incident.timeline[incident.timeline.length - 1]!;
  return {
    tone,
    title,
    lines: [tellStory(incident, now, clock), last.summary],
    fields: [],
    links: [],
    // A heartbeat cannot be re-checked: only its job can call in.
    actions: closed ? [] : [...(incident.targetId.startsWith('push:') ? [] : [{ kind: 'recheck' as const, target: incident.targetId }]), { kind: 'mute', target: incident.targetId, durationMs: 3_600_000 }],
    visibility: 'channel',
    at: incident.openedAt,
    alert: { event: closed ? 'recovered' : 'opened', incidentId: incident.id, service: incident.service, target: incident.targetId },
  };
}

/** The thread reply for one change; the recovery carries the total downtime. */
export function incidentChangeMessage(event: AlertEvent, incident: Incident, now: number, clock: ClockFormat): Message {
  const base = { fields: [], links: [], actions: [], visibility: 'channel' as const, at: event.at, alert: { event: event.type, incidentId: incident.id, service: incident.service, target: incident.targetId } };
  const when = clock(event.at);
  switch (event.type) {
    case 'opened':
      return { ...base, tone: event.health, title: `${incident.service} ${HEALTH_TITLE[event.health]} (since ${when})`, lines: [event.summary] };
    case 'reopened':
      return { ...base, tone: event.health, title: `${incident.service} ${HEALTH_TITLE[event.health]} again (${when})`, lines: [event.summary] };
    case 'changed':
      return { ...base, tone: event.to, title: `${incident.service} ${HEALTH_TITLE[event.to]} (${when})`, lines: [event.summary] };
    case 'flapping':
      return {
        ...base,
        tone: 'degraded',
        title: `${incident.service} is flapping: ${event.flips} changes in 30 min. I'll keep this incident open and update it quietly until it settles.`,
        lines: [event.summary],
      };
    case 'recovered':
      return {
        ...base,
        tone: 'up',
        title: `${incident.service} recovered at ${when} after ${formatDuration(downtime(incident, now))} of downtime`,
        lines: [tellStory(incident, now, clock)],
      };
  }
}
