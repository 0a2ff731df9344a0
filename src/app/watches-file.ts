import { readFile, stat } from 'node:fs/promises';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import { everyOf, parseWatch } from '../core/commands.ts';
import type { Resolution } from '../core/types.ts';
import { formatExactDuration } from '../core/duration.ts';
import { channelId, formatChannelRef, monitorKey, parseChannelRef, pickOptions, resolveWatchTarget, sameChannel, type ChannelRef, type MonitorRecord, type WatchOptions } from '../core/watch.ts';
import type { Watcher } from './watcher.ts';

/**
 * Watches as code: a YAML file (ISDOWN_WATCHES_FILE) of watches per channel, applied at start
 * and whenever it changes. Watches it made carry FILE_OWNER as their owner, so a later version
 * of the file removes only what an earlier one added; watches made in chat are left alone.
 *
 *   watches:
 *     console:
 *       - https://intranet.example.com/health
 *       - target: github
 *         every: 5m
 *         component: Actions
 *     slack:T0123/C0456:
 *       - { target: https://api.example.com/, every: 30s, status: 200-299,401, expect: '"ok"' }
 */
export const FILE_OWNER = 'watches-file';
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_ENTRIES = 100_000;
const FIELDS = ['target', 'push', 'every', 'status', 'expect', 'forbid', 'component', 'method', 'header', 'json', 'slower_than', 'only'] as const;
/** A field's words in the chat grammar, where they differ from its name. */
const WORDS: Partial<Record<(typeof FIELDS)[number], string[]>> = { slower_than: ['slower', 'than'] };

export interface FileWatch extends WatchOptions {
  readonly line: number;
  readonly channel: ChannelRef;
  readonly target: string;
  readonly everyMs?: number;
  /** A heartbeat named `target`. */
  readonly push?: true;
}

export interface FileProblem {
  readonly line: number;
  readonly message: string;
  /** False where nothing the file meant can hide behind the problem (webhooks while they are off). */
  readonly holdsRemovals?: false;
}

/** The file's entries, and what is wrong with the ones that are not entries, each with its line. */
export function readWatchesFile(text: string, opts: { minIntervalMs: number }): { watches: FileWatch[]; webhooks: Map<string, string>; problems: FileProblem[]; broken: boolean } {
  const webhooks = new Map<string, string>();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const problems: FileProblem[] = [];
  // A file that is not YAML says nothing about what to watch: nothing is applied.
  if (doc.errors.length) return { watches: [], webhooks, problems: doc.errors.map((e) => ({ line: e.linePos?.[0].line ?? 1, message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') })), broken: true };
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { watches: [], webhooks, problems, broken: false };
  if (!isMap(root)) return { watches: [], webhooks, problems: [{ line: lineOf(root), message: 'the file holds a "watches:" map of channels to lists of watches' }], broken: true };

  const watches: FileWatch[] = [];
  for (const top of root.items) {
    const name = isScalar(top.key) ? String(top.key.value) : '';
    if (name === 'webhooks') {
      readWebhooks(top.value as Node | null, webhooks, problems, lineOf);
      continue;
    }
    if (name !== 'watches') {
      // An unknown section may be "watches:" misspelt, and hold watches the file still means.
      problems.push({ line: lineOf(top.key as Node), message: `unknown section "${name.slice(0, 40)}"; the file has "watches:" and "webhooks:"` });
      continue;
    }
    if (top.value === null || (isScalar(top.value) && top.value.value === null)) continue;
    if (!isMap(top.value)) {
      problems.push({ line: lineOf(top.value as Node), message: '"watches:" maps each channel (console, slack:<team>/<channel>, discord:<guild>/<channel>) to a list' });
      continue;
    }
    for (const pair of top.value.items) {
      const refLine = lineOf(pair.key as Node);
      const ref = parseChannelRef(isScalar(pair.key) ? String(pair.key.value) : '');
      if (!ref.ok) {
        // No watch can have been made for a webhook channel; any other unreadable channel may hold some.
        problems.push({ line: refLine, message: `${ref.error}; its watches are skipped` });
        continue;
      }
      if (!isSeq(pair.value)) {
        problems.push({ line: refLine, message: `${formatChannelRef(ref.channel)} needs a list of watches ("- target: …")` });
        continue;
      }
      for (const item of pair.value.items as Node[]) {
        if (watches.length >= MAX_ENTRIES) {
          problems.push({ line: lineOf(item), message: `more than ${MAX_ENTRIES.toLocaleString('en-US')} watches; the rest are skipped` });
          break;
        }
        const entry = readEntry(item, ref.channel, lineOf(item), opts.minIntervalMs);
        if ('message' in entry) problems.push(entry);
        else watches.push(entry);
      }
    }
  }
  return { watches, webhooks, problems, broken: false };
}

const WEBHOOK_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** webhooks: { ops: https://hooks.example.com/isdown } (or { ops: { url: … } }). */
function readWebhooks(node: Node | null, into: Map<string, string>, problems: FileProblem[], lineOf: (n: Node | null | undefined) => number): void {
  if (node === null || (isScalar(node) && node.value === null)) return;
  if (!isMap(node)) {
    problems.push({ line: lineOf(node), message: '"webhooks:" maps each name to its URL (ops: https://hooks.example.com/isdown)' });
    return;
  }
  for (const pair of node.items) {
    const line = lineOf(pair.key as Node);
    const name = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = isMap(pair.value) ? pair.value.get('url', true) : pair.value;
    const url = isScalar(value) && typeof value.value === 'string' ? value.value.trim() : '';
    if (!WEBHOOK_NAME.test(name)) problems.push({ line, message: `"${name.slice(0, 40)}" is not a webhook name (letters, digits, "-" and "_")` });
    else if (!/^https?:\/\/[^\s]{1,2000}$/i.test(url) || !URL.canParse(url)) problems.push({ line, message: `the webhook ${name} needs an http(s) URL` });
    else into.set(name, url);
  }
}

function readEntry(item: Node, channel: ChannelRef, line: number, minIntervalMs: number): FileWatch | FileProblem {
  let target: string | undefined;
  let pushName: string | undefined;
  // The chat grammar, on tokens: the same rules and the same words as /isdown watch.
  const tokens: string[] = [];
  if (isScalar(item) && typeof item.value === 'string') target = item.value;
  else if (isMap(item)) {
    for (const { key, value } of item.items) {
      const k = isScalar(key) ? String(key.value) : '';
      if (!(FIELDS as readonly string[]).includes(k)) return { line, message: `unknown field "${k.slice(0, 40)}"; a watch has ${FIELDS.join(', ')}` };
      // Only headers may be several: a list of "Name: $ISDOWN_HEADER_…".
      const values = k === 'header' && isSeq(value) ? value.items : [value];
      for (const v of values) {
        if (!isScalar(v) || v.value === null || typeof v.value === 'object') return { line, message: `"${k}" needs a value` };
        if (k === 'target') target = String(v.value);
        else if (k === 'push') pushName = String(v.value);
        else tokens.push(...(WORDS[k as (typeof FIELDS)[number]] ?? [k]), String(v.value));
      }
    }
  } else return { line, message: 'a watch is a target ("- github") or a map ("- target: github")' };
  if (pushName !== undefined && target !== undefined) return { line, message: 'a watch has a target or a push name, not both' };
  if (pushName === undefined && !target?.trim()) return { line, message: 'a watch needs a target (or a push name, for a heartbeat)' };
  const parsed = parseWatch(pushName !== undefined ? ['push', pushName, ...tokens] : [target!, ...tokens], minIntervalMs);
  if (!parsed.ok) return { line, message: parsed.error };
  const c = parsed.command;
  if (c.kind !== 'watch') return { line, message: 'not a watch' };
  return { line, channel, target: c.target, ...(c.push ? { push: true as const } : {}), ...(c.everyMs !== undefined ? { everyMs: c.everyMs } : {}), ...pickOptions(c) };
}

/** A record's options as the file's fields. */
function optionFields(o: WatchOptions): Record<string, string | string[]> {
  const p = pickOptions(o);
  return {
    ...(p.method ? { method: p.method } : {}),
    ...(p.headers ? { header: p.headers.length === 1 ? p.headers[0]! : [...p.headers] } : {}),
    ...(p.status ? { status: p.status } : {}),
    ...(p.expect ? { expect: p.expect } : {}),
    ...(p.forbid ? { forbid: p.forbid } : {}),
    ...(p.json ? { json: p.json } : {}),
    ...(p.slowerThanMs !== undefined ? { slower_than: formatExactDuration(p.slowerThanMs) } : {}),
    ...(p.component ? { component: p.component } : {}),
    ...(p.only ? { only: p.only } : {}),
  };
}


/** Every watch in the stores' records as a watches file, optionally for one channel. */
export function formatWatchesFile(records: readonly MonitorRecord[], only?: ChannelRef): string {
  const byChannel = new Map<string, { sort: string; entry: Record<string, string | string[]> }[]>();
  for (const r of records) {
    for (const w of r.watches) {
      if (only && !sameChannel(w.channel, only)) continue;
      const every = formatExactDuration(w.everyMs);
      // Catalog services by name, heartbeats by theirs (the token is not in the file: a store
      // the file is applied to gives a new URL), anything else by the address checked.
      const entry: Record<string, string | string[]> =
        r.target.kind === 'push' ? { push: r.target.name, every } : { target: r.target.kind === 'catalog' ? r.target.id : (r.target.urls[0] ?? r.target.id), every, ...optionFields(r) };
      const ref = formatChannelRef(w.channel);
      byChannel.set(ref, [...(byChannel.get(ref) ?? []), { sort: String(entry.target ?? entry.push), entry }]);
    }
  }
  const watches = Object.fromEntries([...byChannel].sort(([a], [b]) => a.localeCompare(b)).map(([ref, list]) => [ref, list.sort((a, b) => a.sort.localeCompare(b.sort)).map((x) => x.entry)]));
  return `# isdown watches file (ISDOWN_WATCHES_FILE): applied at start and whenever it changes.\n${stringify({ watches }, { lineWidth: 0 })}`;
}

export interface ApplyReport {
  readonly added: number;
  readonly changed: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly problems: readonly FileProblem[];
  /** Removals were held back: the file had broken entries, whose earlier watches must not go for a typo. */
  readonly heldBack: boolean;
}

export interface ApplyDeps {
  readonly watcher: Pick<Watcher, 'watch' | 'records' | 'unwatchMonitor'>;
  resolve(input: string): Resolution;
  readonly minIntervalMs: number;
  /** Platforms this process delivers to; channels of others are left as they are. */
  readonly platforms: ReadonlySet<string>;
  /** Where the file's webhooks go (the webhook adapter reads their URLs from it). */
  readonly webhooks?: { set(urls: ReadonlyMap<string, string>): void };
}

/** Makes the file-owned watches what the file says: adds, changes, and removes what it no longer lists. */
export async function applyWatches(text: string, deps: ApplyDeps): Promise<ApplyReport> {
  const read = readWatchesFile(text, { minIntervalMs: deps.minIntervalMs });
  const problems = [...read.problems];
  if (read.broken) return { added: 0, changed: 0, removed: 0, unchanged: 0, problems, heldBack: true };
  const webhooksOn = deps.platforms.has('webhook');
  if (webhooksOn) deps.webhooks?.set(read.webhooks);
  else if (read.webhooks.size) problems.push({ line: 1, message: 'ISDOWN_WEBHOOK_SECRET is not set: webhooks are signed with it, so none are sent', holdsRemovals: false });
  const records = await deps.watcher.records();
  const owned = new Map<string, { channel: ChannelRef; key: string; everyMs: number }>();
  for (const r of records) for (const w of r.watches) if (w.createdBy === FILE_OWNER) owned.set(`${channelId(w.channel)}|${r.key}`, { channel: w.channel, key: r.key, everyMs: w.everyMs });

  let added = 0;
  let changed = 0;
  let unchanged = 0;
  let unresolved = 0;
  const wanted = new Set<string>();
  for (const f of read.watches) {
    if (!deps.platforms.has(f.channel.platform)) {
      const why = f.channel.platform === 'webhook' ? 'ISDOWN_WEBHOOK_SECRET is not set' : 'no token set';
      problems.push({ line: f.line, message: `${f.channel.platform} is not running in this process (${why}); ${formatChannelRef(f.channel)} is left as it is` });
      continue;
    }
    if (f.channel.platform === 'webhook' && !read.webhooks.has(f.channel.channel)) {
      problems.push({ line: f.line, message: `no webhook is named ${f.channel.channel}; add it under "webhooks:"` });
      unresolved++;
      continue;
    }
    const resolved = resolveWatchTarget(f, f.channel, deps.resolve);
    if (!resolved.ok) {
      problems.push({ line: f.line, message: resolved.message });
      unresolved++;
      continue;
    }
    const opts = pickOptions(f);
    const id = `${channelId(f.channel)}|${monitorKey(resolved.target.id, opts)}`;
    if (wanted.has(id)) {
      problems.push({ line: f.line, message: `${f.target} is listed twice for ${formatChannelRef(f.channel)}; the first one counts` });
      continue;
    }
    wanted.add(id);
    const everyMs = everyOf(f);
    const had = owned.get(id);
    if (had && had.everyMs === everyMs) {
      unchanged++;
      continue;
    }
    await deps.watcher.watch({ channel: f.channel, user: FILE_OWNER, target: resolved.target, everyMs, ...opts });
    if (had) changed++;
    else added++;
  }

  // Anything the file failed to say (a broken entry, a channel or section it could not read, a
  // target that does not resolve) might be a watch it still means: no removal for a typo.
  const heldBack = read.problems.some((p) => p.holdsRemovals !== false) || unresolved > 0;
  let removed = 0;
  if (!heldBack) {
    for (const [id, w] of owned) {
      if (wanted.has(id) || !deps.platforms.has(w.channel.platform)) continue;
      removed += await deps.watcher.unwatchMonitor(w.channel, w.key);
    }
  }
  return { added, changed, removed, unchanged, problems, heldBack };
}

/**
 * Applies the file now and again whenever it changes (checked every 2 s by its size and time,
 * which survives editors that save by renaming). Returns a stop function.
 */
export function followWatchesFile(path: string, deps: ApplyDeps & { log(line: string): void }): { ready: Promise<void>; stop(): void } {
  let chain = Promise.resolve();
  const apply = () =>
    (chain = chain.then(async () => {
      try {
        const info = await stat(path);
        if (info.size > MAX_FILE_BYTES) {
          deps.log(`isdown: watches file ${path}: ${info.size} bytes is over the ${MAX_FILE_BYTES / 1024 / 1024} MiB limit; nothing applied`);
          return;
        }
        const report = await applyWatches(await readFile(path, 'utf8'), deps);
        for (const p of report.problems) deps.log(`isdown: watches file ${path}:${p.line}: ${p.message}`);
        deps.log(
          `isdown: watches file ${path}: ${report.added} added, ${report.changed} changed, ${report.removed} removed, ${report.unchanged} unchanged` +
            (report.problems.length ? `, ${report.problems.length} skipped` : '') +
            (report.heldBack ? '; nothing removed while entries are broken' : ''),
        );
      } catch (err) {
        deps.log(`isdown: watches file ${path}: ${err instanceof Error ? err.message : String(err)}; nothing applied`);
      }
    }));
  const ready = apply();
  const onChange = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs !== prev.mtimeMs || curr.size !== prev.size) void apply();
  };
  watchFile(path, { interval: 2_000, persistent: false }, onChange);
  return { ready, stop: () => unwatchFile(path, onChange) };
}
