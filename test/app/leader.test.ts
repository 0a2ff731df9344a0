import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { electLeader } from '../../src/app/leader.ts';
import type { LeaseBackend } from '../../src/store/locks.ts';
import { until } from '../support/until.ts';

/** Leases in memory with the store's semantics, and a switch to make the store unreachable. */
function memoryLeases() {
  const held = new Map<string, { token: string; until: number }>();
  let down = false;
  const backend: LeaseBackend & { down(v: boolean): void; steal(key: string): void } = {
    async tryAcquire(key, token, ttl) {
      if (down) throw new Error('connection refused');
      const h = held.get(key);
      if (h && h.until > Date.now()) return false;
      held.set(key, { token, until: Date.now() + ttl });
      return true;
    },
    async renew(key, token, ttl) {
      if (down) throw new Error('connection refused');
      const h = held.get(key);
      if (!h || h.token !== token) return false;
      h.until = Date.now() + ttl;
      return true;
    },
    async release(key, token) {
      if (held.get(key)?.token === token) held.delete(key);
    },
    async close() {},
    down: (v) => (down = v),
    steal: (key) => held.set(key, { token: 'thief', until: Date.now() + 60_000 }),
  };
  return backend;
}

describe('scheduler election', () => {
  it('elects one of several, hands over on a graceful stop, and says so when the lease is lost', async () => {
    const leases = memoryLeases();
    const elected: string[] = [];
    const lost: string[] = [];
    const make = (name: string) => electLeader({ leases, key: 'scheduler', ttlMs: 200, everyMs: 20, onElected: async () => void elected.push(name), onLost: (r) => lost.push(`${name}: ${r}`), log: () => {} });
    const a = make('a');
    await until(() => elected.length === 1, 'one elected');
    const b = make('b');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(elected, ['a'], 'only one');
    assert.equal(b.leading, false);
    await a.stop();
    await until(() => elected.length === 2, 'a successor elected');
    assert.deepEqual(elected, ['a', 'b']);
    leases.steal('scheduler');
    await until(() => lost.length === 1, 'the lost lease reported');
    assert.match(lost[0]!, /^b: another process holds the scheduler lease/);
    await b.stop();
  });

  it('a leader that cannot reach the store steps down', async () => {
    const leases = memoryLeases();
    const lost: string[] = [];
    const l = electLeader({ leases, key: 's', ttlMs: 200, everyMs: 20, onElected: async () => {}, onLost: (r) => lost.push(r), log: () => {} });
    await until(() => l.leading, 'leading');
    leases.down(true);
    await until(() => lost.length === 1, 'the lost lease reported');
    assert.match(lost[0]!, /the store did not answer: connection refused/);
    assert.equal(l.leading, false);
    await l.stop();
  });

  it('keeps renewing while the new scheduler loads for longer than the lease', async () => {
    const leases = memoryLeases();
    const lost: string[] = [];
    let loaded = false;
    const slowLoad = () => new Promise<void>((r) => setTimeout(() => ((loaded = true), r()), 600));
    const a = electLeader({ leases, key: 'slow', ttlMs: 200, everyMs: 20, onElected: slowLoad, onLost: (r) => lost.push(r), log: () => {} });
    await until(() => a.leading, 'a leads');
    const b = electLeader({ leases, key: 'slow', ttlMs: 200, everyMs: 20, onElected: async () => {}, onLost: (r) => lost.push(r), log: () => {} });
    await until(() => loaded, 'loaded');
    assert.equal(b.leading, false, 'the standby never got the lease while the leader loaded');
    assert.equal(a.leading, true);
    assert.deepEqual(lost, []);
    await b.stop();
    await a.stop();
  });
});
