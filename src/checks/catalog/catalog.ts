import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Resolution, StatusPageKind, Target } from '../../core/types.ts';
import { adhocTarget } from '../adhoc.ts';
import type { AddressPolicy } from '../ssrf.ts';
import { STATUS_PAGE_KINDS } from '../statuspage/index.ts';

/**
 * The service catalog: what "twitter" or "gh" means, where to probe it, and where its
 * official status page lives. The built-in file ships with isdown; an operator's file
 * (CATALOG_FILE) merges over it, entry by entry.
 */

const httpUrl = z.string().refine((u) => {
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:';
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const serviceSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes'),
    name: z.string().min(1).max(80),
    category: z.string().min(1).max(40).optional(),
    aliases: z.array(z.string().min(1).max(80)).default([]),
    urls: z.array(httpUrl).min(1, 'needs at least one URL to probe'),
    /** Other faces of the service (API, mobile site): a one-shot check probes them too. The first URL is "the website". */
    faces: z.array(z.object({ label: z.string().min(1).max(40), url: httpUrl }).strict()).max(5).optional(),
    expect: z.string().min(1).max(200).optional(),
    forbid: z.string().min(1).max(200).optional(),
    statusPage: z
      .object({
        kind: z.enum(STATUS_PAGE_KINDS as [string, ...string[]]),
        url: httpUrl,
        page: httpUrl.optional(),
      })
      .nullable()
      .default(null),
    statusPageNote: z.string().max(300).optional(),
    /** Services this one runs on (its CDN, its cloud): named as the likely cause when they report trouble while it fails. */
    dependsOn: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be service ids')).max(10).optional(),
    /** Where the entry's status page URL and kind were seen (a vendor's docs, a published list). */
    source: z.string().max(300).optional(),
  })
  .strict();

export type Service = z.infer<typeof serviceSchema>;

export interface CatalogProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface Catalog {
  readonly services: readonly Service[];
  readonly problems: readonly CatalogProblem[];
  /**
   * `"builtIn": false` in an operator's file: its services are the whole catalog. For a network
   * that reaches no public status page, and for tests whose pages are all local.
   */
  readonly replacesBuiltIn?: true;
}

/** Line of each element of the top-level "services" array, found by scanning the raw text. */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  const key = text.indexOf('"services"');
  if (key < 0) return lines;
  let i = text.indexOf('[', key) + 1;
  let depth = 0;
  let line = text.slice(0, i).split('\n').length;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) lines.push(line);
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) break;
      depth--;
    }
  }
  return lines;
}

function lineOfOffset(text: string, message: string): number {
  const m = /position (\d+)/.exec(message);
  return m ? text.slice(0, Number(m[1])).split('\n').length : 1;
}

/** Parses a catalog document; a broken entry is reported with its line and left out. */
export function parseCatalog(text: string, file: string): Catalog {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { services: [], problems: [{ file, line: lineOfOffset(text, message), message: `not valid JSON: ${message}` }] };
  }
  const list = (doc as { services?: unknown })?.services;
  if (!Array.isArray(list)) return { services: [], problems: [{ file, line: 1, message: 'expects an object with a "services" array' }] };
  const builtIn = (doc as { builtIn?: unknown }).builtIn;
  if (builtIn !== undefined && typeof builtIn !== 'boolean') return { services: [], problems: [{ file, line: 1, message: '"builtIn" is true (merge over the built-in catalog, the default) or false (replace it)' }] };
  const lines = elementLines(text);
  const services: Service[] = [];
  const problems: CatalogProblem[] = [];
  const seen = new Set<string>();
  list.forEach((raw, i) => {
    const line = lines[i] ?? 1;
    const parsed = serviceSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? ` "${(raw as { id: string }).id}"` : '';
      problems.push({ file, line, message: `entry${id} ignored: ${where}${issue.message}` });
      return;
    }
    if (seen.has(parsed.data.id)) {
      problems.push({ file, line, message: `entry "${parsed.data.id}" ignored: the id appears twice in this file` });
      return;
    }
    seen.add(parsed.data.id);
    services.push(parsed.data);
  });
  return { services, problems, ...(builtIn === false ? { replacesBuiltIn: true as const } : {}) };
}

const BUILT_IN = new URL('./services.json', import.meta.url);

/** The built-in catalog, with the operator's merged over it: same id replaces, new ids add. */
export function loadCatalog(operatorFile?: string): Catalog {
  const builtIn = parseCatalog(readFileSync(BUILT_IN, 'utf8'), 'built-in catalog');
  if (!operatorFile) return builtIn;
  let text: string;
  try {
    text = readFileSync(operatorFile, 'utf8');
  } catch (err) {
    return { services: builtIn.services, problems: [...builtIn.problems, { file: operatorFile, line: 1, message: `cannot be read: ${(err as Error).message}` }] };
  }
  const ops = parseCatalog(text, operatorFile);
  if (ops.replacesBuiltIn) return { services: ops.services, problems: [...builtIn.problems, ...ops.problems] };
  const byId = new Map(builtIn.services.map((s) => [s.id, s]));
  for (const s of ops.services) byId.set(s.id, s);
  return { services: [...byId.values()], problems: [...builtIn.problems, ...ops.problems] };
}

/** "GitHub.com ", "https://www.github.com/x" and "GH" all become comparable keys. */
export function normalise(input: string): string {
  return input.trim().toLowerCase().replace(/\s+/g, ' ');
}

function hostOf(input: string): string | undefined {
  const t = input.trim().toLowerCase();
  if (!t.includes('.') || /\s/.test(t)) return undefined;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//.test(t) ? t : `https://${t}`);
    return u.hostname.replace(/^www\./, '').replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** Optimal string alignment distance: typos, including swapped letters, cost 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

export function toTarget(s: Service): Target {
  return {
    kind: 'catalog',
    id: s.id,
    name: s.name,
    urls: s.urls,
    ...(s.expect ? { expect: s.expect } : {}),
    ...(s.forbid ? { forbid: s.forbid } : {}),
    ...(s.faces?.length ? { faces: s.faces } : {}),
    ...(s.statusPage ? { statusPage: { kind: s.statusPage.kind as StatusPageKind, url: s.statusPage.url, ...(s.statusPage.page ? { page: s.statusPage.page } : {}) } } : {}),
  };
}

/** Words longer than this get no "did you mean": see suggest(). */
export const MAX_SUGGEST_LENGTH = 64;

export interface ServiceIndex {
  lookup(input: string): Service | undefined;
  suggest(input: string, max?: number): string[];
  /** Names and aliases matching a prefix or near it, best first (Discord autocomplete). */
  complete(input: string, max: number): Service[];
  readonly services: readonly Service[];
}

export function indexCatalog(services: readonly Service[]): ServiceIndex {
  const byKey = new Map<string, Service>();
  const byHost = new Map<string, Service>();
  const put = <K>(map: Map<K, Service>, k: K, s: Service) => {
    if (!map.has(k)) map.set(k, s);
  };
  for (const s of services) {
    put(byKey, s.id, s);
    put(byKey, normalise(s.name), s);
    for (const a of s.aliases) put(byKey, normalise(a), s);
  }
  // The service's own hosts first, so a shared status page host never shadows a site.
  for (const s of services) for (const u of s.urls) put(byHost, new URL(u).hostname.replace(/^www\./, ''), s);
  for (const s of services) {
    if (!s.statusPage) continue;
    for (const u of [s.statusPage.url, s.statusPage.page].filter(Boolean) as string[]) put(byHost, new URL(u).hostname.replace(/^www\./, ''), s);
  }
  const keys = [...byKey.keys()];

  return {
    services,
    lookup(input) {
      const key = normalise(input).replace(/^www\./, '');
      const direct = byKey.get(key) ?? byKey.get(key.replace(/[\s_]+/g, '-'));
      if (direct) return direct;
      const host = hostOf(input);
      return host ? byHost.get(host) : undefined;
    },
    suggest(input, max = 3) {
      const key = normalise(input);
      // Edit distance costs length × length: a name longer than any service's is no typo of one.
      if (key.length > MAX_SUGGEST_LENGTH) return [];
      const limit = Math.max(1, Math.min(3, Math.floor(key.length / 3)));
      const near = keys.map((k) => ({ k, d: editDistance(key, k) })).filter((x) => x.d <= limit);
      // Only the closest: "twiter" is one letter from twitter and two from twitch.
      const best = Math.min(...near.map((x) => x.d));
      return near
        .filter((x) => x.d === best)
        .sort((a, b) => a.k.length - b.k.length)
        .map((x) => byKey.get(x.k)!.id)
        .filter((id, i, all) => all.indexOf(id) === i)
        .slice(0, max);
    },
    complete(input, max) {
      const key = normalise(input.slice(0, MAX_SUGGEST_LENGTH));
      const scored = services.map((s) => {
        const names = [s.id, normalise(s.name), ...s.aliases.map(normalise)];
        const prefix = names.some((n) => n.startsWith(key));
        const contains = names.some((n) => n.includes(key));
        const near = Math.min(...names.map((n) => editDistance(key, n.slice(0, Math.max(key.length, 1)))));
        return { s, score: key === '' ? 0 : prefix ? 0 : contains ? 1 : near <= 1 ? 2 : 9 };
      });
      return scored
        .filter((x) => x.score < 9)
        .sort((a, b) => a.score - b.score || a.s.name.localeCompare(b.s.name))
        .slice(0, max)
        .map((x) => x.s);
    },
  };
}

/** An address that names more than a host: a path beyond "/", a query, or a port. */
function isSpecificAddress(input: string): boolean {
  const t = input.trim();
  if (!t.includes('.') && !t.includes(':')) return false;
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(t) ? t : `https://${t}`);
    return (u.pathname !== '/' && u.pathname !== '') || u.search !== '' || u.port !== '';
  } catch {
    return false;
  }
}

/** Catalog first, then an ad-hoc address; an unknown bare word gets "did you mean". */
export function createResolver(index: ServiceIndex, policy: AddressPolicy): (input: string) => Resolution {
  return (input) => {
    const service = index.lookup(input);
    if (service) {
      // A pasted address with a path, a query or a port is checked as typed; the service its
      // host belongs to only adds its status page as evidence.
      if (!isSpecificAddress(input)) return { ok: true, target: toTarget(service) };
      const typed = adhocTarget(input.trim(), policy);
      if (!typed.ok) return typed;
      const page = toTarget(service).statusPage;
      return { ok: true, target: { ...typed.target, ...(page ? { statusPage: page } : {}) } };
    }
    const word = input.trim();
    if (!word) return { ok: false, message: 'Which service or address? For example: /isdown github, or /isdown example.com.' };
    // "localhost" is an address, not a service name: the SSRF guard explains why it is refused.
    const looksLikeAddress = word.includes('.') || word.includes(':') || word.includes('/') || word.toLowerCase() === 'localhost';
    if (looksLikeAddress) return adhocTarget(word, policy);
    const suggestions = index.suggest(word);
    const named = suggestions.map((id) => index.lookup(id)!.id);
    const mean = named.length ? ` — did you mean ${named.join(' or ')}?` : '.';
    const shown = word.length > MAX_SUGGEST_LENGTH ? `${word.slice(0, MAX_SUGGEST_LENGTH)}…` : word;
    return {
      ok: false,
      message: `I don't know "${shown}"${mean} To check a website instead, give its address, like ${shown.toLowerCase().replace(/\s+/g, '')}.com.`,
      suggestions: named,
    };
  };
}
