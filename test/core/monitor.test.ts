import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEvent, downtime, tellStory, type Incident } from '../../src/core/incident.ts';
import { advance, DEFAULT_THRESHOLDS, initialState, stateChanged, type AlertEvent, type MonitorEvent, type MonitorState } from '../../src/core/monitor.ts';
import type { VerdictState } from '../../src/core/types.ts';

const T = (hhmm: string, s = 0) => Date.UTC(2026, 10, 20, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3, 5)), s);

/** Drives the pure machine round by round on a fake clock, keeping the incident as the store would. */
function driver(start: number) {
  let state: MonitorState = initialState(start);
  let n = 0;
  const incidents = new Map<string, Incident>();
  const events: MonitorEvent[] = [];
  return {
    round(at: number, verdict: VerdictState, summary = `${verdict} at ${new Date(at).toISOString().slice(11, 16)}`) {
      const t = advance(state, { state: verdict, summary, reasons: [] }, at, DEFAULT_THRESHOLDS, () => `inc-${++n}`);
      state = t.state;
      for (const e of t.events) {
        events.push(e);
        if (e.type === 'recheck') continue;
        incidents.set(e.incidentId, applyEvent(incidents.get(e.incidentId), e, { monitorKey: 'm', targetId: 'example', service: 'Example' }));
      }
      return t.events;
    },
    get state() {
      return state;
    },
    events,
    incidents,
  };
}

const alerts = (events: readonly MonitorEvent[]) =>
  events.filter((e): e is AlertEvent => e.type !== 'recheck').map((e) => {
    const when = new Date(e.at).toISOString().slice(11, 16);
    switch (e.type) {
      case 'opened':
      case 'reopened':
        return `${e.type} ${e.health} ${when}${e.silent ? ' (silent)' : ''}`;
      case 'changed':
        return `changed ${e.from}→${e.to} ${when}${e.silent ? ' (silent)' : ''}`;
      case 'flapping':
        return `flapping ${e.flips} ${when}`;
      case 'recovered':
        return `recovered ${when}${e.silent ? ' (silent)' : ''}`;
    }
  });

describe('the outage story from DESIGN.md, every five minutes', () => {
  const d = driver(T('11:00'));
  it('stays quiet while up', () => {
    assert.deepEqual(d.round(T('11:13'), 'up'), []);
    assert.deepEqual(d.round(T('11:18'), 'up'), []);
  });
  it('11:23 first failure: a quick re-check, no alert yet', () => {
    assert.deepEqual(d.round(T('11:23'), 'down'), [{ type: 'recheck', inMs: 10_000 }]);
  });
  it('11:23:10 the re-check confirms: one incident opens, dated 11:23', () => {
    assert.deepEqual(alerts(d.round(T('11:23', 10), 'down')), ['opened down 11:23']);
  });
  it('stays down without repeating itself', () => {
    for (const t of ['11:28', '11:33', '11:58']) assert.deepEqual(d.round(T(t), 'down'), []);
  });
  it('12:04 answers again: one good round is not yet a recovery', () => {
    assert.deepEqual(d.round(T('12:04'), 'up'), []);
  });
  it('12:09 second good round: recovered, dated 12:04', () => {
    assert.deepEqual(alerts(d.round(T('12:09'), 'up')), ['recovered 12:04']);
  });
  it('12:15 unavailable again: the same incident reopens instead of a new one', () => {
    assert.deepEqual(d.round(T('12:15'), 'down'), [{ type: 'recheck', inMs: 10_000 }]);
    assert.deepEqual(alerts(d.round(T('12:15', 10), 'down')), ['reopened down 12:15']);
  });
  it('12:58 server errors for some users: partial, confirmed at 13:03', () => {
    assert.deepEqual(d.round(T('12:58'), 'partial'), []);
    assert.deepEqual(alerts(d.round(T('13:03'), 'partial')), ['changed down→partial 12:58']);
  });
  it('13:10 degraded, confirmed at 13:15', () => {
    d.round(T('13:10'), 'degraded');
    assert.deepEqual(alerts(d.round(T('13:15'), 'degraded')), ['changed partial→degraded 13:10']);
  });
  it('13:20 recovers for good', () => {
    d.round(T('13:20'), 'up');
    assert.deepEqual(alerts(d.round(T('13:25'), 'up')), ['recovered 13:20']);
  });
  it('emitted exactly these alerts, in order, for one incident', () => {
    assert.deepEqual(alerts(d.events), [
      'opened down 11:23',
      'recovered 12:04',
      'reopened down 12:15',
      'changed down→partial 12:58',
      'changed partial→degraded 13:10',
      'recovered 13:20',
    ]);
    assert.equal(d.incidents.size, 1);
  });
  it('tells the incident back like the report', () => {
    const inc = [...d.incidents.values()][0]!;
    assert.equal(tellStory(inc, T('14:00')), 'Down 11:23–12:04 (41 min) · briefly up · down again 12:15–12:58 · partially down until 13:10 · degraded until 13:20 · total 1 h 57 min');
    assert.equal(downtime(inc, T('14:00')), (41 + 55 + 10) * 60_000);
  });
});

describe('flapping', () => {
  it('more than 3 flips in 30 minutes is one flapping incident, then quiet, then one recovery', () => {
    const d = driver(T('10:00'));
    const pattern: [string, VerdictState][] = [
      ['10:01', 'down'], ['10:02', 'down'], // opened
      ['10:03', 'up'], ['10:04', 'up'], // recovered
      ['10:05', 'down'], ['10:06', 'down'], // reopened
      ['10:07', 'up'], ['10:08', 'up'], // 4th flip → flapping
      ['10:09', 'down'], ['10:10', 'down'], // recorded, silent
      ['10:11', 'up'], ['10:12', 'up'], // recorded, silent
    ];
    for (const [t, v] of pattern) d.round(T(t), v);
    assert.deepEqual(alerts(d.events), [
      'opened down 10:01',
      'recovered 10:03',
      'reopened down 10:05',
      'flapping 4 10:07',
      'changed up→down 10:09 (silent)',
      'changed down→up 10:11 (silent)',
    ]);
    assert.equal(d.state.incident?.open, true, 'flapping holds the incident open');
    // Quiet for the whole window: the incident closes once.
    for (let m = 13; m <= 45; m++) d.round(T(`10:${String(m).padStart(2, '0')}`), 'up');
    assert.deepEqual(alerts(d.events).slice(6), ['recovered 10:41']);
    assert.equal(d.state.flapping, false);
    const inc = [...d.incidents.values()][0]!;
    assert.match(tellStory(inc, T('11:00')), /^Down 10:01–10:03 \(2 min\) · briefly up · down again 10:05–10:07 · briefly up · down again 10:09–10:11 · briefly up · flapping · total 40 min$/);
  });
});

describe('silence and our own network', () => {
  it('an unknown round (our network failing) changes nothing', () => {
    const d = driver(T('09:00'));
    d.round(T('09:01'), 'down');
    const before = d.state;
    assert.deepEqual(d.round(T('09:02'), 'unknown'), []);
    assert.equal(d.state, before);
    assert.deepEqual(alerts(d.round(T('09:03'), 'down')), ['opened down 09:01']);
  });

  it('maintenance from the status page is its own state and alerts nobody', () => {
    const d = driver(T('09:00'));
    d.round(T('09:01'), 'maintenance');
    assert.deepEqual(d.round(T('09:02'), 'maintenance'), []);
    assert.equal(d.state.health, 'maintenance');
    assert.equal(d.state.incident, undefined);
  });

  it('a single bad round between good ones is never an alert', () => {
    const d = driver(T('09:00'));
    d.round(T('09:01'), 'down');
    d.round(T('09:01', 10), 'up');
    d.round(T('09:02'), 'up');
    assert.deepEqual(alerts(d.events), []);
  });

  it('trouble long after a recovery opens a new incident', () => {
    const d = driver(T('09:00'));
    for (const [t, v] of [['09:01', 'down'], ['09:02', 'down'], ['09:03', 'up'], ['09:04', 'up'], ['10:30', 'down'], ['10:31', 'down']] as const) d.round(T(t), v);
    assert.deepEqual(alerts(d.events), ['opened down 09:01', 'recovered 09:03', 'opened down 10:30']);
    assert.equal(d.incidents.size, 2);
  });
});

describe('what the state machine stores', () => {
  const v = (state: VerdictState, summary: string) => ({ state, summary, reasons: [] });
  it('a new monitor is "up" only by assumption until a round sees the target', () => {
    const s0 = initialState(T('11:00'));
    assert.equal(s0.unseen, true);
    const blind = advance(s0, v('unknown', 'my network failed'), T('11:01'), DEFAULT_THRESHOLDS, () => 'x');
    assert.equal(blind.state.unseen, true, 'our own network failing shows nothing of the target');
    const seen = advance(blind.state, v('up', '200 OK in 40 ms'), T('11:02'), DEFAULT_THRESHOLDS, () => 'x');
    assert.equal(seen.state.unseen, undefined);
    assert.ok(stateChanged(blind.state, seen.state));
  });

  it('a steady round changes nothing worth writing, though its summary differs', () => {
    let s = advance(initialState(T('11:00')), v('up', '200 OK in 40 ms'), T('11:01'), DEFAULT_THRESHOLDS, () => 'x').state;
    for (let i = 2; i < 10; i++) {
      const next = advance(s, v('up', `200 OK in ${40 + i} ms`), T('11:00') + i * 60_000, DEFAULT_THRESHOLDS, () => 'x').state;
      assert.equal(stateChanged(s, next), false, `round ${i}`);
      s = next;
    }
    const failing = advance(s, v('down', '503'), T('11:30'), DEFAULT_THRESHOLDS, () => 'x').state;
    assert.equal(stateChanged(s, failing), true, 'a first failure is a candidate: stored');
  });

  it('any stored field that changes counts, at any depth; the summary, key order and unset keys do not', () => {
    const base: MonitorState = { health: 'down', since: 1, flips: [1, 2], flapping: false, incident: { id: 'i1', open: true }, cert: { expiresAt: 5 }, lastSummary: 'a' };
    const same = (patch: Partial<MonitorState>) => stateChanged(base, { ...base, ...patch });
    assert.equal(same({ lastSummary: 'b' }), false);
    assert.equal(same({ candidate: undefined }), false, 'a key set to undefined is not stored');
    assert.equal(stateChanged(base, { lastSummary: 'z', cert: base.cert, incident: { open: true, id: 'i1' }, flapping: false, flips: [1, 2], since: 1, health: 'down' }), false);
    assert.equal(same({ flips: [1, 3] }), true);
    assert.equal(same({ flips: [1, 2, 3] }), true);
    assert.equal(same({ incident: { id: 'i1', open: false, closedAt: 9 } }), true);
    assert.equal(same({ cert: { expiresAt: 6 } }), true);
    assert.equal(same({ candidate: { health: 'up', rounds: 1, since: 2, summary: 'ok' } }), true);
    assert.equal(same({ unseen: true }), true);
  });
});
