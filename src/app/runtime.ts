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
  /** Chat adapters for alerts (made once the store is open); with none, the runtime answers checks but does not watch. */
  readonly adapters?: readonly ChatAdapter[] | ((store: StoreHandle) => ChatAdapter[]);
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
    const reports = await createReportRepository(store.kv, store.lock);
    const checker = createChecker(config, { crowd: reports, now });
    closers.push(() => checker.close());
    for (const p of checker.catalog.problems) warn(`isdown: catalog ${p.file}:${p.line}: ${p.message}`);
    const clock = clockFormat(config.timeZone);

    let watcher: Watcher | undefined;
    let notifier: Notifier | undefined;
    const chatAdapters = typeof opts.adapters === 'function' ? opts.adapters(store) : (opts.adapters ?? []);
    if (chatAdapters.length) {
      const adapters = new Map(chatAdapters.map((a) => [a.platform, a]));
      const repo = createMonitorRepository(store.kv, { retentionMs: config.retentionMs, now, lock: store.lock });
      notifier = createNotifier({
        outbox: createOutboxRepository(store.kv, store.lock),
        adapters,
        now,
        refTtlMs: config.retentionMs,
        log: warn,
        onChannelGone: async (channel, reason) => {
          const owners = await watcher!.pauseChannel(channel, reason);
          warn(`isdown: paused watches in ${channel.platform}:${channel.channel} (${reason})`);
          // Tell whoever set them, once: pauseChannel only names owners of watches it just paused.
          const adapter = adapters.get(channel.platform);
          for (const owner of owners) {
            await adapter
              ?.direct?.(
                channel.tenant,
                owner,
                infoMessage(`I can't post alerts in <#${channel.channel}> any more (${reason}), so I paused the watches you set there.`, [
                  'Invite me back to the channel, then run /isdown list there to see them; watch again to resume.',
                ]),
              )
              .catch((err: unknown) => warn(`isdown: could not tell ${owner}: ${String(err)}`));
          }
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
      restrictChanges: config.restrictChanges,
    });
    return { config, store, checker, bot, ...(watcher ? { watcher } : {}), ...(notifier ? { notifier } : {}), close };
  } catch (err) {
    await close();
    throw err;
  }
}

