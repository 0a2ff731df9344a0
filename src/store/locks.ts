import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreFailure } from '../core/store-port.ts';
import { describeStoreError } from './guarded.ts';
import { KeyedMutex } from './mutex.ts';

/**
 * Serialises read-modify-write on one key. In one process (the embedded store) a promise
 * chain is enough; with Redis or Postgres several processes share the data, so the lock is
 * a lease in the shared store itself, taken atomically (Redis SET NX PX, Postgres INSERT …
 * ON CONFLICT) and released only by its holder. A holder that dies loses the lease when it
 * expires, so nothing stays locked for longer than the lease.
 */
export interface Locks {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/** A lease store: one atomic "take if free or expired", and holder-only release and renewal. */
export interface LeaseBackend {
  tryAcquire(key: string, token: string, ttlMs: number): Promise<boolean>;
  renew(key: string, token: string, ttlMs: number): Promise<boolean>;
  release(key: string, token: string): Promise<void>;
  close(): Promise<void>;
}

/** The lock could not be had in time: to the caller, the store is failing. */
export class LockTimeoutError extends StoreFailure {
  constructor(key: string, waitedMs: number) {
    super(`could not lock "${key}" within ${waitedMs / 1_000} s; another isdown process holds it`, 'write');
  }
}

/** A lease call that failed is a store failure, in the store's own words. */
async function leaseCall<T>(what: () => Promise<T>): Promise<T> {
  try {
    return await what();
  } catch (err) {
    throw err instanceof StoreFailure ? err : new StoreFailure(describeStoreError(err), 'write');
  }
}

const LEASE_MS = 15_000;

export function leaseLocks(backend: LeaseBackend, opts: { waitMs?: number; leaseMs?: number } = {}): Locks {
  // Within one process, callers queue on a promise chain first, so only one of them polls the store.
  const local = new KeyedMutex();
  const waitMs = opts.waitMs ?? 20_000;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  return {
    run(key, fn) {
      return local.run(key, async () => {
        const token = randomUUID();
        const started = Date.now();
        let pause = 2;
        while (!(await leaseCall(() => backend.tryAcquire(key, token, leaseMs)))) {
          if (Date.now() - started > waitMs) throw new LockTimeoutError(key, waitMs);
          await sleep(pause + Math.random() * pause);
          pause = Math.min(pause * 2, 50);
        }
        // Work that outlasts a third of the lease (a slow platform during a delivery) renews it,
        // so no other process can take the key while the holder is still at it.
        const renewal = setInterval(() => void backend.renew(key, token, leaseMs).catch(() => undefined), Math.max(50, Math.floor(leaseMs / 3)));
        try {
          return await fn();
        } finally {
          clearInterval(renewal);
          // A release that fails (the store went away) is not the work's failure: the lease lapses by itself.
          await backend.release(key, token).catch(() => undefined);
        }
      });
    },
  };
}

/** The embedded store's locks: one process, so a promise chain per key. */
export function localLocks(): Locks {
  return new KeyedMutex();
}
