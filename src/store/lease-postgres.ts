import pg from 'pg';
import type { LeaseBackend } from './locks.ts';
import { createTable } from './postgres-kv.ts';

/**
 * Leases in a table of their own. Taking one is a single INSERT … ON CONFLICT that succeeds
 * only when the row is absent or expired, so two processes can never both hold it.
 */
export function postgresLeases(url: string, table: string, timeoutMs = 5_000): LeaseBackend {
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  pool.on('error', () => {}); // an idle client's error; queries report their own
  const t = `${table}_leases`;
  let ready: Promise<void> | undefined;
  const init = () =>
    (ready ??= createTable(pool, `CREATE TABLE IF NOT EXISTS ${t} (k TEXT PRIMARY KEY, token TEXT NOT NULL, expires TIMESTAMPTZ NOT NULL)`).catch((err: unknown) => {
      ready = undefined;
      throw err;
    }));
  return {
    async tryAcquire(key, token, ttlMs) {
      await init();
      const r = await pool.query(
        `INSERT INTO ${t} (k, token, expires) VALUES ($1, $2, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (k) DO UPDATE SET token = EXCLUDED.token, expires = EXCLUDED.expires WHERE ${t}.expires < clock_timestamp()
         RETURNING token`,
        [key, token, ttlMs],
      );
      return r.rowCount === 1;
    },
    async renew(key, token, ttlMs) {
      await init();
      const r = await pool.query(`UPDATE ${t} SET expires = clock_timestamp() + $3 * interval '1 millisecond' WHERE k = $1 AND token = $2`, [key, token, ttlMs]);
      return r.rowCount === 1;
    },
    async release(key, token) {
      await init();
      await pool.query(`DELETE FROM ${t} WHERE k = $1 AND token = $2`, [key, token]);
    },
    async close() {
      await pool.end();
    },
  };
}
