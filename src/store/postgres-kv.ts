import { EventEmitter } from 'node:events';
import pg from 'pg';
import { describeStoreError } from './guarded.ts';
import { sweepPage, type SweepStep } from './expiry.ts';

/**
 * Runs a CREATE TABLE IF NOT EXISTS. Two processes creating one table at once can still collide:
 * the loser sees a duplicate (23505 or 42710 for the table's row type in pg_type, 42P07 for the
 * table), which means the table is there.
 */
export async function createTable(pool: pg.Pool, sql: string): Promise<void> {
  try {
    await pool.query(sql);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '23505' && code !== '42P07' && code !== '42710') throw err;
  }
}

/**
 * A keyv store on PostgreSQL, with the table layout of @keyv/postgres (so data written by either
 * reads in the other). Written here because @keyv/postgres keeps one module-wide pool with no
 * 'error' listener: a Postgres restart (an idle client's connection terminated) raised an
 * unhandled 'error' event and killed the process, and a failed first connection skipped the
 * CREATE TABLE for good. This pool has a listener, every query a time limit, and the table is
 * made on first use and again until that succeeds.
 */
export class PostgresKv extends EventEmitter {
  readonly ttlSupport = false;
  readonly opts: { table: string };
  namespace?: string;
  private readonly pool: pg.Pool;
  private ready: Promise<void> | undefined;

  constructor(url: string, table: string, opts: { timeoutMs: number; log?: (line: string) => void }) {
    super();
    this.opts = { table };
    this.pool = new pg.Pool({ connectionString: url, max: 8, connectionTimeoutMillis: opts.timeoutMs, query_timeout: opts.timeoutMs, idleTimeoutMillis: 30_000 });
    // An idle client whose backend went away; the next query takes a new connection.
    this.pool.on('error', (err) => opts.log?.(`isdown: store: an idle Postgres connection failed (${describeStoreError(err)}); reconnecting on next use`));
  }

  private q(sql: string, values: unknown[]): Promise<pg.QueryResult> {
    return this.table().then(() => this.pool.query(sql, values));
  }

  private table(): Promise<void> {
    return (this.ready ??= createTable(this.pool, `CREATE TABLE IF NOT EXISTS ${this.opts.table} (key VARCHAR(255) PRIMARY KEY, value TEXT)`).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    }));
  }

  async get(key: string): Promise<string | undefined> {
    const r = await this.q(`SELECT value FROM ${this.opts.table} WHERE key = $1`, [key]);
    return (r.rows[0] as { value?: string } | undefined)?.value;
  }

  async set(key: string, value: string): Promise<boolean> {
    await this.q(`INSERT INTO ${this.opts.table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.q(`DELETE FROM ${this.opts.table} WHERE key = $1`, [key]);
    return (r.rowCount ?? 0) > 0;
  }

  async has(key: string): Promise<boolean> {
    const r = await this.q(`SELECT 1 FROM ${this.opts.table} WHERE key = $1`, [key]);
    return r.rows.length > 0;
  }

  /** One step of the expiry sweep (see SqliteKv.sweepStep). */
  async sweepStep(after: string, limit: number, now: number): Promise<SweepStep> {
    const r = await this.q(`SELECT key, value FROM ${this.opts.table} WHERE key > $1 ORDER BY key LIMIT $2`, [after, limit]);
    const { expired, next } = sweepPage(r.rows as { key: string; value: string }[], limit, now);
    if (expired.length) await this.q(`DELETE FROM ${this.opts.table} WHERE key = ANY($1)`, [expired]);
    return { ...(next !== undefined ? { next } : {}), deleted: expired.length };
  }

  async clear(): Promise<void> {
    await this.q(`DELETE FROM ${this.opts.table} WHERE key LIKE $1`, [this.namespace ? `${this.namespace.replace(/[%_\\]/g, '\\$&')}:%` : '%']);
  }

  async disconnect(): Promise<void> {
    await this.pool.end();
  }
}
