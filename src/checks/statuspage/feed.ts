import { XMLParser } from 'fast-xml-parser';
import type { Impact, StatusIncident, StatusMaintenance, StatusReport } from '../../core/types.ts';
import { INDICATOR_WORDS, PayloadError, type StatusProvider } from './provider.ts';

/**
 * RSS 2.0 and Atom history feeds, which nearly every status page publishes. Statuspage feeds
 * put the latest update first as "<strong>Status</strong> - text"; other feeds are read by
 * their words. A feed is history, so only recent, unresolved entries count as open.
 */

/** An entry whose status can only be guessed from its words counts for less. */
export const FEED_GUESS_WINDOW_MS = 2 * 3_600_000;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', textNodeName: '#text', processEntities: true });

interface Entry {
  title: string;
  link?: string;
  updated: number;
  html: string;
}

function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && '#text' in v) return text((v as { '#text': unknown })['#text']);
  return '';
}

function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function atomLink(v: unknown): string | undefined {
  for (const l of list(v as Record<string, string> | Record<string, string>[] | undefined)) {
    if (l && typeof l === 'object' && l['@_href'] && (!l['@_rel'] || l['@_rel'] === 'alternate')) return l['@_href'];
  }
  return typeof v === 'string' ? v : undefined;
}

function readEntries(xml: string): { title: string; entries: Entry[] } {
  // Entity definitions in a DOCTYPE are how XML bombs work; a status feed never needs them.
  if (/<!ENTITY/i.test(xml)) throw new PayloadError('the feed declares XML entities, which isdown does not expand');
  if (!xml.trimStart().startsWith('<')) throw new PayloadError('the feed is not XML');
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch {
    throw new PayloadError('the feed is not well-formed XML');
  }
  const rss = (doc.rss as { channel?: Record<string, unknown> } | undefined)?.channel;
  if (rss) {
    return {
      title: text(rss.title),
      entries: list(rss.item as Record<string, unknown>[] | undefined).map((i) => ({
        title: text(i.title),
        ...(text(i.link) ? { link: text(i.link) } : {}),
        updated: Date.parse(text(i.pubDate)) || 0,
        html: text(i.description) || text(i['content:encoded']),
      })),
    };
  }
  const atom = doc.feed as Record<string, unknown> | undefined;
  if (atom) {
    return {
      title: text(atom.title),
      entries: list(atom.entry as Record<string, unknown>[] | undefined).map((e) => {
        const link = atomLink(e.link);
        return {
          title: text(e.title),
          ...(link ? { link } : {}),
          updated: Date.parse(text(e.updated) || text(e.published)) || 0,
          html: text(e.content) || text(e.summary),
        };
      }),
    };
  }
  throw new PayloadError('the document is neither an RSS nor an Atom feed');
}

/**
 * Tags out, in one pass: each "<" looks for its ">" once, and once none is left every later
 * "<" is text. (The pattern /<[^>]+>/g rescans to the end from every "<" of an unclosed run:
 * 128 KB of "<" took 39 s.)
 */
export function stripTags(html: string): string {
  let out = '';
  let i = 0;
  while (i < html.length) {
    const open = html.indexOf('<', i);
    if (open === -1) break;
    const close = html.indexOf('>', open + 1);
    if (close === -1) break;
    out += `${html.slice(i, open)} `;
    i = close + 1;
  }
  return out + html.slice(i);
}

function plain(html: string): string {
  return stripTags(html)
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** The status words Statuspage-style feeds put in <strong>, and what each means for the event. */
const STATUS_WORDS: ReadonlyMap<string, 'open' | 'update' | 'closed' | 'maintenance'> = new Map([
  ['investigating', 'open'],
  ['identified', 'open'],
  ['monitoring', 'open'],
  ['update', 'update'],
  ['resolved', 'closed'],
  ['postmortem', 'closed'],
  ['completed', 'closed'],
  ['scheduled', 'maintenance'],
  ['in progress', 'maintenance'],
  ['verifying', 'maintenance'],
  // status.io's word for a maintenance under way.
  ['active', 'maintenance'],
] as const);

/** A maintenance's stated word, as a maintenance status; any other (Scheduled) is ahead of it. */
const MAINTENANCE_STATUS: ReadonlyMap<string, StatusMaintenance['status']> = new Map([
  ['in progress', 'in_progress'],
  ['active', 'in_progress'],
  ['verifying', 'verifying'],
] as const);

interface StatedUpdate {
  readonly status: string;
  /** The update's own time as the feed prints it ("Nov 20, 10:30 UTC"); equal text, same minute. */
  readonly stamp: string;
  readonly text: string;
}

/** The tags feeds put a status word in: Statuspage's <strong>, status.io's <b>. */
const STATUS_TAGS = [
  ['<strong>', '</strong>'],
  ['<b>', '</b>'],
] as const;

/**
 * Every "<strong>Status</strong> - text" (or "<b>Status</b> - text") update of an entry, newest
 * first. Statuspage and its imitators write them newest first; status.io writes them oldest
 * first, with the year in each stamp, so dated stamps in rising order are turned round. One
 * forward pass: each search starts where the previous one ended, so hostile markup costs linear
 * time.
 */
function statedUpdates(html: string): StatedUpdate[] {
  const lower = html.toLowerCase();
  const out: StatedUpdate[] = [];
  let stamp = '';
  // Each "next occurrence" is searched for once and kept until passed: an absent tag is not
  // searched for again from every later position (that would be quadratic).
  let nextSmall = lower.indexOf('<small>');
  const nextTag = STATUS_TAGS.map(([o]) => lower.indexOf(o));
  const following = (from: number): number => {
    let best = -1;
    STATUS_TAGS.forEach(([o], i) => {
      if (nextTag[i]! !== -1 && nextTag[i]! < from) nextTag[i] = lower.indexOf(o, from);
      if (nextTag[i]! !== -1 && (best === -1 || nextTag[i]! < nextTag[best]!)) best = i;
    });
    return best;
  };
  let tag = following(0);
  while (tag !== -1) {
    const [openTag, closeTag] = STATUS_TAGS[tag]!;
    const open = nextTag[tag]!;
    while (nextSmall !== -1 && nextSmall < open) {
      const smallEnd = lower.indexOf('</small>', nextSmall);
      if (smallEnd !== -1 && smallEnd < open) stamp = plain(html.slice(nextSmall + 7, smallEnd));
      nextSmall = lower.indexOf('<small>', nextSmall + 7);
    }
    const close = lower.indexOf(closeTag, open);
    if (close === -1) break;
    const word = plain(html.slice(open + openTag.length, Math.min(close, open + openTag.length + 40))).toLowerCase();
    const after = close + closeTag.length;
    tag = following(after);
    const next = tag === -1 ? -1 : nextTag[tag]!;
    if (STATUS_WORDS.has(word)) {
      // The update's words end at its paragraph or at the next update's time, within this segment only.
      const segment = lower.slice(after, next === -1 ? lower.length : next);
      const start = segment.search(/[^\s—–-]/) + 1;
      const ends = [segment.indexOf('</p>', start), segment.indexOf('<small>')].filter((x) => x > 0);
      const end = after + (ends.length ? Math.min(...ends) : segment.length);
      out.push({ status: word, stamp, text: plain(html.slice(after, end)).replace(/^[-—–:\s]+/, '') });
    }
  }
  return oldestFirst(out) ? out.reverse() : out;
}

/** Stamps that name their year ("June 4, 2026 05:15 PDT") and rise from first to last. */
function oldestFirst(updates: readonly StatedUpdate[]): boolean {
  if (updates.length < 2) return false;
  const when = (u: StatedUpdate) => (/\b\d{4}\b/.test(u.stamp) ? Date.parse(u.stamp) : NaN);
  const first = when(updates[0]!);
  const last = when(updates[updates.length - 1]!);
  return first < last;
}

/**
 * What an entry's updates say now. The newest wins; several updates stamped the same minute
 * as the newest are one moment, and a closing word among them closes the event (a "Resolved"
 * printed after a same-minute "Update" is still the end). "Update" says it is ongoing, as
 * whatever it was before.
 */
function currentState(updates: readonly StatedUpdate[]): { kind: 'open' | 'closed' | 'maintenance'; status: string; text: string } | undefined {
  const newest = updates[0];
  if (!newest) return undefined;
  const moment = newest.stamp ? updates.filter((u) => u.stamp === newest.stamp) : [newest];
  const closing = moment.find((u) => STATUS_WORDS.get(u.status) === 'closed');
  if (closing) return { kind: 'closed', status: closing.status, text: closing.text };
  const defining = updates.find((u) => STATUS_WORDS.get(u.status) !== 'update');
  const kind = defining && STATUS_WORDS.get(defining.status) === 'maintenance' ? 'maintenance' : 'open';
  return { kind, status: newest.status === 'update' && defining ? defining.status : newest.status, text: newest.text };
}

/**
 * An event's severity in the provider's own words: its title (what the provider called it) or
 * the label AWS-style feeds put before it, never a word somewhere in an update ("unavailable"
 * in a sentence made a minor incident major).
 */
function impactOf(title: string): Impact {
  const t = title.toLowerCase();
  if (t.includes('maintenance')) return 'maintenance';
  if (/^(service disruption|service outage|major outage|outage)\b/.test(t) || /\b(outage|disruption|is down|unavailable)\b/.test(t)) return 'major';
  return 'minor';
}

/** AWS-style item titles: "Informational message: …", "Service is operating normally: [RESOLVED] …". */
const LABEL = /^(informational message|performance issues|service disruption|service is operating normally|service outage)\s*:\s*/i;
const closedLabel = (title: string) => /^service is operating normally\s*:/i.test(title) || /\[(resolved|completed)\]/i.test(title);
/** The event an item belongs to: the same words once labels and [RESOLVED] are taken off. */
const stemOf = (title: string) => title.replace(LABEL, '').replace(/\[(resolved|update|completed)\]\s*/gi, '').trim().toLowerCase();

/** Entries of one event grouped: by their own link, else their id, else the title's stem. */
function eventKey(e: Entry): string {
  // A link to the page's root (AWS links every item to its front page) names no event.
  let path = '';
  try {
    path = e.link ? new URL(e.link).pathname : '';
  } catch {
    path = '';
  }
  return path.length > 1 ? `link:${e.link}` : `stem:${stemOf(e.title)}`;
}

/** How long an unresolved event counts as open since its last update (ISDOWN_FEED_HORIZON). */
export const FEED_HORIZON_MS = 7 * 86_400_000;

export const feed: StatusProvider = {
  kind: 'feed',
  urls: (ref) => [ref.url],
  parse([body], ctx) {
    const { entries } = readEntries(body ?? '');
    const horizon = ctx.horizonMs ?? FEED_HORIZON_MS;
    const incidents: StatusIncident[] = [];
    const maintenances: StatusMaintenance[] = [];
    // One event, one verdict: its newest entry decides (RSS feeds post each update as an item).
    const events = new Map<string, Entry>();
    for (const e of entries) {
      const key = eventKey(e);
      const seen = events.get(key);
      if (!seen || e.updated > seen.updated) events.set(key, e);
    }
    for (const e of events.values()) {
      if (e.updated > ctx.now + 60_000) continue; // from the future: not yet, as far as we know
      const age = ctx.now - e.updated;
      if (age > horizon) continue;
      const latest = (text: string) => (text ? { latestUpdate: { body: text.slice(0, 500), at: new Date(e.updated).toISOString() } } : {});
      const state = currentState(statedUpdates(e.html));
      if (state) {
        if (state.kind === 'closed') continue;
        if (state.kind === 'maintenance') {
          maintenances.push({ name: e.title, status: MAINTENANCE_STATUS.get(state.status) ?? 'scheduled', components: [] });
          continue;
        }
        incidents.push({ name: e.title, status: state.status, impact: impactOf(e.title), ...(e.link ? { url: e.link } : {}), ...latest(state.text), components: [] });
        continue;
      }
      // No stated status: the feed's own labels, else its words, for a shorter while.
      if (closedLabel(e.title)) continue;
      const words = `${e.title} ${plain(e.html)}`;
      if (!LABEL.test(e.title) && (age > FEED_GUESS_WINDOW_MS || /\b(resolved|operating normally|recovered|completed)\b/i.test(words))) continue;
      const impact = impactOf(e.title);
      if (impact === 'maintenance') maintenances.push({ name: e.title, status: 'in_progress', components: [] });
      else incidents.push({ name: e.title, status: 'reported', impact, ...(e.link ? { url: e.link } : {}), ...latest(plain(e.html)), components: [] });
    }
    const worst: Impact = incidents.some((i) => i.impact === 'major') ? 'major' : incidents.length ? 'minor' : maintenances.some((m) => m.status === 'in_progress') ? 'maintenance' : 'none';
    const report: StatusReport = {
      provider: 'feed',
      page: ctx.page,
      indicator: worst,
      description: incidents.length ? `${incidents.length} open ${incidents.length === 1 ? 'incident' : 'incidents'}: ${incidents[0]!.name}` : INDICATOR_WORDS[worst],
      components: [],
      incidents,
      maintenances,
    };
    return report;
  },
};
