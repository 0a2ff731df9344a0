import { randomUUID } from 'node:crypto';
import { Job, Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { ProbeRequest, ProbeResult } from '../core/types.ts';
import { queueName, redisOptions } from './queue.ts';

export interface RemoteProbe {
  /** Probes from every region at once; a region that does not answer in time is left out. */
  probe(req: ProbeRequest): Promise<ProbeResult[]>;
  readonly regions: readonly string[];
  close(): Promise<void>;
}

export interface RemoteProbeOptions {
  readonly redisUrl: string;
  /** The deployment's key prefix: queues live under it in Redis. */
  readonly prefix: string;
  readonly regions: readonly string[];
  /**
   * How long to wait for a region's answer. Longer than a probe's own deadline plus the time a
   * killed worker's job takes to be picked up by another, so a lost worker costs time, not a round.
   */
  readonly waitMs: number;
}

interface Waiting {
  resolve(r: ProbeResult | undefined): void;
  timer: NodeJS.Timeout;
}

/**
 * The probe port in distributed mode: each probe becomes one BullMQ job per region, run by
 * whichever worker of that region takes it, and the results come back through Redis. Job ids
 * are ours, registered before the job is added, so a worker faster than us cannot finish a job
 * whose answer we then miss.
 */
export async function createRemoteProbe(opts: RemoteProbeOptions): Promise<RemoteProbe> {
  const connection = redisOptions(opts.redisUrl);
  const waiting = new Map<string, Waiting>();
  const finish = (jobId: string, result: ProbeResult | undefined) => {
    const w = waiting.get(jobId);
    if (!w) return;
    waiting.delete(jobId);
    clearTimeout(w.timer);
    w.resolve(result);
  };
  // Events are read from the stream position as it is now, before any job of ours exists:
  // QueueEvents would otherwise start at "$" whenever its first read happens to run, and a worker
  // quicker than that read would finish a job whose answer we never see.
  const reader = new Redis(opts.redisUrl, { maxRetriesPerRequest: 3 });
  reader.on('error', () => {});
  const regions = await Promise.all(
    opts.regions.map(async (region) => {
      const queue = new Queue(queueName(region), { connection, prefix: opts.prefix });
      const latest = await reader.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
      const events = new QueueEvents(queueName(region), { connection, prefix: opts.prefix, lastEventId: latest[0]?.[0] ?? '0-0' });
      events.on('completed', ({ jobId, returnvalue }) => finish(jobId, parseResult(returnvalue)));
      // A job that failed every attempt: that region has no answer this round.
      events.on('failed', ({ jobId }) => finish(jobId, undefined));
      queue.on('error', () => {});
      events.on('error', () => {});
      await events.waitUntilReady();
      return { region, queue, events };
    }),
  );
  await reader.quit().catch(() => reader.disconnect());
  // No answer in time: ask the job itself before giving up on the region (an event can still be
  // lost to a reconnect); a job not finished by now is left to finish unread.
  const recover = async (queue: Queue, jobId: string) => {
    try {
      const job = await Job.fromId(queue, jobId);
      finish(jobId, job?.returnvalue ? parseResult(job.returnvalue) : undefined);
    } catch {
      finish(jobId, undefined);
    }
  };

  return {
    regions: opts.regions,
    async probe(req) {
      const answers = await Promise.all(
        regions.map(async ({ queue }) => {
          const jobId = randomUUID();
          const answer = new Promise<ProbeResult | undefined>((resolve) => {
            waiting.set(jobId, { resolve, timer: setTimeout(() => void recover(queue, jobId), opts.waitMs) });
          });
          try {
            await queue.add('probe', req, { jobId, attempts: 3, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: { age: 60 }, removeOnFail: { age: 3_600 } });
          } catch {
            finish(jobId, undefined);
          }
          return answer;
        }),
      );
      return answers.filter((a): a is ProbeResult => a !== undefined);
    },
    async close() {
      for (const [id] of waiting) finish(id, undefined);
      await Promise.all(regions.flatMap(({ queue, events }) => [queue.close(), events.close()]));
    },
  };
}

function parseResult(value: unknown): ProbeResult | undefined {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  return v && typeof v === 'object' && 'region' in v && 'ok' in v ? (v as ProbeResult) : undefined;
}
