import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'libsql';
import { sqliteLeases } from '../../src/store/lease-sqlite.ts';
import { scratchDir } from '../support/run-isdown.ts';

describe('leases on the embedded store', () => {
  const path = join(scratchDir(), 's.sqlite');
  const a = sqliteLeases(path, 't', 1_000);
  const b = sqliteLeases(path, 't', 1_000);
  const raw = () => new Database(`${path}.locks`);
  after(async () => {
    await a.close();
    await b.close();
  });

  it('a lease held by a process that was killed is taken at once, one held by a live process is not', async () => {
    assert.equal(await a.tryAcquire('init', 'x', 1_000), true);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      const db = raw();
      db.prepare('INSERT INTO t_leases (k, token, holder, expires) VALUES (?, ?, ?, ?)').run('k', 'theirs', `${child.pid}:a-name`, Date.now() + 60_000);
      db.close();
      assert.equal(await a.tryAcquire('k', 'mine', 15_000), false, 'its holder is alive');
      child.kill('SIGKILL');
      await exited;
      assert.equal(await a.tryAcquire('k', 'mine', 15_000), true, 'its holder is gone');
      assert.equal(await b.tryAcquire('k', 'other', 15_000), false, 'and now it is held, by this process');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('an earlier process that had this pid (a container restarted as pid 1) holds nothing', async () => {
    const db = raw();
    db.prepare('INSERT INTO t_leases (k, token, holder, expires) VALUES (?, ?, ?, ?)').run('same-pid', 'before', `${process.pid}:an-earlier-name`, Date.now() + 60_000);
    db.close();
    assert.equal(await a.tryAcquire('same-pid', 'now', 15_000), true);
  });
});
