import { setTimeout as sleep } from 'node:timers/promises';
import { createResolver, indexCatalog, loadCatalog, type Catalog, type ServiceIndex } from '../checks/catalog/catalog.ts';
import { checkControl } from '../checks/control.ts';
import { createProber, type Prober, type Resolver } from '../checks/probe.ts';
import type { RemoteProbe } from '../checks/remote-probe.ts';
import { probeKey, singleFlight } from '../checks/single-flight.ts';
import { createStatusSource, type StatusSource } from '../checks/statuspage/index.ts';
import type { CrowdPort } from '../core/bot.ts';
import type { CheckPolicy, CheckPorts } from '../core/check.ts';
import type { Resolution } from '../core/types.ts';
import type { Config } from './config.ts';

export interface Checker {
  readonly ports: CheckPorts;
  readonly policy: CheckPolicy;
  readonly prober: Prober;
  readonly catalog: Catalog;
  readonly index: ServiceIndex;
  /** Official status pages, read through the prober and cached (the background reader refreshes it). */
  readonly status: StatusSource;
  resolve(input: string): Resolution;
  close(): Promise<void>;
}

/** Wires the network side (probe, control, status pages, catalog) and crowd reports to the core's ports. */
export function createChecker(config: Config, overrides: { resolve?: Resolver; crowd?: CrowdPort; now?: () => number; remote?: RemoteProbe } = {}): Checker {
  const now = overrides.now ?? Date.now;
  const prober = createProber({
    policy: config.policy,
    limits: config.limits,
    region: config.region,
    extraCa: config.extraCa,
    ...(overrides.resolve ? { resolve: overrides.resolve } : {}),
  });
  const catalog = loadCatalog(config.catalogFile);
  const index = indexCatalog(catalog.services);
  const status = createStatusSource({ prober, ttlMs: config.statusTtlMs, feedHorizonMs: config.feedHorizonMs, now });
  const crowd = overrides.crowd;
  const remote = overrides.remote;
  const ports: CheckPorts = {
    // Distributed mode: every region's workers probe; here, this process's own network does.
    probe: singleFlight(remote ? remote.probe : async (req) => [await prober.probe(req)], probeKey),
    ...(remote ? { regions: remote.regions } : {}),
    sleep: (ms) => sleep(ms),
    now,
    control: () => checkControl(prober, config.controlUrls),
    status: async (target) => (target.statusPage ? status.read(target.statusPage) : undefined),
    ...(crowd ? { crowd: (target) => crowd.summary(target.id, now()) } : {}),
  };
  return {
    ports,
    policy: {
      confirmAttempts: config.confirmAttempts,
      confirmDelayMs: config.confirmDelayMs,
      // The one-shot answer's promise (CONTRACT): within 20 s, status page and all; 2 s are kept for the rest.
      budget: { totalMs: 18_000, attemptMs: config.limits.totalTimeoutMs },
      faces: true,
      thresholds: { slowMs: config.slowMs, crowdTeams: 2 },
    },
    prober,
    catalog,
    index,
    status,
    resolve: createResolver(index, config.policy),
    close: async () => {
      await remote?.close();
      await prober.close();
    },
  };
}
