import { XMLParser } from 'fast-xml-parser';
import type { Impact, StatusIncident, StatusMaintenance, StatusReport } from '../../core/types.ts';
import { INDICATOR_WORDS, PayloadError, type StatusProvider } from './provider.ts';

/**
 * RSS 2.0 and Atom history feeds, which nearly every status page publishes. Statuspage feeds
 * put the latest update first as "<strong>Status</strong> - text"; other feeds are read by
 * their words. A feed is history, so only recent, unresolved entries count as open.
 */

/** An entry with a stated open status counts for this long after its last update. */
export const FEED_OPEN_WINDOW_MS = 12 * 3_600_000;
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

/** The inside of the first <p>…</p>, or the whole text when there is none; linear. */
function firstParagraph(html: string): string {
  const lower = html.toLowerCase();
  const start = lower.indexOf('<p>');
  if (start === -1) return html;
  const end = lower.indexOf('</p>', start + 3);
  return end === -1 ? html : html.slice(start + 3, end);
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

const CLOSED = /^(resolved|completed|postmortem)$/i;
const MAINTENANCE = /^(scheduled|in progress|verifying)$/i;

function guessImpact(words: string): Impact {
  if (/maintenance/i.test(words)) return 'maintenance';
  if (/\b(outage|down|unavailable|not available|unreachable|disruption)\b/i.test(words)) return 'major';
  return 'minor';
}

export const feed: StatusProvider = {
  kind: 'feed',
  urls: (ref) => [ref.url],
  parse([body], ctx) {
    const { entries } = readEntries(body ?? '');
    const incidents: StatusIncident[] = [];
    const maintenances: StatusMaintenance[] = [];
    for (const e of entries) {
      const age = ctx.now - e.updated;
      const stated = /<strong>([^<]+)<\/strong>/i.exec(e.html)?.[1]?.trim();
      const dated = plain(firstParagraph(e.html)).replace(/^.*?\b(UTC|GMT|[+-]\d{2}:?\d{2})\b\s*/, '');
      // "Monitoring - A fix has been applied": the status is said separately, keep the words.
      const firstUpdate = stated && dated.startsWith(stated) ? dated.slice(stated.length).replace(/^\s*-\s*/, '') : dated;
      const words = `${e.title} ${plain(e.html)}`;
      const latestUpdate = firstUpdate ? { latestUpdate: { body: firstUpdate.slice(0, 500), at: new Date(e.updated).toISOString() } } : {};
      if (stated) {
        if (CLOSED.test(stated) || age > FEED_OPEN_WINDOW_MS) continue;
        if (MAINTENANCE.test(stated)) {
          maintenances.push({ name: e.title, status: /in progress/i.test(stated) ? 'in_progress' : /verifying/i.test(stated) ? 'verifying' : 'scheduled', components: [] });
          continue;
        }
        incidents.push({ name: e.title, status: stated.toLowerCase(), impact: guessImpact(words), ...(e.link ? { url: e.link } : {}), ...latestUpdate, components: [] });
        continue;
      }
      if (age > FEED_GUESS_WINDOW_MS || /\b(resolved|operating normally|recovered|completed)\b/i.test(words)) continue;
      const impact = guessImpact(words);
      if (impact === 'maintenance') maintenances.push({ name: e.title, status: 'in_progress', components: [] });
      else incidents.push({ name: e.title, status: 'reported', impact, ...(e.link ? { url: e.link } : {}), ...latestUpdate, components: [] });
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
