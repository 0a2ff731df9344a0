import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheck, type CheckPorts } from '../../src/core/check.ts';
import type { ProbeResult, Target } from '../../src/core/types.ts';
import { failed, up } from './probe-results.ts';

const target: Target = { kind: 'adhoc', id: 'example.com', name: 'example.com', urls: ['https://example.com/'] };

/** Ports with a fake clock: sleep advances time instead of waiting. */
function fakePorts(script: ProbeResult[][], control?: { checked: number; failed: number }) {
  let now = 0;
  const sleeps: number[] = [];
  let controlCalls = 0;
  const probed: string[] = [];
  const ports: CheckPorts = {
    probe: async (req) => {
      probed.push(req.url + (req.expect ? ` expect=${req.expect}` : ''));
      const next = script.shift();
      if (!next) throw new Error('probed more often than the script allows');
      return next.map((p) => ({ ...p, at: now }));
    },
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    control: async () => {
      controlCalls++;
      return control;
    },
  };
  return { ports, sleeps, probed, controlCalls: () => controlCalls };
}

const policy = { confirmAttempts: 3, confirmDelayMs: 2_000 };

describe('runCheck', () => {
  it('says up after one probe and never sleeps', async () => {
    const f = fakePorts([[up()]]);
    const out = await runCheck(target, {}, f.ports, policy);
    assert.equal(out.verdict.state, 'up');
    assert.deepEqual(f.sleeps, []);
    assert.equal(f.controlCalls(), 0);
  });

  it('confirms a failure with two re-checks 2 s apart before saying down', async () => {
    const f = fakePorts([[failed('http_5xx')], [failed('http_5xx')], [failed('http_5xx')]]);
    const out = await runCheck(target, {}, f.ports, policy);
    assert.equal(out.verdict.state, 'down');
    assert.deepEqual(f.sleeps, [2_000, 2_000]);
    assert.equal(out.probes.length, 3);
    assert.match(out.verdict.summary, /3 checks, 2 s apart/);
    assert.equal(f.controlCalls(), 0, 'an HTTP answer proves our network works');
  });

  it('stops re-checking as soon as it answers', async () => {
    const f = fakePorts([[failed('reset')], [up()]]);
    const out = await runCheck(target, {}, f.ports, policy);
    assert.equal(out.verdict.state, 'degraded');
    assert.deepEqual(f.sleeps, [2_000]);
  });

  it('asks the control targets only after a network-level failure, and says unknown when they fail', async () => {
    const f = fakePorts([[failed('timeout')], [failed('timeout')], [failed('timeout')]], { checked: 2, failed: 2 });
    const out = await runCheck(target, {}, f.ports, policy);
    assert.equal(f.controlCalls(), 1);
    assert.equal(out.verdict.state, 'unknown');
  });

  it('does not re-check an address the guard refused', async () => {
    const f = fakePorts([[failed('blocked')]]);
    const out = await runCheck(target, {}, f.ports, policy);
    assert.deepEqual(f.sleeps, []);
    assert.equal(out.verdict.state, 'unknown');
  });

  it('re-asks only the regions that failed', async () => {
    const f = fakePorts([
      [failed('http_5xx', { region: 'eu' }), up({ region: 'us' })],
      [failed('http_5xx', { region: 'eu' }), up({ region: 'us' })],
      [failed('http_5xx', { region: 'eu' }), up({ region: 'us' })],
    ]);
    const out = await runCheck(target, {}, f.ports, policy);
    assert.equal(out.verdict.state, 'partial');
    assert.equal(out.probes.filter((p) => p.region === 'us').length, 1);
    assert.equal(out.probes.filter((p) => p.region === 'eu').length, 3);
  });

  it('passes the expect text through to the probe', async () => {
    const f = fakePorts([[up()]]);
    await runCheck(target, { expect: 'Sign in' }, f.ports, policy);
    assert.deepEqual(f.probed, ['https://example.com/ expect=Sign in']);
  });
});

describe('an answer within its time budget', () => {
  /** A clock that each probe moves on by the time it "took". */
  function timed(script: { code?: 'timeout' | 'http_5xx'; ms: number }[]) {
    let t = 0;
    const asked: (number | undefined)[] = [];
    const ports: CheckPorts = {
      now: () => t,
      sleep: async (ms) => void (t += ms),
      control: async () => undefined,
      probe: async (req) => {
        asked.push(req.timeoutMs);
        const step = script.shift()!;
        const took = Math.min(step.ms, req.timeoutMs ?? Infinity);
        t += took;
        return [step.code ? { ...failed(step.code), at: t } : { ...up(), at: t }];
      },
    };
    return { ports, asked, elapsed: () => t };
  }
  const policy = { confirmAttempts: 3, confirmDelayMs: 2_000, budget: { totalMs: 18_000, attemptMs: 15_000 } };
  const target = { kind: 'adhoc' as const, id: 'x', name: 'x', urls: ['https://x.example/'] };

  it('does not repeat an attempt that already timed out', async () => {
    const c = timed([{ code: 'timeout', ms: 10_000 }, { code: 'timeout', ms: 10_000 }]);
    const out = await runCheck(target, {}, c.ports, policy);
    assert.equal(out.probes.length, 1);
    assert.equal(out.verdict.state, 'down');
    assert.ok(c.elapsed() <= 18_000);
  });

  it('gives a re-check only what is left of the budget, so slow failures still answer within it', async () => {
    const c = timed([{ code: 'http_5xx', ms: 9_000 }, { code: 'http_5xx', ms: 15_000 }, { code: 'http_5xx', ms: 15_000 }]);
    const out = await runCheck(target, {}, c.ports, policy);
    assert.equal(c.asked[0], undefined, 'the first attempt has the prober\'s own limit');
    assert.equal(c.asked[1], 18_000 - 9_000 - 2_000);
    assert.ok(c.elapsed() <= 18_000, `answered after ${c.elapsed()} ms of budget`);
    assert.equal(out.verdict.state, 'down');
  });

  it('fast failures still get every confirmation attempt', async () => {
    const c = timed([{ code: 'http_5xx', ms: 50 }, { code: 'http_5xx', ms: 50 }, { code: 'http_5xx', ms: 50 }]);
    const out = await runCheck(target, {}, c.ports, policy);
    assert.equal(out.probes.length, 3);
  });
});

describe('a service with several faces', () => {
  const github: Target = { kind: 'catalog', id: 'github', name: 'GitHub', urls: ['https://github.com/'], faces: [{ label: 'API', url: 'https://api.github.com/' }] };
  const byUrl = (answers: Record<string, ProbeResult>): CheckPorts => ({
    probe: async (req) => [{ ...answers[req.url]!, url: req.url, finalUrl: req.url }],
    sleep: async () => {},
    control: async () => undefined,
  });

  it('says which face answers and which does not: the API answers, the website does not', async () => {
    const out = await runCheck(github, {}, byUrl({ 'https://github.com/': failed('http_5xx', { status: 503, message: '503 Service Unavailable' }), 'https://api.github.com/': up() }), { ...policy, confirmAttempts: 1, faces: true });
    assert.equal(out.verdict.state, 'partial');
    assert.equal(out.verdict.summary, 'GitHub is partially down: the API answers, the website does not.');
    assert.ok(out.verdict.reasons.some((r) => r.startsWith('API (api.github.com): ')));
  });

  it('and the other way round; all answering is plainly up', async () => {
    const half = await runCheck(github, {}, byUrl({ 'https://github.com/': up(), 'https://api.github.com/': failed('timeout', { message: 'no answer within 15 s' }) }), { ...policy, faces: true });
    assert.equal(half.verdict.summary, 'GitHub is partially down: the website answers, the API does not.');
    const all = await runCheck(github, {}, byUrl({ 'https://github.com/': up(), 'https://api.github.com/': up() }), { ...policy, faces: true });
    assert.equal(all.verdict.state, 'up');
  });

  it("a watch's rounds probe the main URL alone", async () => {
    const probed: string[] = [];
    const ports: CheckPorts = { probe: async (req) => (probed.push(req.url), [up()]), sleep: async () => {}, control: async () => undefined };
    await runCheck(github, {}, ports, { ...policy, faces: false });
    assert.deepEqual(probed, ['https://github.com/']);
  });
});
