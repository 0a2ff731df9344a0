import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStore } from '../../src/store/guarded.ts';
import { createNotifier } from '../../src/app/notifier.ts';
import { infoMessage, type Message } from '../../src/core/messages.ts';
import { DeliveryError, nextAttemptDelay, type ChatAdapter, type PlatformRef } from '../../src/core/notify.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import { createOutboxRepository, type OutboxEntry } from '../../src/store/outbox.ts';
import { settled } from '../support/notifier.ts';
import { until } from '../support/until.ts';

const channel: ChannelRef = { platform: 'test', tenant: 'T1', channel: 'C1' };

function entry(id: string, incidentId: string, title: string, reply?: string, at = 0): OutboxEntry {
  return {
    id,
    channel,
    incidentId,
    root: infoMessage(`root: ${title}`),
    ...(reply ? { reply: infoMessage(reply) } : {}),
    broadcast: false,
    createdAt: at,
    attempts: 0,
    nextAt: at,
    done: {},
  };
}

/** A platform that fails a scripted number of times, and records what it accepted. */
function flakyPlatform(failures: (DeliveryError | null)[]) {
  const accepted: string[] = [];
  let calls = 0;
  let n = 0;
  const maybeFail = () => {
    calls++;
    const f = failures.shift();
    if (f) throw f;
  };
  const adapter: ChatAdapter = {
    platform: 'test',
    async post(_to, m: Message): Promise<PlatformRef> {
      maybeFail();
      accepted.push(`post ${m.title}`);
      return { id: `m${++n}`, channel: 'C1' };
    },
    async update(_to, ref, m) {
      maybeFail();
      accepted.push(`update ${ref.id} ${m.title}`);
    },
    async reply(_to, parent, m) {
      maybeFail();
      accepted.push(`reply ${parent.id} ${m.title}`);
      return { id: `r${++n}`, channel: 'C1' };
    },
  };
  return { adapter, accepted, calls: () => calls };
}

describe('notifier and outbox', () => {
  it('an adapter that fails 5 times then succeeds: one delivery, in order, nothing left', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const fail = () => new DeliveryError('503 from platform');
    const platform = flakyPlatform([fail(), fail(), fail(), fail(), fail()]);
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, backoff: { baseMs: 2, maxMs: 10 }, log: () => {} });
    await notifier.enqueue([entry('i1:0:c', 'i1', 'down'), entry('i1:1:c', 'i1', 'partial', 'now partial'), entry('i1:2:c', 'i1', 'recovered', 'recovered')]);
    await settled(notifier);
    assert.deepEqual(platform.accepted, ['post root: down', 'update m1 root: partial', 'reply m1 now partial', 'update m1 root: recovered', 'reply m1 recovered']);
    assert.equal(platform.calls(), 5 + 5);
    assert.deepEqual(await outbox.pending(), []);
    await notifier.stop();
  });

  it('a failed thread reply is retried alone: the root is not edited twice', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const platform = flakyPlatform([null, null, new DeliveryError('rate limited', { retryAfterMs: 1 })]);
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, backoff: { baseMs: 1, maxMs: 5 }, log: () => {} });
    await notifier.enqueue([entry('a', 'i2', 'down'), entry('b', 'i2', 'worse', 'worse')]);
    await settled(notifier);
    assert.deepEqual(platform.accepted, ['post root: down', 'update m1 root: worse', 'reply m1 worse']);
    await notifier.stop();
  });

  it("honours the platform's Retry-After exactly", async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    let t = 1_000_000;
    const platform = flakyPlatform([new DeliveryError('ratelimited', { retryAfterMs: 30_000 })]);
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, now: () => t, log: () => {} });
    await notifier.enqueue([entry('x', 'i3', 'down', undefined, t)]);
    await until(async () => (await outbox.pending())[0]?.attempts === 1, 'the first attempt recorded');
    const [saved] = await outbox.pending();
    assert.equal(saved!.attempts, 1);
    assert.equal(saved!.nextAt, t + 30_000);
    assert.equal(saved!.lastError, 'ratelimited');
    await notifier.stop();
    t += 30_000;
  });

  it('enqueueing the same event twice, or after it was sent, delivers it once', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const platform = flakyPlatform([]);
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, log: () => {} });
    await notifier.enqueue([entry('dup', 'i4', 'down')]);
    await notifier.enqueue([entry('dup', 'i4', 'down')]);
    await settled(notifier);
    await notifier.enqueue([entry('dup', 'i4', 'down')]);
    await settled(notifier);
    assert.deepEqual(platform.accepted, ['post root: down']);
    await notifier.stop();
  });

  it('resumes what a previous process left in the outbox', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    await outbox.enqueue([entry('left', 'i5', 'down')]);
    const platform = flakyPlatform([]);
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, log: () => {} });
    await notifier.resume();
    await settled(notifier);
    assert.deepEqual(platform.accepted, ['post root: down']);
    await notifier.stop();
  });

  it('a channel that is gone drops its queue and asks to pause its watches, once', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const platform = flakyPlatform([new DeliveryError('not_in_channel', { gone: true })]);
    const gone: string[] = [];
    const notifier = createNotifier({
      outbox,
      adapters: new Map([['test', platform.adapter]]),
      refTtlMs: 60_000,
      log: () => {},
      onChannelGone: async (c, reason) => void gone.push(`${c.channel} ${reason}`),
    });
    await notifier.enqueue([entry('g1', 'i6', 'down'), entry('g2', 'i6', 'still down', 'still')]);
    await settled(notifier);
    assert.deepEqual(gone, ['C1 not_in_channel']);
    assert.deepEqual(await outbox.pending(), []);
    await notifier.stop();
  });

  it('a platform not set up in this process (a deploy without its token) keeps its alerts and delivers them once it is back', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const gone: string[] = [];
    const first = createNotifier({ outbox, adapters: new Map(), refTtlMs: 60_000, backoff: { baseMs: 2, maxMs: 10 }, log: () => {}, onChannelGone: async (c) => void gone.push(c.channel) });
    await first.enqueue([entry('n1', 'i7', 'down'), entry('n2', 'i7', 'worse', 'worse')]);
    await until(async () => ((await outbox.pending())[0]?.attempts ?? 0) >= 2, 'two attempts recorded');
    assert.deepEqual(first.platforms(), { test: { ok: false, error: 'test is not set up in this process (is its token set?)', since: first.platforms().test!.since } });
    await first.stop();
    assert.deepEqual(gone, [], 'nothing was paused');
    assert.deepEqual((await outbox.pending()).map((e) => e.id), ['n1', 'n2'], 'nothing was dropped');
    // The next start has the platform again.
    const platform = flakyPlatform([]);
    const second = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, log: () => {} });
    await second.resume();
    await settled(second);
    assert.deepEqual(platform.accepted, ['post root: down', 'update m1 root: worse', 'reply m1 worse']);
    assert.deepEqual(second.platforms(), {});
    await second.stop();
  });

  it('a refused token keeps the alerts waiting, says so once, and delivers when it works again', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const refused = () => new DeliveryError('Slack refused the token (invalid_auth)', { unavailable: true, code: 'invalid_auth' });
    const platform = flakyPlatform([refused(), refused(), refused()]);
    const logs: string[] = [];
    const gone: string[] = [];
    let seenDown = false;
    const notifier = createNotifier({ outbox, adapters: new Map([['test', platform.adapter]]), refTtlMs: 60_000, backoff: { baseMs: 2, maxMs: 10 }, log: (l) => logs.push(l), onChannelGone: async (c) => void gone.push(c.channel) });
    await notifier.enqueue([entry('t1', 'i8', 'down')]);
    for (let i = 0; i < 200 && !seenDown; i++) {
      seenDown = notifier.platforms().test?.error === 'Slack refused the token (invalid_auth)';
      await new Promise((r) => setTimeout(r, 1));
    }
    await settled(notifier);
    assert.ok(seenDown, 'platforms() named it while it failed');
    assert.deepEqual(platform.accepted, ['post root: down']);
    assert.deepEqual(gone, []);
    assert.deepEqual(notifier.platforms(), {});
    assert.equal(logs.filter((l) => l.includes('wait: Slack refused the token')).length, 1, logs.join('\n'));
    assert.equal(logs.filter((l) => l.includes('delivering to test again')).length, 1);
    await notifier.stop();
  });

  it('asks the platform to look before posting only when an earlier attempt may have landed', async () => {
    const kv = memoryStore();
    const outbox = createOutboxRepository(kv);
    const seen: string[] = [];
    const recording = (fail: boolean): ChatAdapter => {
      let first = fail;
      return {
        platform: 'test',
        async post(_to, m, o) {
          seen.push(`${m.title} maybeSent=${Boolean(o.maybeSent)}`);
          if (first) {
            first = false;
            throw new DeliveryError('timed out');
          }
          return { id: 'm1', channel: 'C1' };
        },
        async update() {},
        async reply(_to, _p, _m, o) {
          seen.push(`reply maybeSent=${Boolean(o.maybeSent)}`);
          return { id: 'r1', channel: 'C1' };
        },
      };
    };
    const fresh = createNotifier({ outbox, adapters: new Map([['test', recording(true)]]), refTtlMs: 60_000, backoff: { baseMs: 1, maxMs: 2 }, log: () => {} });
    await fresh.enqueue([entry('f1', 'i9', 'first')]);
    await settled(fresh);
    await fresh.stop();
    // What a previous process left behind may have reached the platform already.
    await outbox.enqueue([entry('left1', 'i10', 'left', 'reply')]);
    const next = createNotifier({ outbox, adapters: new Map([['test', recording(false)]]), refTtlMs: 60_000, log: () => {} });
    await next.resume();
    await settled(next);
    await next.stop();
    assert.deepEqual(seen, ['root: first maybeSent=false', 'root: first maybeSent=true', 'root: left maybeSent=true', 'reply maybeSent=true']);
  });

  it('backoff grows exponentially with jitter, capped, and Retry-After wins', () => {
    const b = { baseMs: 1_000, maxMs: 60_000 };
    assert.equal(nextAttemptDelay(1, b, undefined, () => 1), 1_000);
    assert.equal(nextAttemptDelay(4, b, undefined, () => 1), 8_000);
    assert.equal(nextAttemptDelay(20, b, undefined, () => 1), 60_000);
    assert.equal(nextAttemptDelay(4, b, undefined, () => 0), 500);
    assert.equal(nextAttemptDelay(4, b, 12_345, () => 1), 12_345);
  });
});
