import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { startTarget, type FakeTarget } from '../fakes/target.ts';
import { scratchDir, startBot, type BotProcess } from '../support/run-isdown.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../support/browser.ts';

/** Run in the page (a string: the tests are compiled without the DOM's types): each text element's colour and the background it sits on. */
const TEXT_ON_BACKGROUND = `[...document.querySelectorAll('h1, h2, .st, .meta, .axis span, .banner, footer, .inc li')].map((el) => {
  let bg = 'rgba(0, 0, 0, 0)';
  for (let e = el; e && /rgba\\(0, 0, 0, 0\\)|transparent/.test(bg); e = e.parentElement) bg = getComputedStyle(e).backgroundColor;
  return { text: (el.textContent || '').slice(0, 30), fg: getComputedStyle(el).color, bg };
})`;

/** WCAG relative luminance contrast of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe("a channel's status page, end to end (console bot, real HTTP, real browser)", () => {
  let site: FakeTarget;
  let bot: BotProcess;
  let base: string;
  let pageUrl: string;
  let browser: Browser;

  before(async () => {
    site = await startTarget();
    site.set('/ok', { kind: 'ok', body: 'fine' });
    site.set('/bad', { kind: 'status', status: 503, body: 'down' });
    bot = startBot({
      STORE_URL: `sqlite://${scratchDir()}/s.sqlite`,
      ISDOWN_ALLOW_PRIVATE: '127.0.0.1/32',
      ISDOWN_ALLOWED_PORTS: 'any',
      ISDOWN_CONTROL_URLS: '',
      ISDOWN_STATUS_POLL: 'off',
      ISDOWN_MIN_INTERVAL: '1s',
      ISDOWN_RECHECK_DELAY: '200ms',
      ISDOWN_METRICS_PER_MONITOR: 'true',
    });
    base = `http://127.0.0.1:${await bot.port()}`;
    bot.send(`watch ${site.url}/ok every 1s`);
    bot.send(`watch ${site.url}/bad every 1s`);
    await bot.waitFor(/\[alert #1\] 🔴 127\.0\.0\.1:\d+\/bad is down since/);
    bot.send('page');
    const out = await bot.waitFor(/status page: \/status\/([A-Za-z0-9_-]{22})/);
    pageUrl = `${base}/status/${/status page: \/status\/([A-Za-z0-9_-]{22})/.exec(out)![1]}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await bot?.kill('SIGTERM');
    await site?.close();
  });

  it('answers uptime in the console with the numbers and a sparkline', async () => {
    bot.send(`uptime 127.0.0.1:${site.port}/bad 24h`);
    const out = await bot.waitFor(/\/bad: 0 % up over the last 24h\n.*24h 0 % · 7d 0 %.*\n.*1 incident in the last 24h.*\n.*Response time: p50 ≤ \d+ ms.*\n.*From \d+ checks\.\n.*chart: .*✖/);
    assert.match(out, /chart: /);
  });

  it('serves the page without JavaScript, with both watches, the trouble first', async () => {
    const res = await fetch(pageUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /text\/html/);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const html = await res.text();
    const bad = html.indexOf(`127.0.0.1:${site.port}/bad`);
    const ok = html.indexOf(`127.0.0.1:${site.port}/ok`);
    assert.ok(bad > 0 && ok > bad, 'the failing watch comes first');
    assert.match(html, /1 of 2 services have problems/);
    const head = await fetch(pageUrl, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });

  it('loads in Chromium with no console errors, a lang, 90 bars a watch and readable contrast in both schemes', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const scheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 900, height: 700 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
      const response = await page.goto(pageUrl);
      assert.equal(response?.status(), 200);
      assert.deepEqual(problems, [], `console errors in ${scheme}`);
      assert.equal(await page.evaluate('document.documentElement.lang'), 'en');
      assert.equal(await page.locator('section.card').count(), 2);
      assert.equal(await page.locator('.bars .b').count(), 180);
      assert.equal(await page.locator('.bars .b.down').count(), 1, "today's bar of the failing watch is red");
      // Every piece of text against the card it sits on: WCAG AA (4.5:1).
      const pairs = (await page.evaluate(TEXT_ON_BACKGROUND)) as { text: string; fg: string; bg: string }[];
      assert.ok(pairs.length >= 8, JSON.stringify(pairs));
      for (const p of pairs) assert.ok(contrast(p.fg, p.bg) >= 4.5, `${scheme}: "${p.text}" ${p.fg} on ${p.bg} is ${contrast(p.fg, p.bg).toFixed(2)}:1`);
      await page.screenshot({ path: join(ARTIFACTS, `status-page-${scheme}.png`), fullPage: true });
      await context.close();
    }
  });

  it('gives the same data as JSON, and badges for each watch', async () => {
    const json = (await (await fetch(`${pageUrl}.json`)).json()) as { watches: { service: string; state: string; days: unknown[]; uptime: Record<string, number>; badge: string }[] };
    assert.deepEqual(json.watches.map((w) => w.state), ['down', 'up']);
    assert.equal(json.watches[0]!.days.length, 90);
    assert.equal(json.watches[0]!.uptime['24h'], 0);
    const badgePath = new URL(json.watches[1]!.badge, base).pathname;
    const badge = await fetch(`${base}${badgePath}`);
    assert.equal(badge.status, 200);
    assert.match(badge.headers.get('content-type')!, /image\/svg\+xml/);
    assert.match(await badge.text(), /<text [^>]*>operational<\/text>/);
    const uptime = await (await fetch(`${base}${badgePath}?uptime=24h`)).text();
    assert.match(uptime, />100 %</);
    assert.equal((await fetch(`${base}${badgePath}?uptime=1y`)).status, 400);
    assert.equal((await fetch(`${pageUrl}/badge/nope.svg`)).status, 404);
  });

  it('gives each watch its own series in /metrics when ISDOWN_METRICS_PER_MONITOR is on', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const bad = `service="127.0.0.1:${site.port}/bad",channel="console:console:console"`;
    const ok = `service="127.0.0.1:${site.port}/ok",channel="console:console:console"`;
    assert.match(text, new RegExp(`^isdown_monitor_up\\{${bad.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\} 0$`, 'm'));
    assert.match(text, new RegExp(`^isdown_monitor_up\\{${ok.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\} 1$`, 'm'));
    const count = Number(new RegExp(`isdown_monitor_response_seconds_count\\{${ok.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\} (\\d+)`).exec(text)?.[1]);
    const inf = Number(new RegExp(`isdown_monitor_response_seconds_bucket\\{${ok.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')},le="\\+Inf"\\} (\\d+)`).exec(text)?.[1]);
    assert.ok(count > 0 && count === inf, `count ${count}, +Inf ${inf}`);
    assert.match(text, /# TYPE isdown_monitor_response_seconds histogram/);
  });

  it('answers 404 for a slug it never made, and for the page once retired', async () => {
    assert.equal((await fetch(`${base}/status/AAAAAAAAAAAAAAAAAAAAAA`)).status, 404);
    assert.equal((await fetch(`${base}/status/short`)).status, 404);
    assert.equal((await fetch(`${base}/status/..%2F..%2Fetc`)).status, 404);
    assert.equal((await fetch(pageUrl, { method: 'POST' })).status, 405);
    bot.send('page off');
    await bot.waitFor(/status page is retired/);
    // The page is kept 15 s per process for its readers; a retired slug is looked up every time.
    assert.equal((await fetch(pageUrl)).status, 404);
    assert.equal((await fetch(`${pageUrl}.json`)).status, 404);
  });
});
