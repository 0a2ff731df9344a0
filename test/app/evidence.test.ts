import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startStatusPages } from '../fakes/statuspage.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { runIsdown, scratchDir } from '../support/run-isdown.ts';

describe('catalog, status page and crowd reports, end to end through the console', () => {
  let site: FakeTarget;
  let pages: FakeTarget;
  let env: Record<string, string>;
  before(async () => {
    site = await startTarget();
    pages = await startStatusPages();
    const dir = scratchDir();
    const catalogFile = join(dir, 'catalog.json');
    writeFileSync(
      catalogFile,
      JSON.stringify({
        services: [
          { id: 'octo', name: 'Octo', aliases: ['octocat'], urls: [`${site.url}/ok`], statusPage: { kind: 'atlassian', url: `${pages.url}/github/api/v2/summary.json`, page: 'https://www.githubstatus.com' } },
          { id: 'streamy', name: 'Streamy', urls: [`${site.url}/503`], statusPage: { kind: 'atlassian', url: `${pages.url}/python/api/v2/summary.json` } },
          { id: 'broken-page', name: 'Broken Page', urls: [`${site.url}/ok`], statusPage: { kind: 'atlassian', url: `${pages.url}/broken/html.json` } },
          { id: 'faced', name: 'Faced', urls: [`${site.url}/ok`], faces: [{ label: 'API', url: `${site.url}/503` }] },
          { id: 'bad entry', name: 'x', urls: [] },
        ],
      }),
    );
    env = {
      ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
      ISDOWN_ALLOWED_PORTS: 'any',
      ISDOWN_CONTROL_URLS: '',
      ISDOWN_CONFIRM_CHECKS: '1',
      CATALOG_FILE: catalogFile,
      STORE_URL: `sqlite://${dir}/isdown.sqlite`,
    };
  });
  after(async () => {
    await site.close();
    await pages.close();
  });

  it('a service with several faces says which answers: the website answers, the API does not', async () => {
    const r = await runIsdown([], env, 'faced\n');
    assert.match(r.stdout, /Faced is partially down: the website answers, the API does not\./);
    assert.match(r.stdout, /API \(127\.0\.0\.1:\d+\): 503 Service Unavailable/);
  });

  it('fuses the probe with what the status page says, per component', async () => {
    const r = await runIsdown([], env, 'octocat\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^🟡 Octo answers, but its status page reports problems\./m);
    assert.match(r.stdout, /All components operational except Actions \(performance issues\)\./);
    assert.match(r.stdout, /Status page: https:\/\/www\.githubstatus\.com/);
    assert.match(r.stderr, /catalog .*catalog\.json:1: entry "bad entry" ignored: id: must be lowercase/);
  });

  it('shows the disagreement when both are down, in the page\'s own words', async () => {
    const r = await runIsdown(['check', 'streamy', '--json'], env);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as { verdict: { state: string; reasons: string[] }; status: { ok: boolean } };
    assert.equal(out.verdict.state, 'down');
    assert.ok(out.verdict.reasons.includes('The status page reports problems with every component: API (partial outage) and Management Portal (major outage).'), out.verdict.reasons.join('|'));
    assert.equal(out.status.ok, true);
  });

  it('says "status page unavailable" and still answers from the probe', async () => {
    const r = await runIsdown(['check', 'broken-page'], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Status page unavailable: Statuspage summary answered with HTML, not JSON\./);
  });

  it('suggests a near miss for an unknown name', async () => {
    const r = await runIsdown([], env, 'octp\n');
    assert.match(r.stdout, /I don't know "octp" — did you mean octo\?/);
  });

  it('records a crowd report once per window and shows it in the next answer', async () => {
    const r = await runIsdown([], env, 'report octo\nreport octo\nocto\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Thanks — noted that Octo is down for you\./);
    assert.match(r.stdout, /You already reported Octo; you can report it again in 15 min\./);
    assert.match(r.stdout, /1 report from 1 team in the last 30 min\./);
  });
});
