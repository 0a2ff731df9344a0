import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/app/config.ts';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import type { ProbeResult } from '../../src/core/types.ts';
import { monitorKey } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';


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
    const healthy = new Map<string, number>();
    const never = new Promise<ProbeResult[]>(() => {});
    const probe = async (req: { url: string }): Promise<ProbeResult[]> => {
      if (req.url.includes('stuck.example')) return never;
      healthy.set(req.url, Date.now());
      return answered(req.url, Date.now());
    };
    const watcher = bareScheduler({ repo, probe, concurrency: defaults.checkConcurrency, perHostConcurrency: defaults.hostConcurrency });
    // Everyone due now, as after a hand-over.
    await watcher.start({ catchUpMs: 120_000 });
    const started = Date.now();
    watcher.tick();
    for (let i = 0; i < 100 && healthy.size < 100; i++) await new Promise((r) => setTimeout(r, 20));
    const running = watcher.stats().running;
    // stop() would wait for the stuck checks; the test is over, so it is not awaited.
    void watcher.stop();
    assert.equal(healthy.size, 100, `every healthy monitor was checked (${healthy.size} were; ${running} checks in flight)`);
    const lastMs = Math.max(...healthy.values()) - started;
    assert.ok(lastMs < 2_000, `the last healthy check started ${lastMs} ms late`);
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
    for (let i = 0; i < 100 && probed.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const seen = [...probed];
    const waiting = writesWaiting;
    open();
    await watcher.stop();
    assert.ok(waiting >= 1, 'the first result reached the store');
    assert.equal(seen.length, 2, 'the second check of the host ran while the first result was still being written');
  });
});
