import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideVerdict, type VerdictInput } from '../../src/core/verdict.ts';
import type { VerdictState } from '../../src/core/types.ts';
import { failed, up } from './probe-results.ts';

interface Row {
  readonly name: string;
  readonly input: Omit<VerdictInput, 'name'>;
  readonly state: VerdictState;
  readonly summary: RegExp;
  readonly reason?: RegExp;
}

const walled = (status: number, statusText: string, refusal: 'auth' | 'challenge' | 'rate_limited') => ({ ...up(), status, statusText, refusal });

const rows: Row[] = [
  {
    name: 'a login wall (401): up, saying it will not serve a script',
    input: { probes: [walled(401, 'Unauthorized', 'auth')] },
    state: 'up',
    summary: /^example\.com is up: it answers, but will not serve an automated check \(401 Unauthorized in 143 ms, a login or permission wall\)\.$/,
  },
  {
    name: 'a bot challenge (403 + cf-mitigated): up',
    input: { probes: [walled(403, 'Forbidden', 'challenge')] },
    state: 'up',
    summary: /will not serve an automated check \(403 Forbidden in 143 ms, a bot challenge\)/,
  },
  {
    name: 'rate-limited from here (429): degraded, others probably fine',
    input: { probes: [walled(429, 'Too Many Requests', 'rate_limited')] },
    state: 'degraded',
    summary: /^example\.com is rate-limiting my checks \(429 Too Many Requests in 143 ms\); others are probably fine\.$/,
  },
  { name: 'answering fast', input: { probes: [up()] }, state: 'up', summary: /^example\.com is up — it's just you\. 200 OK in 143 ms\.$/ },
  { name: 'answering slowly', input: { probes: [up({ ms: 4_200 })] }, state: 'degraded', summary: /is slow: 200 OK in 4\.2 s \(over 3\.0 s\)/ },
  {
    name: 'failing, then answering on the re-check',
    input: { probes: [failed('timeout', { at: 0 }), up({ at: 2_000 })] },
    state: 'degraded',
    summary: /unreliable: 1 of 2 checks failed/,
  },
  {
    name: '503 three times, 2 s apart',
    input: { probes: [failed('http_5xx', { at: 0 }), failed('http_5xx', { at: 2_000 }), failed('http_5xx', { at: 4_000 })] },
    state: 'down',
    summary: /^example\.com is down for everyone: 503 Service Unavailable \(3 checks, 2 s apart\)\.$/,
  },
  {
    name: 'a 200 error page with forbidden text',
    input: { probes: [failed('forbidden_text', { status: 200, message: 'the page says "is currently down"' })] },
    state: 'down',
    summary: /200 OK, but the page says "is currently down"/,
  },
  {
    name: 'refused while the control targets answer',
    input: { probes: [failed('refused')], control: { checked: 2, failed: 0 } },
    state: 'down',
    summary: /down for everyone: connection refused/,
  },
  {
    name: 'refused while every control target fails too',
    input: { probes: [failed('timeout')], control: { checked: 3, failed: 3 } },
    state: 'unknown',
    summary: /^I can't tell whether example\.com is down: my own connection is failing\.$/,
    reason: /control checks failed too \(3 of 3\)/,
  },
  {
    name: 'a TLS failure while the control targets get answers that are not theirs',
    input: { probes: [failed('tls', { message: 'the TLS certificate is signed by an unknown authority' })], control: { checked: 3, failed: 3, intercepted: 3 } },
    state: 'unknown',
    summary: /^I can't tell whether example\.com is down: my network intercepts HTTPS \(a proxy or captive portal answers in its place\)\.$/,
    reason: /got answers that were not theirs \(3 of 3\)/,
  },
  {
    name: 'a TLS failure while the control targets answer as they should: theirs',
    input: { probes: [failed('tls', { message: 'the TLS certificate has expired' })], control: { checked: 3, failed: 0 } },
    state: 'down',
    summary: /is down for everyone: the TLS certificate has expired/,
  },
  {
    name: 'refused while one control target of two still answers',
    input: { probes: [failed('timeout')], control: { checked: 2, failed: 1 } },
    state: 'down',
    summary: /down for everyone/,
  },
  { name: 'no probes at all', input: { probes: [] }, state: 'unknown', summary: /could not check/ },
  {
    name: 'blocked by the SSRF guard',
    input: { probes: [failed('blocked', { message: 'isdown does not check private addresses' })] },
    state: 'unknown',
    summary: /won't check example\.com: isdown does not check private addresses/,
  },
  {
    name: 'down from one region of two',
    input: { probes: [failed('http_5xx', { region: 'us-east' }), up({ region: 'us-west' })] },
    state: 'partial',
    summary: /down from us-east, up from us-west/,
  },
  {
    name: 'down from every region',
    input: { probes: [failed('http_5xx', { region: 'us-east' }), failed('timeout', { region: 'us-west' })] },
    state: 'down',
    summary: /down from every region \(us-east and us-west\)/,
    reason: /From us-west: could not connect/,
  },
];

describe('verdict from probes', () => {
  for (const row of rows) {
    it(`${row.name} → ${row.state}`, () => {
      const v = decideVerdict({ name: 'example.com', ...row.input });
      assert.equal(v.state, row.state);
      assert.match(v.summary, row.summary);
      if (row.reason) assert.ok(v.reasons.some((r) => row.reason!.test(r)), `reasons: ${v.reasons.join(' | ')}`);
      assert.ok(v.reasons.length > 0);
    });
  }

  it('is pure: the same input gives the same verdict', () => {
    const input = { name: 'x', probes: [failed('http_5xx'), up({ at: 2_000 })] };
    assert.deepEqual(decideVerdict(input), decideVerdict(input));
  });
});
