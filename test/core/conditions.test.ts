import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failedJsonCondition, parseJsonCondition, type JsonCondition } from '../../src/core/conditions.ts';
import { describeOptions, monitorKey } from '../../src/core/watch.ts';

const cond = (text: string): JsonCondition => {
  const c = parseJsonCondition(text);
  assert.ok(c.ok, text);
  return c.value;
};

describe('JSON body conditions', () => {
  const doc = { status: 'UP', checks: [{ name: 'db', ok: true, depth: 12 }], version: 3, 'odd key': 'x', nothing: null };
  const holds = ['$.status == UP', '$.status != DOWN', '$.checks[0].ok == true', '$.checks[0].depth < 100', '$.checks[0].depth >= 12', '$.version == 3', '$["odd key"] == x', '$.nothing == null'];
  for (const text of holds) it(`"${text}" holds`, () => assert.equal(failedJsonCondition(doc, cond(text)), null));

  const fails: [string, string][] = [
    ['$.status == DOWN', '$.status is "UP", not == DOWN'],
    ['$.checks[0].depth > 100', '$.checks[0].depth is 12, not > 100'],
    ['$.checks[3].ok == true', 'the answer has no $.checks[3].ok'],
    ['$.missing == 1', 'the answer has no $.missing'],
    ['$.checks == 1', '$.checks is a list, not == 1'],
    ['$.status > 1', '$.status is "UP", not > 1'],
    ['$.toString == 1', 'the answer has no $.toString'],
  ];
  for (const [text, why] of fails) it(`"${text}" fails and says why`, () => assert.equal(failedJsonCondition(doc, cond(text)), why));

  it('reads a long hostile condition in one pass (no backtracking)', () => {
    const r = parseJsonCondition(`$${'.a'.repeat(95)} == 1`);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /at most 32 steps/);
  });
});

describe('watch options', () => {
  it('keeps the keys of monitors made before the new options existed', () => {
    // Pinned: a key change would split every existing monitor from its state and incidents.
    assert.equal(monitorKey('github', {}), 'a79a42d901094c8446f9');
    assert.equal(monitorKey('github', { status: '200-299,401' }), '4408c160ec030e018d37');
    assert.equal(monitorKey('github', { status: '200-299,401' }), monitorKey('github', { status: '200-299,401', method: 'GET' }));
    assert.notEqual(monitorKey('github', {}), monitorKey('github', { method: 'HEAD' }));
    assert.notEqual(monitorKey('github', { json: '$.a == 1' }), monitorKey('github', { json: '$.a == 2' }));
    assert.notEqual(monitorKey('github', { slowerThanMs: 1_000 }), monitorKey('github', {}));
  });

  it('describes them in the words one would type', () => {
    assert.deepEqual(describeOptions({ method: 'POST', headers: ['X-Key: $ISDOWN_HEADER_KEY'], json: '$.ok == true', slowerThanMs: 1_500, status: '200' }), [
      'method POST',
      'header "X-Key: $ISDOWN_HEADER_KEY"',
      'status 200',
      'json "$.ok == true"',
      'slower than 1500ms',
    ]);
  });
});
