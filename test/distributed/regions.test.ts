import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown, startBot, type BotProcess } from '../support/run-isdown.ts';
import { distributedOn, dropRedisPrefix, uniquePrefix } from '../support/services.ts';
import { LOCAL_TARGETS } from '../support/settings.ts';

/**
 * Regions as real processes: two `isdown probe --region` workers on the real Redis, and a
 * one-shot `isdown check` that publishes its probes to both and reads the answers back.
 */
describe('probing from several regions through Redis', () => {
  let site: FakeTarget;
  const prefix = uniquePrefix('regions');
  const workers: BotProcess[] = [];
  const env = () => ({ ...distributedOn(prefix), ...LOCAL_TARGETS, ISDOWN_CONFIRM_CHECKS: '1' });

  before(async () => {
    site = await startTarget();
    site.set('/split', { kind: 'byRegion', regions: { 'eu-west': { kind: 'status', status: 503, body: 'down in Europe' } }, otherwise: { kind: 'ok', body: 'fine' } });
    for (const region of ['us-west', 'eu-west']) {
      const w = startBot(env(), ['probe', '--region', region]);
      workers.push(w);
      await w.waitForErr(new RegExp(`taking probe jobs for region ${region}`));
    }
  });
  after(async () => {
    for (const w of workers) await w.kill('SIGTERM');
    await site.close();
    await dropRedisPrefix(prefix);
  });

  it('down from one region and up from another is partial, naming both', async () => {
    const r = await runIsdown(['check', `${site.url}/split`, '--json'], { ...env(), ISDOWN_REGIONS: 'us-west,eu-west' });
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as { verdict: { state: string; summary: string; reasons: string[] }; probes: { region: string; status: number }[] };
    assert.equal(out.verdict.state, 'partial');
    assert.match(out.verdict.summary, /down from eu-west, up from us-west/);
    assert.deepEqual(out.probes.map((p) => `${p.region}:${p.status}`).sort(), ['eu-west:503', 'us-west:200']);
    assert.ok(out.verdict.reasons.some((l) => /^From eu-west: .*503/.test(l)));
    assert.ok(out.verdict.reasons.some((l) => /^From us-west: .*200/.test(l)));
  });

  it('the answer a person reads has one line per region', async () => {
    const r = await runIsdown(['check', `${site.url}/split`], { ...env(), ISDOWN_REGIONS: 'us-west,eu-west' });
    assert.match(r.stdout, /is down from eu-west, up from us-west/);
    assert.match(r.stdout, /^.*From eu-west: 503 Service Unavailable.*$/m);
    assert.match(r.stdout, /^.*From us-west: 200 OK.*$/m);
  });

  it('a region with no worker is left out with a note, not counted as down', async () => {
    const r = await runIsdown(['check', `${site.url}/ok`, '--json'], { ...env(), ISDOWN_REGIONS: 'us-west,ap-south', ISDOWN_TOTAL_TIMEOUT: '1s' });
    const out = JSON.parse(r.stdout) as { verdict: { state: string; reasons: string[] } };
    assert.equal(out.verdict.state, 'up', r.stdout);
    assert.equal(r.code, 0);
    assert.ok(out.verdict.reasons.some((l) => /No answer from ap-south this round/.test(l)), out.verdict.reasons.join('\n'));
  });

  it('each worker applies its own SSRF guard: one not allowed private addresses refuses them', async () => {
    const { ISDOWN_ALLOW_PRIVATE: _allowed, ...strictEnv } = env();
    const strict = startBot(strictEnv, ['probe', '--region', 'strict']);
    workers.push(strict);
    await strict.waitForErr(/taking probe jobs for region strict/);
    const r = await runIsdown(['check', `${site.url}/ok`, '--json'], { ...env(), ISDOWN_REGIONS: 'strict' });
    const out = JSON.parse(r.stdout) as { verdict: { state: string; summary: string } };
    assert.equal(out.verdict.state, 'unknown', r.stdout);
    assert.match(out.verdict.summary, /won't check .*private addresses/);
  });
});
