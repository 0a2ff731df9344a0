import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/app/config.ts';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import type { ProbeResult } from '../../src/core/types.ts';
import { monitorKey } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { slotWidth, spreadPhase } from '../../src/app/watcher.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';
import { until } from '../support/until.ts';


describe('one host that never answers', () => {
  it('does not hold up checks of other hosts, at the default concurrency settings', async () => {
    const defaults = loadConfig({});
    const repo = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
    const channel = { platform: 'test', tenant: 'T', channel: 'C' };
    // More monitors on the stuck host than there are global slots, added first so they are first in line.
    const stuck = defaults.checkConcurrency + 100;
    for (const [host, n] of [['stuck.example', stuck], ['healthy.example', 100]] as const) {
      for (let i = 0; i < n; i++) {
        const r = adhocTarget(`https://${host}/m${i}`, makePolicy());
        if (!r.ok) throw new Error(r.message);
        await repo.watch({ key: monitorKey(r.target.id, {}), target: r.target }, { channel, everyMs: 60_000, createdBy: 'U', createdAt: 0 });
      }
    }
    const healthy = new Set<string>();
    const never = new Promise<ProbeResult[]>(() => {});
    const probe = async (req: { url: string }): Promise<ProbeResult[]> => {
      if (req.url.includes('stuck.example')) return never;
      healthy.add(req.url);
      return answered(req.url, Date.now());
    };
    const watcher = bareScheduler({ repo, probe, concurrency: defaults.checkConcurrency, perHostConcurrency: defaults.hostConcurrency });
    // Everyone due now, as after a hand-over.
    await watcher.start({ catchUpMs: 120_000 });
    watcher.tick();
    try {
      // The stuck checks never end, so a healthy check queued behind them would never start: the
      // wait is a bound on a hang, not a measure of speed.
      await until(() => healthy.size === 100, () => `every healthy monitor checked (${healthy.size} were; ${watcher.stats().running} checks in flight)`, { withinMs: 10_000 });
      const running = watcher.stats().running;
      assert.ok(running >= defaults.hostConcurrency, `the stuck host still holds its slots (${running} checks in flight)`);
    } finally {
      // stop() would wait for the stuck checks; the test is over, so it is not awaited.
      void watcher.stop();
    }
  });
});

describe("a host's check slots", () => {
  it('are held for the request only, not while the store takes the result', async () => {
    const inner = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
    const channel = { platform: 'test', tenant: 'T', channel: 'C' };
    for (const path of ['a', 'b']) {
      const r = adhocTarget(`https://one-host.example/${path}`, makePolicy());
      if (!r.ok) throw new Error(r.message);
      await inner.watch({ key: monitorKey(r.target.id, {}), target: r.target }, { channel, everyMs: 60_000, createdBy: 'U', createdAt: 0 });
    }
    // A store that takes its time with the first result: the write waits on a gate.
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    let writesWaiting = 0;
    const repo = { ...inner, saveState: async (key: string, state: Parameters<typeof inner.saveState>[1]) => { writesWaiting++; await gate; return inner.saveState(key, state); } };
    const probed: string[] = [];
    const probe = async (req: { url: string }): Promise<ProbeResult[]> => {
      probed.push(req.url);
      return answered(req.url, Date.now());
    };
    const watcher = bareScheduler({ repo, probe, concurrency: 10, perHostConcurrency: 1 });
    await watcher.start({ catchUpMs: 120_000 });
    watcher.tick();
    try {
      await until(() => probed.length >= 2, () => `the second check of the host, while the first result was still being written (${probed.length} checked)`, { withinMs: 10_000 });
      assert.ok(writesWaiting >= 1, 'the first result reached the store');
      assert.equal(probed.length, 2, 'the host checked twice, no more');
    } finally {
      open();
      await watcher.stop();
    }
  });
});

describe('launch slots', () => {
  it('are 50 ms wide with many checks a second and up to 1 s with few', () => {
    assert.equal(slotWidth(1_000 / 60), 1_000); // 1,000 monitors @60 s
    assert.equal(slotWidth(10_000 / 60), 150);
    assert.equal(slotWidth(50_000 / 60), 50);
    assert.equal(slotWidth(0), 1_000);
    for (let rate = 1; rate < 2_000; rate *= 1.7) assert.ok(slotWidth(rate * 1.7) <= slotWidth(rate), `wider slots at ${rate * 1.7}/s than at ${rate}/s`);
  });

  it('with few monitors, checks due within the same second start in one turn, none before it is due', async () => {
    const repo = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
    const channel = { platform: 'test', tenant: 'T', channel: 'C' };
    const interval = 60_000;
    // Four monitors whose places in the minute fall in one second, at least 200 ms apart, and all
    // within the second a tick looks ahead from a clock 20 ms before it.
    const chosen: { key: string; url: string; offset: number }[] = [];
    const second = 30;
    for (let i = 0; chosen.length < 4 && i < 100_000; i++) {
      // One monitor a host: each has its host's first phase.
      const r = adhocTarget(`https://spread${i}.example/`, makePolicy());
      if (!r.ok) throw new Error(r.message);
      const key = monitorKey(r.target.id, {});
      const offset = spreadPhase(`spread${i}.example ${interval}`, 0, interval);
      if (offset <= second * 1_000 || offset >= second * 1_000 + 950) continue;
      if (chosen.some((c) => Math.abs(c.offset - offset) < 200)) continue;
      chosen.push({ key, url: r.target.urls[0]!, offset });
      await repo.watch({ key, target: r.target }, { channel, everyMs: interval, createdBy: 'U', createdAt: 0 });
    }
    assert.equal(chosen.length, 4);
    // The clock stands 20 ms before that second of the minute until the tick, and runs from
    // there: however long start() takes on a loaded machine, the tick sees all four ahead of it.
    const minute = Math.ceil(Date.now() / interval) * interval;
    const before = minute + second * 1_000 - 20;
    let tickedAt: number | undefined = undefined;
    const now = () => (tickedAt === undefined ? before : before + (Date.now() - tickedAt));
    // "One turn" is counted, not timed: the first check to start asks for a callback after the
    // current turn of the event loop, which counts the checks started by then. A timer a monitor
    // would start them in four turns, 200 ms apart.
    const started = new Map<string, number>();
    let inFirstTurn: number | undefined;
    const probe = async (req: { url: string }): Promise<ProbeResult[]> => {
      if (started.size === 0) setImmediate(() => (inFirstTurn = started.size));
      started.set(req.url, now());
      return answered(req.url, Date.now());
    };
    const watcher = bareScheduler({ repo, probe, concurrency: 10, perHostConcurrency: 10, now });
    await watcher.start();
    tickedAt = Date.now();
    watcher.tick();
    try {
      await until(() => inFirstTurn !== undefined, 'the first check of the slot', { withinMs: 10_000 });
    } finally {
      await watcher.stop();
    }
    assert.equal(started.size, 4, 'every monitor due in that second was checked');
    assert.equal(inFirstTurn, 4, 'the four checks started in one turn of the event loop');
    const lastDue = Math.max(...chosen.map((c) => c.offset));
    for (const c of chosen) {
      const at = started.get(c.url)! - minute;
      assert.ok(at >= c.offset, `m at ${c.offset} started at ${at}, before it was due`);
      // Its slot ends when the last of them is due, a second at most after the first.
      assert.ok(at >= lastDue, `m at ${c.offset} started at ${at}, before the slot of the last (${lastDue}) was over`);
      assert.ok(at < second * 1_000 + interval, `m at ${c.offset} started at ${at}, a round late`);
    }
  });
});

describe("a host's monitors", () => {
  it('are spread evenly over their interval, each new one in the largest gap, none placed before moving', () => {
    const interval = 60_000;
    const phases: number[] = [];
    for (let n = 1; n <= 64; n++) {
      phases.push(spreadPhase('api.example.com 60000', n - 1, interval));
      const sorted = [...phases].sort((a, b) => a - b);
      const gaps = sorted.map((p, i) => (i + 1 < sorted.length ? sorted[i + 1]! : sorted[0]! + interval) - p);
      // Within 2x of even spacing at every count (hash-random phases leave gaps of several times that).
      assert.ok(Math.max(...gaps) <= (2 * interval) / n + 1, `${n} monitors: a gap of ${Math.max(...gaps)} ms`);
      assert.equal(new Set(phases).size, n, 'no two share a phase');
    }
    assert.deepEqual(phases.slice(0, 4).map((p) => (p - phases[0]! + interval) % interval), [0, 30_000, 15_000, 45_000]);
    // Another host (or interval) starts elsewhere in the minute.
    assert.notEqual(spreadPhase('www.example.com 60000', 0, interval), phases[0]);
  });

  it('are checked evenly spaced by the scheduler, in the order they were made', async () => {
    const repo = createMonitorRepository(memoryStore(), { retentionMs: 86_400_000 });
    const channel = { platform: 'test', tenant: 'T', channel: 'C' };
    const interval = 60_000;
    const urls: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = adhocTarget(`https://even.example/path${i}`, makePolicy());
      if (!r.ok) throw new Error(r.message);
      urls.push(r.target.urls[0]!);
      await repo.watch({ key: monitorKey(r.target.id, {}), target: r.target }, { channel, everyMs: interval, createdBy: 'U', createdAt: 100 + i });
    }
    // One scheduler per monitor, each with its clock stopped 400 ms before that monitor's place in
    // the minute: each must check that monitor, and none of the others, in the second ahead.
    const base = Math.ceil(Date.now() / interval) * interval;
    const seen = await Promise.all(
      urls.map(async (_, i) => {
        const at = base + spreadPhase(`even.example ${interval}`, i, interval) - 400;
        const probed: string[] = [];
        const probe = async (req: { url: string }): Promise<ProbeResult[]> => {
          probed.push(req.url);
          return answered(req.url, Date.now());
        };
        const watcher = bareScheduler({ repo, probe, concurrency: 10, perHostConcurrency: 10, now: () => at });
        await watcher.start();
        watcher.tick();
        for (let t = 0; t < 150 && probed.length === 0; t++) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 30));
        await watcher.stop();
        return probed;
      }),
    );
    assert.deepEqual(seen, urls.map((u) => [u]), 'the i-th monitor made is the one due at the i-th phase of its host');
  });
});
