import { createHmac, randomBytes } from 'node:crypto';
import type { KeyValue } from '../core/store-port.ts';
import { addReport, CROWD, summarise, type CrowdReport } from '../core/crowd.ts';
import type { CrowdSummary } from '../core/types.ts';
import { localLocks, type Locks } from './locks.ts';

export interface ReportRepository {
  add(serviceId: string, tenant: string, user: string, at: number): Promise<{ accepted: true } | { accepted: false; retryInMs: number }>;
  summary(serviceId: string, now: number): Promise<CrowdSummary>;
  /** When the latest report of any service was made; undefined if that is not known. */
  latest(): Promise<number | undefined>;
}

/**
 * Crowd reports, one list per service. User ids are stored as a keyed hash: the key is made
 * once per store and never leaves it, so a leaked database does not name anyone.
 */
export async function createReportRepository(kv: KeyValue, mutex: Locks = localLocks(), now: () => number = Date.now): Promise<ReportRepository> {
  // Made once per store; under the lock, so processes starting together agree on one key.
  const { key, fresh } = await mutex.run('meta:user-hash-key', async () => {
    const existing = await kv.get<string>('meta:user-hash-key');
    if (existing) return { key: existing, fresh: false };
    const made = randomBytes(32).toString('hex');
    await kv.set('meta:user-hash-key', made);
    return { key: made, fresh: true };
  });
  // Until a report is made, "the latest" is when a store written by an earlier version first met
  // this code: reports it holds then still count for a whole summary window. A store that had no
  // hash key has never held a report (each is stored under it): 0, none ever, so a new install
  // does not read each service's reports at every check for its first half hour.
  await mutex.run('reports:latest', async () => {
    if ((await kv.get<number>('reports:latest')) === undefined) await kv.set('reports:latest', fresh ? 0 : now());
  });
  const hash = (tenant: string, user: string) => createHmac('sha256', key).update(`${tenant}\u0000${user}`).digest('hex').slice(0, 24);
  const read = async (serviceId: string) => (await kv.get<CrowdReport[]>(`reports:${serviceId}`)) ?? [];

  return {
    add(serviceId, tenant, user, at) {
      return mutex.run(serviceId, async () => {
        const outcome = addReport(await read(serviceId), { tenant, user: hash(tenant, user), at });
        if (!outcome.accepted) return { accepted: false, retryInMs: outcome.retryInMs };
        // The time first: if the report's own write then fails, a reader looks and finds nothing;
        // the other order could leave a report no reader looks for. It only moves forward, so a
        // report that arrives late (or from a process whose clock lags) cannot hide a newer one.
        await mutex.run('reports:latest', async () => {
          const was = await kv.get<number>('reports:latest');
          if (was === undefined || at > was) await kv.set('reports:latest', at);
        });
        await kv.set(`reports:${serviceId}`, outcome.list, CROWD.expiryMs);
        return { accepted: true };
      });
    },
    async summary(serviceId, now) {
      return summarise(await read(serviceId), now);
    },
    latest: () => kv.get<number>('reports:latest'),
  };
}
