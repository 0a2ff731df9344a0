/**
 * What the domain needs of a key-value store, and how the store says it failed. Every call can
 * fail (full disk, a restarting Postgres, Redis gone) and every call has a time limit; a failure
 * is a StoreFailure, never a silent "done".
 */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>;
  /** Resolves only once the value is stored. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  has(key: string): Promise<boolean>;
}

export class StoreFailure extends Error {
  constructor(
    /** What the store said, short and free of secrets: "SQLITE_FULL: database or disk is full", "timed out after 5 s". */
    readonly reason: string,
    readonly operation: 'read' | 'write' = 'write',
  ) {
    super(`the store is failing (${reason})`);
    this.name = 'StoreFailure';
  }
}

export function isStoreFailure(err: unknown): err is StoreFailure {
  return err instanceof StoreFailure;
}
