import { readFile, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { everyOf, parseWatch } from '../core/commands.ts';
import { formatExactDuration, parseDuration } from '../core/duration.ts';
import { DEFAULT_THRESHOLDS } from '../core/monitor.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { monitorKey, parseChannelRef, pickOptions, resolveWatchTarget } from '../core/watch.ts';
import { createMonitorRepository } from '../store/monitors.ts';
import { openStore } from '../store/open.ts';
import { createChecker } from './checker.ts';
import { EXIT } from './cli.ts';
import type { Config } from './config.ts';
import { planGatus, planKuma, type ImportPlan } from './importers.ts';
import { IMPORT_PICKUP_EVERY_MS, markImported } from './import-pickup.ts';
import { announcing, createMonitorSync, type MonitorSync } from './monitor-sync.ts';
import type { Notifier } from './notifier.ts';
import { createWatcher } from './watcher.ts';

export const IMPORT_USAGE = 'usage: isdown import kuma|gatus FILE --channel console|slack:<team>/<channel>|discord:<guild>/<channel>|webhook:<name> [--dry-run]';
const MAX_FILE_BYTES = 8 * 1024 * 1024;
export const IMPORT_OWNER = 'import';

/** Nothing is alerted while importing: the watches are only written. */
const silent: Notifier = { enqueue: async () => {}, resume: async () => {}, health: () => ({ pending: 0, stuck: 0, oldestMs: 0 }), platforms: () => ({}), idle: async () => {}, stop: async () => {} };

/**
 * `isdown import kuma|gatus FILE --channel REF`: reads the file, prints what it made and what it
 * skipped and why, one line each. --dry-run prints the same without writing.
 */
export async function runImport(config: Config, args: readonly string[], out: Writable, err: Writable): Promise<number> {
  let kind: 'kuma' | 'gatus';
  let file: string;
  let channelText: string;
  let dryRun = false;
  try {
    const { values, positionals } = parseArgs({ args: [...args], allowPositionals: true, options: { channel: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
    if (positionals[0] !== 'kuma' && positionals[0] !== 'gatus') throw new Error(`say which tool the file is from: kuma or gatus${positionals[0] ? `, not "${positionals[0].slice(0, 20)}"` : ''}`);
    if (!positionals[1] || positionals.length > 2) throw new Error('name one file');
    if (!values.channel) throw new Error('--channel is needed: where the watches alert');
    kind = positionals[0];
    file = positionals[1];
    channelText = values.channel;
    dryRun = values['dry-run'] ?? false;
  } catch (e) {
    err.write(`isdown import: ${(e as Error).message}\n${IMPORT_USAGE}\n`);
    return EXIT.usage;
  }
  const ref = parseChannelRef(channelText);
  if (!ref.ok) {
    err.write(`isdown import: --channel: ${ref.error}\n`);
    return EXIT.usage;
  }
  let plan: ImportPlan;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_FILE_BYTES) throw new Error(`${size} bytes is over the ${MAX_FILE_BYTES / 1024 / 1024} MiB an import reads`);
    const text = await readFile(file, 'utf8');
    let doc: unknown;
    try {
      doc = kind === 'kuma' ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 });
    } catch (e) {
      throw new Error(`not ${kind === 'kuma' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
    }
    const planned = kind === 'kuma' ? planKuma(doc) : planGatus(doc);
    if ('error' in planned) throw new Error(planned.error);
    plan = planned;
  } catch (e) {
    err.write(`isdown import: ${file}: ${(e as Error).message}\n`);
    return EXIT.usage;
  }

  const channel = ref.channel;
  const checker = createChecker(config);
  const store = dryRun ? undefined : await openStore(config.storeUrl, { prefix: config.keyPrefix, timeoutMs: config.storeTimeoutMs });
  // In distributed mode the running scheduler hears of each imported watch, as of one typed in chat.
  let sync: MonitorSync | undefined;
  if (store && config.mode === 'distributed') {
    try {
      sync = await createMonitorSync(config.redisUrl!, config.keyPrefix, () => {}, () => {});
    } catch (e) {
      err.write(`isdown import: cannot reach Redis to tell the running scheduler at once (${(e as Error).message}); it finds the watches in the store within ${IMPORT_PICKUP_EVERY_MS / 1_000} s\n`);
    }
  }
  const stored = store ? createMonitorRepository(store.kv, { retentionMs: config.retentionMs, lock: store.lock }) : undefined;
  const watcher = stored
    ? createWatcher({
        repo: sync ? announcing(stored, (key) => sync.publish(key)) : stored,
        notifier: silent,
        ports: checker.ports,
        policy: checker.policy,
        thresholds: DEFAULT_THRESHOLDS,
        concurrency: 1,
        perHostConcurrency: 1,
        autoStart: false,
      })
    : undefined;
  let made = 0;
  let skipped = plan.skipped.length;
  const seen = new Map<string, string>();
  try {
    for (const item of plan.made) {
      const words = [...item.words];
      const notes = [...item.notes];
      // A shorter interval than this isdown allows becomes the shortest it does.
      const at = words.indexOf('every');
      const asked = at >= 0 ? parseDuration(words[at + 1] ?? '') : null;
      if (asked !== null && asked < config.minIntervalMs) {
        words[at + 1] = formatExactDuration(config.minIntervalMs);
        notes.push(`every ${formatExactDuration(asked)} is under ISDOWN_MIN_INTERVAL; checked every ${formatExactDuration(config.minIntervalMs)}`);
      }
      const parsed = parseWatch(words, config.minIntervalMs);
      if (!parsed.ok || parsed.command.kind !== 'watch') {
        out.write(`skipped ${item.name}: ${parsed.ok ? 'not a watch' : parsed.error}\n`);
        skipped++;
        continue;
      }
      const c = parsed.command;
      const resolved = resolveWatchTarget(c, channel, checker.resolve);
      if (!resolved.ok) {
        out.write(`skipped ${item.name}: ${resolved.message}\n`);
        skipped++;
        continue;
      }
      const key = monitorKey(resolved.target.id, c);
      const shown = words.map((w) => (/\s|"/.test(w) || w === '' ? JSON.stringify(w) : w)).join(' ');
      const same = seen.get(key);
      if (same !== undefined) {
        // Two monitors there that check the same thing the same way are one watch here.
        out.write(`same   ${item.name}: checks what ${same} checks; one watch covers both\n`);
        continue;
      }
      seen.set(key, item.name);
      await watcher?.watch({ channel, user: IMPORT_OWNER, target: resolved.target, everyMs: everyOf(c), ...pickOptions(c) });
      made++;
      out.write(`${dryRun ? 'would make' : 'made'} ${item.name} → watch ${shown}\n`);
      for (const n of notes) out.write(`    note: ${n}\n`);
    }
    for (const s of plan.skipped) out.write(`skipped ${s.name}: ${s.reason}\n`);
    let pickup = sync ? ' The running scheduler has been told of each.' : ` A running bot schedules them within ${IMPORT_PICKUP_EVERY_MS / 1_000} s.`;
    if (made && store) {
      try {
        await markImported(store.kv, Date.now());
      } catch (e) {
        if (!sync) pickup = ` A running bot could not be told (${isStoreFailure(e) ? e.reason : String(e)}); it schedules them when it next starts.`;
      }
    }
    out.write(`${made} ${dryRun ? 'to make' : 'made'}, ${skipped} skipped, for ${channelText}.${!dryRun && made ? pickup : ''}\n`);
    return 0;
  } catch (e) {
    err.write(`isdown import: could not save the watches: ${isStoreFailure(e) ? e.reason : String(e)}; ${made} were saved before it failed\n`);
    // What was saved is scheduled by a running bot all the same.
    if (made && store) await markImported(store.kv, Date.now()).catch(() => undefined);
    return EXIT.config;
  } finally {
    await checker.close();
    await sync?.close();
    await store?.close();
  }
}
