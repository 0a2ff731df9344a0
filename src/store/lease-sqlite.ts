import type Database from 'libsql';
import type { LeaseBackend } from './locks.ts';

/**
 * Leases in a table beside the embedded store's, for the processes that share one SQLite file:
 * the bot and an `isdown import` run while it is up. Without them each process would serialise
 * only its own read-modify-writes, and an import adding to a list the bot was adding to at the
 * same moment would lose one of the two. Taking a lease is one statement that succeeds only when
 * the row is absent or expired; SQLite runs one writer at a time, so two processes can never both
 * hold it. Expiry is by the clock of the one machine that holds the file.
 */
export function sqliteLeases(database: () => Database.Database, table: string): LeaseBackend {
  const t = `${table}_leases`;
  let statements: { take: Database.Statement; renew: Database.Statement; release: Database.Statement } | undefined;
  const prepared = () => {
    if (statements) return statements;
    const db = database();
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (k TEXT PRIMARY KEY, token TEXT NOT NULL, expires INTEGER NOT NULL)`);
    statements = {
      take: db.prepare(`INSERT INTO ${t} (k, token, expires) VALUES (?, ?, ?) ON CONFLICT (k) DO UPDATE SET token = excluded.token, expires = excluded.expires WHERE ${t}.expires < ?`),
      renew: db.prepare(`UPDATE ${t} SET expires = ? WHERE k = ? AND token = ?`),
      release: db.prepare(`DELETE FROM ${t} WHERE k = ? AND token = ?`),
    };
    return statements;
  };
  return {
    async tryAcquire(key, token, ttlMs) {
      const now = Date.now();
      return prepared().take.run(key, token, now + ttlMs, now).changes === 1;
    },
    async renew(key, token, ttlMs) {
      return prepared().renew.run(Date.now() + ttlMs, key, token).changes === 1;
    },
    async release(key, token) {
      prepared().release.run(key, token);
    },
    async close() {
      // The database is the store's; it closes it.
      statements = undefined;
    },
  };
}
