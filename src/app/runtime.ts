import { createBot, type Bot } from '../core/bot.ts';
import { clockFormat } from '../core/incident.ts';
import { infoMessage } from '../core/messages.ts';
import { DEFAULT_THRESHOLDS } from '../core/monitor.ts';
import type { ChatAdapter } from '../core/notify.ts';
import { createMonitorRepository } from '../store/monitors.ts';
import { openStore, type StoreHandle } from '../store/open.ts';
import { createOutboxRepository } from '../store/outbox.ts';
import { createReportRepository } from '../store/reports.ts';
import { createChecker, type Checker } from './checker.ts';
import type { Config } from './config.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { createWatcher, type Watcher } from './watcher.ts';

/** Everything one isdown process runs on, built from the configuration, closed in reverse. */
export interface Runtime {
  readonly config: Config;
  readonly store: StoreHandle;
  readonly checker: Checker;
  readonly bot: Bot;
  readonly watcher?: Watcher;
  readonly notifier?: Notifier;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly now?: () => number;
  readonly warn?: (line: string) => void;
  /** Chat adapters for alerts; with none, the runtime answers checks but does not watch. */
  readonly adapters?: readonly ChatAdapter[];
}

export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const now = opts.now ?? Date.now;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = await openStore(config.storeUrl);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => warn(`isdown: while stopping: ${String(err)}`));
  };
  try {
    const reports = await createReportRepository(store.kv);
    const checker = createChecker(config, { crowd: reports, now });
    closers.push(() => checker.close());
    for (const p of checker.catalog.problems) warn(`isdown: catalog ${p.file}:${p.line}: ${p.message}`);
    const clock = clockFormat(config.timeZone);

    let watcher: Watcher | undefined;
    let notifier: Notifier | undefined;
    if (opts.adapters?.length) {
      const adapters = new Map(opts.adapters.map((a) => [a.platform, a]));
      const repo = createMonitorRepository(store.kv, { retentionMs: config.retentionMs, now });
      notifier = createNotifier({
        outbox: createOutboxRepository(store.kv),
        adapters,
        now,
        refTtlMs: config.retentionMs,
        log: warn,
        onChannelGone: async (channel, reason) => {
          const owners = await watcher!.pauseChannel(channel, reason);
          warn(`isdown: paused watches in ${channel.platform}:${channel.channel} (${reason}); set by ${owners.join(', ') || 'nobody known'}`);
        },
      });
      watcher = createWatcher({
        repo,
        notifier,
        ports: checker.ports,
        policy: checker.policy,
        thresholds: { ...DEFAULT_THRESHOLDS, failRounds: config.failRounds, recoverRounds: config.recoverRounds, recheckMs: config.recheckDelayMs },
        concurrency: config.checkConcurrency,
        perHostConcurrency: config.hostConcurrency,
        now,
        clock,
        log: warn,
      });
      const n = notifier;
      const w = watcher;
      closers.push(() => n.stop());
      closers.push(() => w.stop());
      await watcher.start();
    }
    const bot = createBot({
      resolve: checker.resolve,
      check: checker.ports,
      policy: checker.policy,
      crowd: reports,
      ...(watcher ? { watching: watcher } : {}),
      now,
      clock,
      minIntervalMs: config.minIntervalMs,
    });
    return { config, store, checker, bot, ...(watcher ? { watcher } : {}), ...(notifier ? { notifier } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A one-line notice in the neutral format, for adapters to show at start. */
export const startNotice = (watching: number) => infoMessage(`isdown is watching ${watching} ${watching === 1 ? 'service' : 'services'}.`);
