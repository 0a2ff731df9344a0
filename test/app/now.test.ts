import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixture, startStatusPages } from '../fakes/statuspage.ts';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { startBot, scratchDir, type BotProcess } from '../support/run-isdown.ts';
import { LOCAL_TARGETS } from '../support/settings.ts';
import { until } from '../support/until.ts';

const JSON_TYPE = 'application/json; charset=utf-8';
const LAST = 'Fri, 27 Nov 2026 10:00:00 GMT';
const CHATTY = '/chatty/api/v2/summary.json';

/** Asks again until the answer matches: the background reads land on their own schedule. */
async function askUntil(bot: BotProcess, line: string, re: RegExp, timeoutMs = 40_000): Promise<string> {
  let answer = '';
  const ask = async () => {
    const from = bot.output().length;
    bot.send(line);
    try {
      await bot.waitFor(/\n> ?$|\n$/, 2_000);
    } catch {
      // no prompt: fine, look at what came
    }
    await new Promise((r) => setTimeout(r, 700));
    answer = bot.output().slice(from);
    return re.test(answer) && answer;
  };
  return until(ask, () => `an answer to "${line}" matching ${re}; the last was:\n${answer}\n--- stderr:\n${bot.errors()}`, { withinMs: timeoutMs });
}

describe('background status reads: /isdown now and history of services nobody watches', () => {
  let site: FakeTarget;
  let pages: FakeTarget;
  let bot: BotProcess;
  before(async () => {
    site = await startTarget();
    pages = await startStatusPages();
    // Conditional answers, as Statuspage's servers give them.
    pages.set('/python/api/v2/summary.json', { kind: 'ok', body: fixture('atlassian-major.json'), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 10:00:00 GMT' } });
    pages.set(CHATTY, { kind: 'ok', body: fixture('atlassian-discord-operational.json'), contentType: JSON_TYPE, validators: { lastModified: LAST } });
    const dir = scratchDir();
    const catalogFile = join(dir, 'catalog.json');
    writeFileSync(
      catalogFile,
      JSON.stringify({
        // Only these pages: the built-in catalog's are on the internet.
        builtIn: false,
        services: [
          { id: 'octo', name: 'Octo', urls: [`${site.url}/ok`], statusPage: { kind: 'atlassian', url: `${pages.url}/github/api/v2/summary.json`, page: 'https://www.githubstatus.com' } },
          { id: 'streamy', name: 'Streamy', urls: [`${site.url}/ok`], statusPage: { kind: 'atlassian', url: `${pages.url}/python/api/v2/summary.json` } },
          { id: 'chatty', name: 'Chatty', urls: [`${site.url}/ok`], statusPage: { kind: 'atlassian', url: `${pages.url}${CHATTY}` } },
          { id: 'nopage', name: 'No Page', urls: [`${site.url}/ok`] },
        ],
      }),
    );
    bot = startBot({ ...LOCAL_TARGETS, ISDOWN_MIN_INTERVAL: '1s', ISDOWN_STATUS_POLL: 'on', ISDOWN_STATUS_TTL: '5s', CATALOG_FILE: catalogFile, STORE_URL: `sqlite://${dir}/isdown.sqlite` });
  });
  after(async () => {
    await bot?.kill('SIGTERM');
    await site.close();
    await pages.close();
  });

  it('now lists the known services whose page reports trouble, worst first, with a link', async () => {
    const answer = await askUntil(bot, 'now', /Right now: 2 known services report problems/);
    assert.match(answer, /🔴 Major outage \(1\):\s+• Streamy — Unplanned Database Outage since/);
    assert.match(answer, /🟡 Minor problems \(1\):\s+• Octo — /);
    assert.doesNotMatch(answer, /Chatty|No Page/);
    assert.ok((pages.hits.get('/python/api/v2/summary.json') ?? 0) >= 1);
    // The reader's own numbers, for whoever runs the bot.
    const health = (await bot.health()) as unknown as { status: string; statusPages: { pages: number; reads: number } };
    assert.equal(health.status, 'ok');
    assert.equal(health.statusPages.pages, 3);
    assert.ok(health.statusPages.reads >= 3);
    const metrics = await (await fetch(`http://127.0.0.1:${await bot.port()}/metrics`)).text();
    assert.match(metrics, /^isdown_status_pages 3$/m);
    assert.match(metrics, /^isdown_status_reads_total \d+$/m);
  });

  it('history of a service this channel does not watch tells its page, and the page resolving it is recorded', async () => {
    const open = await askUntil(bot, 'history streamy', /Streamy's status page: 1 incident in the last 7 d/);
    assert.match(open, /Unplanned Database Outage \(major outage\): from .*, still open/);
    assert.match(open, /This channel does not watch Streamy/);
    // The next background read of the unchanged page asks "has it changed?".
    await until(() => (pages.hits.get('/python/api/v2/summary.json') ?? 0) >= 2, 'a second background read of the page');
    assert.match(String(pages.last.get('/python/api/v2/summary.json')!.headers['if-none-match']), /^W\/"/);

    pages.set('/python/api/v2/summary.json', { kind: 'ok', body: fixture('atlassian-discord-operational.json'), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 11:00:00 GMT' } });
    const resolved = await askUntil(bot, 'history streamy', /Unplanned Database Outage \(major outage\): from .*, resolved .*, after/);
    assert.match(resolved, /Streamy's status page: 1 incident/);
    await askUntil(bot, 'now', /Right now: 1 known service reports problems/);
  });

  it('a vendor watch (only statuspage) alerts from the page alone: the outage, its updates in the thread, announced maintenance, the recovery', async () => {
    const refused = await askUntil(bot, 'watch nopage only statuspage', /No Page has no status page I can read/);
    assert.ok(refused);
    await askUntil(bot, 'watch chatty only statuspage expect "x"', /"only statuspage" reads Chatty's official page and checks nothing itself, so expect cannot apply/);
    await askUntil(bot, 'watch chatty only statuspage every 2s', /Watching Chatty every 2s, only statuspage\.\n.*when Chatty's status page reports trouble/);
    const quiet = bot.output().length;

    const major = JSON.parse(fixture('atlassian-major.json')) as { incidents: { status: string; incident_updates: { body: string; status: string; created_at: string; display_at: string }[] }[] };
    pages.set(CHATTY, { kind: 'ok', body: JSON.stringify(major), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 12:00:00 GMT' } });
    await bot.waitFor(/Chatty: the status page reports a major outage\./, 40_000);
    await bot.waitFor(/🔧 Chatty plans maintenance .*: Network Maintenance \(No Interruption Expected\)/, 40_000);

    const update = { ...major.incidents[0]!.incident_updates[0]!, status: 'monitoring', body: 'A fix has been deployed; we are watching the sandwiches.', created_at: '2026-11-27T12:30:00Z', display_at: '2026-11-27T12:30:00Z' };
    major.incidents[0]!.incident_updates.unshift(update);
    major.incidents[0]!.status = 'monitoring';
    pages.set(CHATTY, { kind: 'ok', body: JSON.stringify(major), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 12:30:00 GMT' } });
    await bot.waitFor(/Chatty's status page, .* — Unplanned Database Outage \(monitoring\)[\s\S]*watching the sandwiches/, 40_000);

    pages.set(CHATTY, { kind: 'ok', body: fixture('atlassian-discord-operational.json'), contentType: JSON_TYPE, validators: { lastModified: 'Fri, 27 Nov 2026 13:00:00 GMT' } });
    await bot.waitFor(/Chatty .*(recovered|is up)/i, 40_000);
    const told = bot.output().slice(quiet);
    // One outage alert, one announcement: not one per round.
    assert.equal(told.match(/plans maintenance/g)?.length, 1);
    assert.equal(told.match(/watching the sandwiches/g)?.length, 1);
  });

  it('a service with no status page keeps the old answer', async () => {
    const answer = await askUntil(bot, 'history nopage', /does not watch No Page, so I have no history/);
    assert.ok(answer.length > 0);
  });
});
