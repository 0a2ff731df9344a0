import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommand } from '../../src/core/commands.ts';
import { graceOf, heartbeatVerdict, pushCheckEvery, pushTarget } from '../../src/core/heartbeat.ts';
import { clockFormat } from '../../src/core/incident.ts';

const clock = clockFormat('UTC');
const T0 = Date.UTC(2026, 10, 27, 2, 0);
const HOUR = 3_600_000;

describe('heartbeat watches', () => {
  it('parse as "watch push <name> [every …]", up to 30 days, and take nothing else', () => {
    assert.deepEqual(parseCommand('watch push Nightly-Backup every 1h'), { ok: true, command: { kind: 'watch', target: 'nightly-backup', push: true, everyMs: HOUR, everyText: '1h' } });
    assert.deepEqual(parseCommand('watch push weekly every 7d'), { ok: true, command: { kind: 'watch', target: 'weekly', push: true, everyMs: 7 * 24 * HOUR, everyText: '7d' } });
    const refusals: [string, RegExp][] = [
      ['watch push', /Name the heartbeat/],
      ['watch push every 1h', /Name the heartbeat/],
      ['watch push "bad name!"', /not a heartbeat name/],
      ['watch push job every 31d', /between 30 s and 30 d/],
      ['watch push job expect ok', /takes only "every".*expect "ok" is for checks isdown makes/],
    ];
    for (const [text, why] of refusals) {
      const r = parseCommand(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.error, why, text);
    }
  });

  it("belong to their channel: two channels' jobs of one name are two monitors", () => {
    const a = pushTarget({ platform: 'slack', tenant: 'T1', channel: 'C1' }, 'backup');
    const b = pushTarget({ platform: 'slack', tenant: 'T2', channel: 'C1' }, 'backup');
    assert.notEqual(a.id, b.id);
    assert.equal(a.name, 'backup');
  });

  it('is down only after the period and its grace, up again with the next beat, and says why', () => {
    assert.equal(graceOf(HOUR), 12 * 60_000);
    assert.equal(pushCheckEvery(HOUR), 60_000);
    assert.equal(pushCheckEvery(4_000), 1_000);
    const beat = { at: T0 };
    const at = (ms: number) => heartbeatVerdict('backup', beat, HOUR, T0 - HOUR, T0 + ms, clock);
    assert.equal(at(HOUR + 12 * 60_000).state, 'up', 'still inside the grace');
    const late = at(HOUR + 12 * 60_000 + 1);
    assert.equal(late.state, 'down');
    assert.equal(late.summary, 'backup missed its heartbeat: no heartbeat since 02:00 (expected every 1 h, 12 min grace).');
    assert.equal(heartbeatVerdict('backup', { at: T0 + 2 * HOUR }, HOUR, T0, T0 + 2 * HOUR + 5, clock).state, 'up');
  });

  it('counts the first period from when the watch began, and believes a job that says it failed', () => {
    const waiting = heartbeatVerdict('backup', undefined, HOUR, T0, T0 + 30 * 60_000, clock);
    assert.deepEqual([waiting.state, waiting.summary], ['up', 'backup is waiting for its first heartbeat (expected every 1 h, 12 min grace).']);
    const never = heartbeatVerdict('backup', undefined, HOUR, T0, T0 + 2 * HOUR, clock);
    assert.match(never.summary, /no heartbeat yet since the watch began at 02:00/);
    const failed = heartbeatVerdict('backup', { at: T0, down: true, message: 'disk full' }, HOUR, T0, T0 + 1, clock);
    assert.deepEqual([failed.state, failed.summary], ['down', 'backup reported a failure at 02:00: disk full']);
  });
});
