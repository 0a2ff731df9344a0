import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addReport, CROWD, summarise, type CrowdReport } from '../../src/core/crowd.ts';

const min = 60_000;

describe('crowd reports (pure, fake clock)', () => {
  it('takes one report per user per 15 minutes', () => {
    let list: CrowdReport[] = [];
    const first = addReport(list, { tenant: 'T1', user: 'u1', at: 0 });
    assert.equal(first.accepted, true);
    list = first.list;
    const again = addReport(list, { tenant: 'T1', user: 'u1', at: 5 * min });
    assert.deepEqual(again.accepted ? null : again.retryInMs, 10 * min);
    const later = addReport(list, { tenant: 'T1', user: 'u1', at: 15 * min });
    assert.equal(later.accepted, true);
  });

  it('tells users apart per tenant', () => {
    const a = addReport([], { tenant: 'T1', user: 'u1', at: 0 });
    const b = addReport(a.list, { tenant: 'T2', user: 'u1', at: 1 });
    assert.equal(b.accepted, true);
    assert.deepEqual(summarise(b.list, 2), { reports: 2, teams: 2, windowMs: CROWD.summaryWindowMs });
  });

  it('forgets reports after an hour and summarises the last 30 minutes', () => {
    const list: CrowdReport[] = [
      { tenant: 'A', user: 'x', at: 0 },
      { tenant: 'B', user: 'y', at: 40 * min },
      { tenant: 'B', user: 'z', at: 50 * min },
    ];
    assert.deepEqual(summarise(list, 60 * min), { reports: 2, teams: 1, windowMs: 30 * min });
    const pruned = addReport(list, { tenant: 'C', user: 'w', at: 61 * min });
    assert.equal(pruned.list.length, 3, 'the report from minute 0 expired');
  });
});
