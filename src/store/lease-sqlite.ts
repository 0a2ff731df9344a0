import { randomUUID } from 'node:crypto';
import Database from 'libsql';
import type { LeaseBackend } from './locks.ts';

/** Who holds a lease: this process's pid and a name no earlier process with that pid had. */
const HOLDER = `${process.pid}:${randomUUID()}`;

/**
 * A holder that is certainly dead: its pid runs nothing, or is ours while the name is not (a
 * container restarts its process as pid 1 again). Every process sharing the file runs on this
 * machine, so asking the kernel is an answer; anything else counts as alive and waits out the lease.
 */
function holderGone(holder: string): boolean {
  const colon = holder.indexOf(':');
  const pid = colon > 0 ? Number(holder.slice(0, colon)) : NaN;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return holder !== HOLDER;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Leases in a table beside the embedded store's, for the processes that share one SQLite file:
 * the bot and an `isdown import` run while it is up. Without them each process would serialise
 * only its own read-modify-writes, and an import adding to a list the bot was adding to at the
 * same moment would lose one of the two. Taking a lease is one statement that succeeds only when
 * the row is absent or expired; SQLite runs one writer at a time, so two processes can never both
 * hold it. Expiry is by the clock of the one machine that holds the file.
 *
 * They live in a file of their own beside the store's (`<store>.locks`), written without syncing:
 * a lease matters only while its holder lives, so none needs to survive a power cut, and in the
 * store's own file each lease would be a commit counting toward the next synced checkpoint (one
 * add in eighty paid one, 10 ms at the 99th percentile, where local locks gave 1 ms).
 *
 * A process killed while holding a lease (kill -9, out of memory) would block that key until the
 * lease expired, 15 s, after a restart; a lease whose holder is gone is taken at once instead.
 */
export function sqliteLeases(path: string, table: string, busyTimeoutMs: number): LeaseBackend {
  const t = `${table}_leases`;
  let db: Database.Database | undefined;
  let statements: { take: Database.Statement; holder: Database.Statement; renew: Database.Statement; release: Database.Statement } | undefined;
  const prepared = () => {
    if (statements) return statements;
    db ??= new Database(`${path}.locks`, { timeout: busyTimeoutMs });
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = OFF');
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (k TEXT PRIMARY KEY, token TEXT NOT NULL, holder TEXT NOT NULL, expires INTEGER NOT NULL)`);
    statements = {
      take: db.prepare(
        `INSERT INTO ${t} (k, token, holder, expires) VALUES (?, ?, ?, ?) ON CONFLICT (k) DO UPDATE SET token = excluded.token, holder = excluded.holder, expires = excluded.expires WHERE ${t}.expires < ?`,
      ),
      holder: db.prepare(`SELECT token, holder FROM ${t} WHERE k = ?`),
      renew: db.prepare(`UPDATE ${t} SET expires = ? WHERE k = ? AND token = ?`),
      release: db.prepare(`DELETE FROM ${t} WHERE k = ? AND token = ?`),
    };
    return statements;
  };
  return {
    async tryAcquire(key, token, ttlMs) {
      const st = prepared();
      const take = () => {
        const now = Date.now();
        return st.take.run(key, token, HOLDER, now + ttlMs, now).changes === 1;
      };
      if (take()) return true;
      const held = st.holder.get(key) as { token: string; holder: string } | undefined;
      if (!held || !holderGone(held.holder)) return false;
      st.release.run(key, held.token);
      return take();
    },
    async renew(key, token, ttlMs) {
      return prepared().renew.run(Date.now() + ttlMs, key, token).changes === 1;
    },
    async release(key, token) {
      prepared().release.run(key, token);
    },
    async close() {
      statements = undefined;
      db?.close();
      db = undefined;
    },
  };
}
