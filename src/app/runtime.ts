import { createBot, type Bot } from '../core/bot.ts';
import { clockFormat } from '../core/incident.ts';
import { infoMessage } from '../core/messages.ts';
import { isStoreFailure } from '../core/store-port.ts';
import { DEFAULT_THRESHOLDS } from '../core/monitor.ts';
import type { ChatAdapter } from '../core/notify.ts';
import { createMonitorRepository } from '../store/monitors.ts';
import { openStore, type StoreHandle } from '../store/open.ts';
import { createOutboxRepository } from '../store/outbox.ts';
import { createReportRepository } from '../store/reports.ts';
import { createRollupRepository } from '../store/rollups.ts';
import { createPageRepository, type PageRepository } from '../store/pages.ts';
import { cacheCrowd } from './crowd-cache.ts';
import { chartPng } from './chart-png.ts';
import { createChecker, type Checker } from './checker.ts';
import type { Config } from './config.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { electLeader, type Leadership } from './leader.ts';
import { followImports } from './import-pickup.ts';
import { announcing, createMonitorSync } from './monitor-sync.ts';
import { createWatcher, type Watcher } from './watcher.ts';
import { followWatchesFile } from './watches-file.ts';
import { createVendorStatus, type VendorStatus } from './vendor-status.ts';
import { createVendorStatusRepository } from '../store/vendor-status.ts';
import { createStormRepository } from '../store/storms.ts';
import { DEFAULT_STORM } from '../core/storm.ts';
import { likelyCause } from './likely-cause.ts';
import { closeInOrder, stepLimitMs, type Closer } from './closers.ts';
import type { PlatformServices } from '../../adapters/platform.ts';

/** Everything one isdown process runs on, built from the configuration, closed in reverse. */
export interface Runtime {
  readonly config: Config;
  readonly store: StoreHandle;
  readonly checker: Checker;
  readonly bot: Bot;
  readonly watcher?: Watcher;
  readonly notifier?: Notifier;
  /** Channels' public status pages (with the chat adapters and their store). */
  readonly pages?: PageRepository;
  /** The background reader of official status pages and what it found. */
  readonly vendor: VendorStatus;
  /** Distributed mode: whether this process holds the scheduler lease right now. */
  readonly role?: () => 'scheduler' | 'standby';
  close(): Promise<void>;
}

export interface RuntimeOptions {
  readonly now?: () => number;
  readonly warn?: (line: string) => void;
  /** Chat adapters for alerts (made once the store is open); with none, the runtime answers checks but does not watch. */
  readonly adapters?: readonly ChatAdapter[] | ((store: StoreHandle, services: PlatformServices) => ChatAdapter[]);
  /** Distributed mode: the scheduler lease was lost. By default the process exits (75) to restart as a standby. */
  readonly onLostLeadership?: (reason: string) => void;
  /** Start-up retries while the store does not answer (tests shorten them). */
  readonly storeRetry?: { firstMs: number; maxMs: number } | 'never';
  /**
   * Read every known status page in the background when ISDOWN_STATUS_POLL is on (the bot; not a
   * one-shot `isdown check`). In distributed mode only the scheduler reads.
   */
  readonly backgroundStatus?: boolean;
  /** Distributed mode: called once this process is the scheduler (after the watcher has started). */
  readonly onElected?: () => Promise<void>;
}

/**
 * Start-up against a store that is not there yet (Postgres still starting, Redis restarting):
 * one line saying what is missing, then retries with backoff until it answers. A malformed
 * STORE_URL never gets here: the configuration refuses it (exit 78).
 */
export async function waitForStore(store: StoreHandle, warn: (line: string) => void, signal: AbortSignal, retry: { firstMs: number; maxMs: number } = { firstMs: 1_000, maxMs: 30_000 }): Promise<void> {
  let pause = retry.firstMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await store.kv.probe();
      if (attempt > 1) warn(`isdown: the store (${store.url}) answers; starting`);
      return;
    } catch (err) {
      if (signal.aborted) throw err;
      warn(`isdown: the store (${store.url}) is not reachable: ${isStoreFailure(err) ? err.reason : String(err)}; retrying in ${Math.round(pause / 1_000)} s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pause);
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
      if (signal.aborted) throw new Error('stopped while waiting for the store');
      pause = Math.min(pause * 2, retry.maxMs);
    }
  }
}

/** The scheduler lease: a dead scheduler is replaced within this, well inside a check interval. */
const LEADER_TTL_MS = 10_000;
const LEADER_RETRY_MS = 2_000;

export async function startRuntime(config: Config, opts: RuntimeOptions = {}): Promise<Runtime> {
  const now = opts.now ?? Date.now;
  const warn = opts.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const store = await openStore(config.storeUrl, { prefix: config.keyPrefix, timeoutMs: config.storeTimeoutMs, log: warn });
  const closers: Closer[] = [{ what: 'the store', close: () => store.close() }];
  const stopWaiting = new AbortController();
  closers.push({ what: 'waiting for the store', close: async () => stopWaiting.abort() });
  if (opts.storeRetry !== 'never') await waitForStore(store, warn, stopWaiting.signal, opts.storeRetry);
  // While the store fails, something must keep asking, or health would stay red once it is back
  // and nothing else happened to write.
  const healthTimer = setInterval(() => {
    if (!store.health().ok) void store.kv.probe().catch(() => undefined);
  }, 5_000);
  healthTimer.unref();
  closers.push({ what: 'the store health timer', close: async () => clearInterval(healthTimer) });
  const close = () => closeInOrder(closers.reverse(), stepLimitMs(config.limits.totalTimeoutMs), warn);
  try {
    const reports = cacheCrowd(await createReportRepository(store.kv, store.lock, now), { ttlMs: 5_000, now });
    // Distributed mode: probes go to the regions' workers through Redis.
    const remote =
      config.mode === 'distributed'
        ? await (await import('../checks/remote-probe.ts')).createRemoteProbe({ redisUrl: config.redisUrl!, prefix: config.keyPrefix, regions: config.regions, waitMs: config.limits.totalTimeoutMs + 20_000 })
        : undefined;
    const checker = createChecker(config, { crowd: reports, now, ...(remote ? { remote } : {}) });
    closers.push({ what: 'the checker', close: () => checker.close() });
    for (const p of checker.catalog.problems) warn(`isdown: catalog ${p.file}:${p.line}: ${p.message}`);
    const clock = clockFormat(config.timeZone);
    const vendor = createVendorStatus({
      polling: Boolean(opts.backgroundStatus) && config.statusPoll,
      services: checker.catalog.services,
      source: checker.status,
      repo: createVendorStatusRepository(store.kv, config.retentionMs),
      everyMs: config.statusTtlMs,
      now,
      log: warn,
      // Vendor watches hear each update and announced maintenance (the watcher is made below).
      onChanges: async (id, changes) => watcher?.vendorNews(id, changes),
    });
    closers.push({ what: 'the status page reader', close: () => vendor.stop() });

    let watcher: Watcher | undefined;
    let notifier: Notifier | undefined;
    let leadership: Leadership | undefined;
    let pages: PageRepository | undefined;
    // The watches file's webhooks, read by the webhook adapter at each delivery.
    const webhookUrls = new Map<string, string>();
    const services: PlatformServices = { post: (url, body, headers) => checker.prober.post(url, body, headers), webhookUrls, renderChart: chartPng };
    const chatAdapters = typeof opts.adapters === 'function' ? opts.adapters(store, services) : (opts.adapters ?? []);
    if (chatAdapters.length) {
      const adapters = new Map(chatAdapters.map((a) => [a.platform, a]));
      const stored = createMonitorRepository(store.kv, { retentionMs: config.retentionMs, now, lock: store.lock });
      let repo = stored;
      if (config.mode === 'distributed') {
        // Watches arrive at any process; the one running the scheduler hears of each change.
        const sync = await createMonitorSync(config.redisUrl!, config.keyPrefix, (key) => void watcher?.refresh(key).catch((err: unknown) => warn(`isdown: re-reading monitor ${key}: ${String(err)}`)), warn);
        closers.push({ what: 'the monitor sync', close: () => sync.close() });
        repo = announcing(stored, (key) => sync.publish(key));
      }
      notifier = createNotifier({
        ...(config.storm.threshold > 0
          ? {
              storms: {
                repo: createStormRepository(store.kv, config.retentionMs),
                policy: { ...DEFAULT_STORM, ...config.storm },
                clock,
                cause: (targets) => likelyCause(targets, checker.catalog.services, vendor.port),
              },
            }
          : {}),
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
        certWarnDays: config.certWarnDays,
        rollups: createRollupRepository(store.kv, { retentionMs: config.retentionMs, now }),
        metricsPerMonitor: config.metricsPerMonitor,
        now,
        clock,
        log: warn,
      });
      pages = createPageRepository(store.kv, store.lock);
      const n = notifier;
      const w = watcher;
      if (config.mode === 'distributed') {
        if (!store.leases) throw new Error('distributed mode needs a shared store (redis:// or postgres://)');
        leadership = electLeader({
          leases: store.leases,
          key: 'scheduler',
          ttlMs: LEADER_TTL_MS,
          everyMs: LEADER_RETRY_MS,
          // The old scheduler may have died up to a lease ago: its missed rounds run now.
          onElected: async () => {
            await w.start({ catchUpMs: LEADER_TTL_MS + LEADER_RETRY_MS });
            vendor.start();
            await opts.onElected?.();
          },
          onLost:
            opts.onLostLeadership ??
            ((reason) => {
              // Another process may be scheduling already: stop at once rather than alert twice.
              warn(`isdown: lost the scheduler lease (${reason}); exiting so the supervisor restarts this process as a standby`);
              process.exit(75);
            }),
          log: warn,
        });
        const l = leadership;
        // Closed last: rounds in flight finish and alerts are handed over before the lease is given back.
        closers.push({ what: 'the scheduler lease', close: () => l.stop() });
      }
      closers.push({ what: 'the notifier', close: () => n.stop() });
      closers.push({ what: 'the scheduler (checks in flight)', close: () => w.stop() });
      // The mark is read before the schedule is, so an import that ends in between is not missed.
      // With Redis the import also tells the scheduler at once; the mark covers a Redis it could not reach.
      const leader = leadership;
      const pickup = await followImports(store.kv, {
        onImport: async () => {
          if (leader && !leader.leading) return;
          const r = await w.reconcile();
          if (r.added + r.removed + r.changed > 0) warn(`isdown: picked up an import: ${r.added} monitors added, ${r.changed} changed, ${r.removed} removed`);
        },
        log: warn,
      });
      closers.push({ what: 'the import follower', close: async () => pickup.stop() });
      if (!leadership) {
        await watcher.start();
        vendor.start();
      }
      if (config.watchesFile) {
        // Every process applies it (writes go through the store's locks); applying twice changes nothing.
        const following = followWatchesFile(config.watchesFile, {
          watcher,
          resolve: checker.resolve,
          minIntervalMs: config.minIntervalMs,
          platforms: new Set(adapters.keys()),
          webhooks: {
            set: (urls) => {
              webhookUrls.clear();
              for (const [k, v] of urls) webhookUrls.set(k, v);
            },
          },
          log: warn,
        });
        closers.push({ what: 'the watches file follower', close: async () => following.stop() });
        await following.ready;
      }
    }
    // Without chat adapters nothing schedules; a single process still reads pages for `now`.
    if (!watcher && config.mode !== 'distributed') vendor.start();
    const bot = createBot({
      vendor: vendor.port,
      resolve: checker.resolve,
      check: checker.ports,
      policy: checker.policy,
      crowd: reports,
      ...(watcher ? { watching: watcher } : {}),
      ...(pages ? { pages } : {}),
      now,
      clock,
      minIntervalMs: config.minIntervalMs,
      restrictChanges: config.restrictChanges,
      limits: { perChannel: config.maxWatchesPerChannel, perPerson: config.maxWatchesPerPerson },
      envSet: (name: string) => Boolean(process.env[name]),
      ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    });
    const l = leadership;
    return {
      config,
      store,
      checker,
      bot,
      ...(watcher ? { watcher } : {}),
      ...(pages ? { pages } : {}),
      vendor,
      ...(notifier ? { notifier } : {}),
      ...(l ? { role: () => (l.leading ? 'scheduler' : 'standby') } : {}),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

