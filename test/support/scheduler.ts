import { createWatcher, type Watcher } from '../../src/app/watcher.ts';
import { DEFAULT_THRESHOLDS } from '../../src/core/monitor.ts';
import type { ProbeResult } from '../../src/core/types.ts';
import type { MonitorRepository } from '../../src/store/monitors.ts';
import { quietNotifier } from './notifier.ts';
import type { RollupRepository } from '../../src/store/rollups.ts';

/** A 200 OK from the URL asked, for scheduler tests that only care that a check ran. */
export function answered(url: string, at: number): ProbeResult[] {
  return [{ url, finalUrl: url, region: 'local', ok: true, status: 200, latency: { dns: 1, connect: 1, tls: 1, firstByte: 5, total: 6 }, reusedConnection: false, bytesRead: 2, truncated: false, redirects: [], at }];
}

/**
 * A scheduler with nothing around it: no alerts, no control checks, one attempt a round, driven
 * by tick() rather than its own timer.
 */
export function bareScheduler(opts: {
  repo: MonitorRepository;
  probe: (req: { url: string }) => Promise<ProbeResult[]>;
  concurrency: number;
  perHostConcurrency: number;
  now?: () => number;
  rollups?: RollupRepository;
}): Watcher {
  return createWatcher({
    repo: opts.repo,
    notifier: quietNotifier,
    ports: { probe: opts.probe, sleep: async () => {}, control: async () => undefined },
    policy: { confirmAttempts: 1, confirmDelayMs: 0 },
    thresholds: DEFAULT_THRESHOLDS,
    concurrency: opts.concurrency,
    perHostConcurrency: opts.perHostConcurrency,
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.rollups ? { rollups: opts.rollups } : {}),
    autoStart: false,
  });
}
