import { Worker } from 'bullmq';
import { createProber } from '../checks/probe.ts';
import { JOB_LOCK_MS, queueName, redisOptions, STALLED_CHECK_MS } from '../checks/queue.ts';
import { redactUrl } from '../core/redact.ts';
import { probeKey, singleFlight } from '../checks/single-flight.ts';
import type { ProbeRequest } from '../core/types.ts';
import type { Config } from './config.ts';

export interface RunningWorker {
  readonly region: string;
  /** Finishes the jobs in hand (SIGTERM), then disconnects. */
  close(): Promise<void>;
}

/** A job's data is only trusted as far as it is checked: a URL string and optional texts. */
function probeRequest(data: unknown): ProbeRequest {
  const d = data as Record<string, unknown> | null;
  if (!d || typeof d.url !== 'string' || d.url.length > 4_096) throw new Error('job data is not a probe request');
  const text = (v: unknown) => (typeof v === 'string' && v.length <= 500 ? v : undefined);
  const expect = text(d.expect);
  const forbid = text(d.forbid);
  // Accepted codes travel as the ranges the core parsed; re-checked here, as any job data is.
  const ranges = Array.isArray(d.acceptStatus) && d.acceptStatus.length <= 20 ? d.acceptStatus : undefined;
  const acceptStatus = ranges?.every((r) => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isInteger(n) && n >= 100 && n <= 599))
    ? (ranges as [number, number][])
    : undefined;
  return { url: d.url, ...(expect ? { expect } : {}), ...(forbid ? { forbid } : {}), ...(acceptStatus ? { acceptStatus } : {}) };
}

/**
 * `isdown worker` and `isdown probe --region NAME`: takes probe jobs for one region from Redis
 * and runs them with this machine's network, under this machine's SSRF policy and limits.
 */
export async function startWorker(config: Config, opts: { region: string; log: (line: string) => void }): Promise<RunningWorker> {
  if (!config.redisUrl) throw new Error('a worker needs Redis: set REDIS_URL (or a redis:// STORE_URL)');
  const prober = createProber({ policy: config.policy, limits: config.limits, region: opts.region, extraCa: config.extraCa });
  const probe = singleFlight(prober.probe, probeKey);
  const worker = new Worker(queueName(opts.region), async (job) => probe(probeRequest(job.data)), {
    connection: redisOptions(config.redisUrl),
    prefix: config.keyPrefix,
    concurrency: config.checkConcurrency,
    lockDuration: JOB_LOCK_MS,
    stalledInterval: STALLED_CHECK_MS,
    maxStalledCount: 2,
  });
  worker.on('error', (err) => opts.log(`isdown worker: ${err.message}`));
  worker.on('failed', (job, err) => opts.log(`isdown worker: job ${job?.id ?? '?'} failed: ${err.message}`));
  await worker.waitUntilReady();
  opts.log(`isdown worker: taking probe jobs for region ${opts.region} from ${redactUrl(config.redisUrl)} (concurrency ${config.checkConcurrency})`);
  return {
    region: opts.region,
    async close() {
      await worker.close();
      await prober.close();
    },
  };
}
