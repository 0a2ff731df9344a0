import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue } from '../../src/core/store-port.ts';
import { channelId, type ChannelRef, type MonitorSpec } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';

const channel: ChannelRef = { platform: 'slack', tenant: 'T1', channel: 'C1' };
const keyOf = (i: number) => i.toString(16).padStart(20, '0').split('').reverse().join('');
const spec = (i: number): MonitorSpec => ({ key: keyOf(i), target: { id: `t${i}`, name: `site ${i}`, urls: [`https://s${i}.example/`] } as never });
const watch = (user = 'U1') => ({ channel, everyMs: 60_000, createdBy: user, createdAt: 0 });

/** Counts what each call writes, in bytes of JSON. */
function counting(kv: KeyValue) {
  const written: number[] = [];
  const store: KeyValue = {
    get: (k) => kv.get(k),
    has: (k) => kv.has(k),
    delete: (k) => kv.delete(k),
    async set(k, v, ttl) {
      written.push(JSON.stringify(v).length);
      await kv.set(k, v, ttl);
    },
  };
  return { store, written };
}

describe("a channel's and a person's watch lists", () => {
  it('the 2,000th watch of a channel rewrites one part of its lists, not the whole lists', async () => {
    const { store, written } = counting(memoryStore());
    const repo = createMonitorRepository(store, { retentionMs: 86_400_000 });
    const bytesOfAdd = async (i: number) => {
      written.length = 0;
      await repo.watch(spec(i), watch());
      return written.reduce((a, b) => a + b, 0);
    };
    for (let i = 0; i < 99; i++) await repo.watch(spec(i), watch());
    const at100 = await bytesOfAdd(99);
    for (let i = 100; i < 1_999; i++) await repo.watch(spec(i), watch());
    const at2000 = await bytesOfAdd(1_999);
    // One list per channel and per person made the 2,000th add rewrite both whole: ~130 KB, 20
    // times the 100th. Parts of 1/256th grow that slowly (~8 KB at 50,000 in one channel).
    assert.ok(at2000 < 2_000 && at2000 < at100 * 4, `100th add wrote ${at100} B, 2,000th wrote ${at2000} B`);
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 2_000, person: 2_000 });
    assert.equal((await repo.forChannel(channel)).length, 2_000);
  });

  it('counts and lists stay right through re-watching, a change of owner and unwatching', async () => {
    const repo = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
    for (let i = 0; i < 5; i++) await repo.watch(spec(i), watch());
    await repo.watch(spec(0), watch());
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 5, person: 5 });
    await repo.watch(spec(1), watch('U2'));
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 5, person: 4 });
    assert.deepEqual(await repo.counts(channel, 'U2'), { channel: 5, person: 1 });
    await repo.unwatch(keyOf(1), channel);
    await repo.unwatch(keyOf(2), channel);
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 3, person: 3 });
    assert.deepEqual(await repo.counts(channel, 'U2'), { channel: 3, person: 0 });
    assert.deepEqual((await repo.forChannel(channel)).map((r) => r.key).sort(), [keyOf(0), keyOf(3), keyOf(4)].sort());
  });

  it('reads a list written by an earlier version, and spreads it into parts on the next change', async () => {
    const kv = memoryStore();
    const repo = createMonitorRepository(kv, { retentionMs: 86_400_000 });
    for (let i = 0; i < 3; i++) await kv.set(`monitor:${keyOf(i)}`, { ...spec(i), watches: [watch()] });
    // The layout before: one list per channel and per person, under the plain name.
    await kv.set(`channel:${channelId(channel)}`, [keyOf(0), keyOf(1), keyOf(2)]);
    await kv.set('owner:slack:T1:U1', [0, 1, 2].map((i) => `${keyOf(i)}|${channelId(channel)}`));
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 3, person: 3 });
    assert.equal((await repo.forChannel(channel)).length, 3);

    await repo.watch(spec(3), watch());
    assert.equal(await kv.get(`channel:${channelId(channel)}`), undefined, 'the old list is gone once spread');
    assert.equal(await kv.get('owner:slack:T1:U1'), undefined);
    assert.deepEqual(await repo.counts(channel, 'U1'), { channel: 4, person: 4 });
    assert.deepEqual((await repo.forChannel(channel)).map((r) => r.key).sort(), [0, 1, 2, 3].map(keyOf).sort());
  });

  it('a size left wrong by a failure between two writes is put right by the next full read', async () => {
    const kv = memoryStore();
    const repo = createMonitorRepository(kv, { retentionMs: 86_400_000 });
    for (let i = 0; i < 4; i++) await repo.watch(spec(i), watch());
    await kv.set(`channel:${channelId(channel)}#size`, 7);
    assert.equal((await repo.counts(channel, 'U1')).channel, 7);
    assert.equal((await repo.forChannel(channel)).length, 4);
    assert.equal((await repo.counts(channel, 'U1')).channel, 4);
  });
});
