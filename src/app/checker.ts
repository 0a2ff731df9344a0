import { setTimeout as sleep } from 'node:timers/promises';
import { adhocTarget } from '../checks/adhoc.ts';
import { checkControl } from '../checks/control.ts';
import { createProber, type Prober, type Resolver } from '../checks/probe.ts';
import type { CheckPolicy, CheckPorts } from '../core/check.ts';
import type { Resolution } from '../core/types.ts';
import type { Config } from './config.ts';

export interface Checker {
  readonly ports: CheckPorts;
  readonly policy: CheckPolicy;
  readonly prober: Prober;
  resolve(input: string): Resolution;
  close(): Promise<void>;
}

/** Wires the network side (probe, control, later status pages and the catalog) to the core's ports. */
export function createChecker(config: Config, overrides: { resolve?: Resolver } = {}): Checker {
  const prober = createProber({
    policy: config.policy,
    limits: config.limits,
    region: config.region,
    extraCa: config.extraCa,
    ...(overrides.resolve ? { resolve: overrides.resolve } : {}),
  });
  const ports: CheckPorts = {
    probe: async (req) => [await prober.probe(req)],
    sleep: (ms) => sleep(ms),
    control: () => checkControl(prober, config.controlUrls),
  };
  return {
    ports,
    policy: {
      confirmAttempts: config.confirmAttempts,
      confirmDelayMs: config.confirmDelayMs,
      thresholds: { slowMs: config.slowMs, crowdTeams: 2 },
    },
    prober,
    resolve: (input) => adhocTarget(input, config.policy),
    close: () => prober.close(),
  };
}
