import { formatDuration } from './duration.ts';
import type { ClockFormat } from './incident.ts';
import { infoMessage, type Link, type Message } from './messages.ts';
import type { ChannelMonitor } from './watch.ts';
import type { Impact, StatusReport } from './types.ts';

/**
 * `/isdown now`: what is wrong right now among the known services (their official pages, read in
 * the background) and this channel's watches, worst first.
 */

export interface TroubledService {
  readonly id: string;
  readonly name: string;
  readonly page?: string;
  readonly indicator: Exclude<Impact, 'none'>;
  readonly description: string;
  /** When the page began to say so (the earliest open incident's start, else when isdown first read it). */
  readonly since: number;
  readonly incidents: readonly { readonly name: string; readonly url?: string }[];
}

/** What the background reader knows, as one value: written when it changes, read by every process. */
export interface KnownTrouble {
  readonly at: number;
  /** Services with a status page the reader covers, and how many of them it could read. */
  readonly services: number;
  readonly read: number;
  readonly trouble: readonly TroubledService[];
}

export interface PageReading {
  readonly id: string;
  readonly name: string;
  readonly report?: StatusReport;
  /** When the page first said what it says now (this process's reads). */
  readonly since: number;
}

const RANK: Record<Impact, number> = { critical: 4, major: 3, minor: 2, maintenance: 1, none: 0 };

/** The pages that report a problem, from the latest read of each. */
export function knownTrouble(pages: readonly PageReading[], services: number, at: number): KnownTrouble {
  const trouble: TroubledService[] = [];
  let read = 0;
  for (const p of pages) {
    if (!p.report) continue;
    read++;
    const r = p.report;
    // A page can say "none" while listing an incident (it has not set the impact yet): that is trouble too.
    const worst = r.incidents.reduce<Impact>((w, i) => (RANK[i.impact] > RANK[w] ? i.impact : w), r.indicator);
    const indicator: Impact = worst === 'none' && r.incidents.length ? 'minor' : worst;
    if (indicator === 'none') continue;
    const starts = r.incidents.map((i) => (i.startedAt ? Date.parse(i.startedAt) : NaN)).filter((t) => Number.isFinite(t) && t <= at);
    trouble.push({
      id: p.id,
      name: p.name,
      page: r.page,
      indicator,
      description: r.description,
      since: starts.length ? Math.min(...starts) : p.since,
      incidents: r.incidents.slice(0, 3).map((i) => ({ name: i.name.slice(0, 200), ...(i.url ? { url: i.url } : {}) })),
    });
  }
  trouble.sort((a, b) => RANK[b.indicator] - RANK[a.indicator] || a.since - b.since || a.name.localeCompare(b.name));
  return { at, services, read, trouble };
}

const GROUPS: readonly { readonly impact: Exclude<Impact, 'none'>; readonly title: string }[] = [
  { impact: 'critical', title: '🔴 Major outage' },
  { impact: 'major', title: '🟠 Partial outage' },
  { impact: 'minor', title: '🟡 Minor problems' },
  { impact: 'maintenance', title: '🔧 Maintenance' },
];

const WATCH_WORD: Record<string, string> = { down: '🔴 down', partial: '🟠 partially down', degraded: '🟡 degraded', maintenance: '🔧 in maintenance' };

export interface NowOptions {
  /** ISDOWN_STATUS_POLL: off means no page is read in the background. */
  readonly polling: boolean;
  readonly now: number;
  readonly clock: ClockFormat;
  /** Lines per severity before "and N more". */
  readonly maxPerGroup?: number;
}

export function nowMessage(known: KnownTrouble | undefined, watches: readonly ChannelMonitor[] | undefined, opts: NowOptions): Message {
  const max = opts.maxPerGroup ?? 15;
  const lines: string[] = [];
  const links: Link[] = [];
  const ago = (t: number) => `since ${opts.clock(t)} (${formatDuration(Math.max(0, opts.now - t))})`;

  const mine = (watches ?? []).filter((w) => w.state && !w.state.unseen && w.state.health !== 'up');
  if (mine.length) {
    lines.push(`This channel's watches (${mine.length} of ${watches!.length}):`);
    for (const w of mine) lines.push(`• ${w.record.target.name} — ${WATCH_WORD[w.state!.health] ?? w.state!.health} ${ago(w.state!.since)}${w.state!.lastSummary ? `: ${w.state!.lastSummary}` : ''}`);
  }

  const trouble = known?.trouble ?? [];
  for (const g of GROUPS) {
    const items = trouble.filter((t) => t.indicator === g.impact);
    if (!items.length) continue;
    lines.push(`${g.title} (${items.length}):`);
    for (const t of items.slice(0, max)) {
      const what = t.incidents[0]?.name ?? t.description;
      lines.push(`• ${t.name} — ${what} ${ago(t.since)}`);
      const url = t.incidents[0]?.url ?? t.page;
      if (url && links.length < 25) links.push({ label: t.name, url });
    }
    if (items.length > max) lines.push(`…and ${items.length - max} more.`);
  }

  const notes: string[] = [];
  if (!opts.polling) notes.push('Official status pages are not read in the background here (ISDOWN_STATUS_POLL=off), so this lists only what this channel watches.');
  else if (!known) notes.push('The first round of status page reads is still under way; ask again in a minute.');
  else {
    const unread = known.services - known.read;
    if (unread > 0) notes.push(`${unread} of ${known.services} status pages could not be read at the last try.`);
    notes.push(`Status pages as read at ${opts.clock(known.at)}.`);
  }

  const troubleCount = trouble.length;
  let title: string;
  if (troubleCount === 0 && mine.length === 0) {
    const all = known?.read === 1 ? 'The 1 known service reports' : `All ${known?.read.toLocaleString('en-US')} known services report`;
    title = known && opts.polling ? `${all} no problems${watches?.length ? ", and this channel's watches are all up" : ''}.` : watches?.length ? "This channel's watches are all up." : 'Nothing this channel watches is down.';
  } else {
    const parts = [troubleCount ? `${troubleCount} known ${troubleCount === 1 ? 'service reports' : 'services report'} problems` : '', mine.length ? `${mine.length} of this channel's watches ${mine.length === 1 ? 'is' : 'are'} not up` : ''].filter(Boolean);
    title = `Right now: ${parts.join('; ')}.`;
  }
  const tone = trouble.some((t) => t.indicator === 'critical') || mine.some((w) => w.state!.health === 'down') ? 'down' : troubleCount || mine.length ? 'degraded' : 'up';
  const msg = infoMessage(title, [...lines, ...notes], 'channel');
  return { ...msg, tone, links, at: known?.at ?? opts.now };
}
