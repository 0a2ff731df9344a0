import { EventEmitter } from 'node:events';
import Database from 'libsql';
import { sweepPage, type SweepStep } from './expiry.ts';

/**
 * A keyv store on an embedded SQLite file, through libsql: its binary ships inside its npm
 * package (@libsql/linux-x64-gnu and siblings), so installing compiles and downloads nothing.
 * The table layout is @keyv/sqlite's, so a database written by earlier versions reads as is.
 *
 * WAL with synchronous=NORMAL: a commit appends to the log without an fsync (the log is synced
 * at checkpoints), which is what keeps disk writes per check small. A crash of the process loses
 * nothing committed; a power cut can lose the last moments of commits, never corrupt the file.
 * Calls are synchronous and take microseconds; waiting on another process's lock is bounded by
 * busy_timeout.
 */
export class SqliteKv extends EventEmitter {
  readonly ttlSupport = false;
  readonly opts: { table: string };
  namespace?: string;
  private handle: { db: Database.Database; get: Database.Statement; set: Database.Statement; del: Database.Statement } | undefined;

  constructor(
    private readonly path: string,
    table: string,
    private readonly busyTimeoutMs: number,
  ) {
    super();
    this.opts = { table };
  }

  /** Opened on first use, and again after a failed open, so a path that appears later still works. */
  private open() {
    if (this.handle) return this.handle;
    const db = new Database(this.path, { timeout: this.busyTimeoutMs });
    try {
      if (this.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS ${this.opts.table} (key VARCHAR(255) PRIMARY KEY, value TEXT)`);
      this.handle = {
        db,
        get: db.prepare(`SELECT value FROM ${this.opts.table} WHERE key = ?`),
        set: db.prepare(`INSERT INTO ${this.opts.table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
        del: db.prepare(`DELETE FROM ${this.opts.table} WHERE key = ?`),
      };
      return this.handle;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async get(key: string): Promise<string | undefined> {
    const row = this.open().get.get(key) as { value?: string } | undefined;
    return row?.value ?? undefined;
  }

  async set(key: string, value: string): Promise<boolean> {
    this.open().set.run(key, value);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.open().del.run(key).changes > 0;
  }

  async has(key: string): Promise<boolean> {
    return this.open().get.get(key) !== undefined;
  }

  /**
   * One step of the expiry sweep: keyv keeps a value's expiry inside it and drops it only when
   * read, so days and incidents nobody reads again would stay for ever. Walks the keys in order,
   * `limit` at a time (an index range each step, so the synchronous driver never holds the event
   * loop for a whole-table scan); returns where to go on from, or undefined at the end.
   */
  async sweepStep(after: string, limit: number, now: number): Promise<SweepStep> {
    const { db, del } = this.open();
    const rows = db.prepare(`SELECT key, value FROM ${this.opts.table} WHERE key > ? ORDER BY key LIMIT ?`).all(after, limit) as { key: string; value: string }[];
    const { expired, next } = sweepPage(rows, limit, now);
    if (expired.length) db.transaction(() => expired.forEach((k) => del.run(k)))();
    return { ...(next !== undefined ? { next } : {}), deleted: expired.length };
  }

  async clear(): Promise<void> {
    const pattern = this.namespace ? `${this.namespace.replace(/[%_\\]/g, '\\$&')}:%` : '%';
    this.open().db.prepare(`DELETE FROM ${this.opts.table} WHERE key LIKE ? ESCAPE '\\'`).run(pattern);
  }

  async disconnect(): Promise<void> {
    this.handle?.db.close();
    this.handle = undefined;
  }
}
