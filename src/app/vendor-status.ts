import type { Service } from '../checks/catalog/catalog.ts';
import { createStatusPoller, type PolledPage, type StatusPoller } from '../checks/statuspage/poller.ts';
import type { StatusSource } from '../checks/statuspage/index.ts';
import type { VendorStatusPort } from '../core/bot.ts';
import { knownTrouble, type KnownTrouble } from '../core/now.ts';
import type { StatusPageRef } from '../core/types.ts';
import { foldReport, type VendorChange } from '../core/vendor-history.ts';
import type { VendorStatusRepository } from '../store/vendor-status.ts';

/**
 * The background reader of official status pages, wired to the store: each page's changes are
 * folded into its service's vendor history, and what is wrong right now is kept as one snapshot
 * that `/isdown now` reads in any process.
 */
export interface VendorStatus {
  readonly port: VendorStatusPort;
  readonly poller?: StatusPoller;
  /** Starts reading (this process is the one that schedules). */
  start(): void;
  stop(): Promise<void>;
  /** Writes the snapshot now if it changed (tests; a timer does it every few seconds). */
  flush(): Promise<void>;
}

export interface VendorStatusOptions {
  readonly polling: boolean;
  readonly services: readonly Service[];
  readonly source: StatusSource;
  readonly repo: VendorStatusRepository;
  readonly everyMs: number;
  readonly concurrency?: number;
  readonly now: () => number;
  readonly log: (line: string) => void;
  /** Told of each change of a vendor's page after it is stored (vendor watches alert from these). */
  readonly onChanges?: (serviceId: string, changes: readonly VendorChange[], page: PolledPage) => Promise<void>;
}

/** The snapshot is written when what it says changed, checked this often, and at least this often anyway. */
const SNAPSHOT_CHECK_MS = 5_000;
const SNAPSHOT_REFRESH_MS = 5 * 60_000;

export function createVendorStatus(opts: VendorStatusOptions): VendorStatus {
  const polled = opts.services.filter((s) => s.statusPage).map((s) => ({ id: s.id, name: s.name, ref: s.statusPage as StatusPageRef }));
  const port: VendorStatusPort = { polling: opts.polling, snapshot: () => opts.repo.snapshot(), history: (id) => opts.repo.history(id) };
  if (!opts.polling) return { port, start() {}, stop: async () => {}, flush: async () => {} };

  // One page's changes are folded in order: a second read must not fold over a history the first has not stored.
  const folding = new Map<string, Promise<void>>();
  async function fold(page: PolledPage): Promise<void> {
    if (!page.outcome.ok) return;
    const report = page.outcome.report;
    const id = page.service.id;
    const before = await opts.repo.history(id);
    const { history, changes } = foldReport(before, report, page.at);
    if (!changes.length) return;
    await opts.repo.saveHistory(id, history);
    await opts.onChanges?.(id, changes, page);
  }

  const poller = createStatusPoller({
    source: opts.source,
    services: polled,
    everyMs: opts.everyMs,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    now: opts.now,
    log: opts.log,
    onChange: (page) => {
      const id = page.service.id;
      // In order per service; a failure (the store) goes back to the poller, which hands the page
      // over again at its next read. Folding is idempotent: what was stored is not announced twice.
      const next = (folding.get(id) ?? Promise.resolve()).then(() => fold(page));
      const settled = next.catch(() => undefined);
      folding.set(id, settled);
      void settled.finally(() => folding.get(id) === settled && folding.delete(id));
      return next;
    },
  });

  let written: { json: string; at: number } | undefined;
  async function flush(): Promise<void> {
    const latest = [...poller.latest().values()];
    if (!latest.length) return;
    const at = opts.now();
    const snap: KnownTrouble = knownTrouble(
      latest.map((p) => ({ id: p.service.id, name: p.service.name, since: p.since, ...(p.outcome.ok ? { report: p.outcome.report } : {}) })),
      polled.length,
      at,
    );
    const json = JSON.stringify({ ...snap, at: 0 });
    if (written && written.json === json && at - written.at < SNAPSHOT_REFRESH_MS) return;
    await opts.repo.saveSnapshot(snap);
    written = { json, at };
  }

  let timer: NodeJS.Timeout | undefined;
  return {
    port,
    poller,
    start() {
      poller.start();
      timer = setInterval(() => void flush().catch(() => undefined), SNAPSHOT_CHECK_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await poller.stop();
      await Promise.allSettled([...folding.values()]);
      await flush().catch(() => undefined);
    },
    flush,
  };
}
