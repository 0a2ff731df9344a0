import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { adhocTarget } from '../../src/checks/adhoc.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { chartPng } from '../../src/app/chart-png.ts';
import { gatherPage } from '../../src/app/status-page.ts';
import { clockFormat, type Incident } from '../../src/core/incident.ts';
import { DAY_MS, dayOf, emptyRollup, HOUR_MS, tally, type Rollup } from '../../src/core/rollup.ts';
import { renderStatusPage } from '../../src/core/status-page.ts';
import type { ProbeResult } from '../../src/core/types.ts';
import { uptimeReport } from '../../src/core/uptime.ts';
import type { ChannelRef } from '../../src/core/watch.ts';
import { memoryStore } from '../../src/store/guarded.ts';
import { createMonitorRepository } from '../../src/store/monitors.ts';
import { createPageRepository } from '../../src/store/pages.ts';
import { createRollupRepository } from '../../src/store/rollups.ts';
import { answered, bareScheduler } from '../support/scheduler.ts';
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS } from '../support/browser.ts';

const CHANNEL: ChannelRef = { platform: 'slack', tenant: 'T1', channel: 'C1' };
const NOW = Date.UTC(2026, 10, 27, 14, 30);

/** An hour of one check a minute, with response times around `ms`; `failing` of them down. */
function hour(ms: number, failing = 0): Rollup {
  const r = emptyRollup();
  for (let i = 0; i < 60; i++) tally(r, i < failing ? { state: 'down' } : { state: 'up', latencyMs: ms + ((i * 37) % 60) });
  return r;
}

function closed(key: string, service: string, from: number, to: number): Incident {
  return { id: `${key.slice(0, 6)}-${from}`, monitorKey: key, targetId: service, service, openedAt: from, closedAt: to, health: 'up', flapping: false, timeline: [{ at: from, health: 'down', kind: 'opened', summary: 'down' }, { at: to, health: 'up', kind: 'recovered', summary: 'up' }] };
}

describe('90 days of history on the page and in the chart (real browser)', () => {
  let browser: Browser;
  let html: string;
  const outageDays = [NOW - 40 * DAY_MS, NOW - 12 * DAY_MS, NOW - 3 * DAY_MS];
  let chart: ReturnType<typeof uptimeReport>['chart'];

  before(async () => {
    let clock = NOW - 91 * DAY_MS;
    const kv = memoryStore();
    const repo = createMonitorRepository(kv, { retentionMs: 90 * DAY_MS, now: () => clock });
    const rollups = createRollupRepository(kv, { retentionMs: 90 * DAY_MS, now: () => clock });
    const watcher = bareScheduler({ repo, probe: async (req: { url: string }): Promise<ProbeResult[]> => answered(req.url, clock), concurrency: 4, perHostConcurrency: 4, now: () => clock, rollups });
    const sites = [
      { url: 'https://api.example.com/health', ms: 140 },
      { url: 'https://www.example.com/', ms: 320 },
      { url: 'https://status.example.org/', ms: 90 },
    ];
    for (const s of sites) {
      const r = adhocTarget(s.url, makePolicy());
      if (!r.ok) throw new Error(r.message);
      await watcher.watch({ channel: CHANNEL, user: 'U', target: r.target, everyMs: 60_000 });
    }
    const records = await repo.all();
    const api = records.find((r) => r.target.name.startsWith('api.'))!;
    // 90 days written a day at a time as the scheduler would, the API down for an hour on three days.
    for (let d = dayOf(NOW) - 89; d <= dayOf(NOW); d++) {
      clock = Math.min(NOW, (d + 1) * DAY_MS - 1);
      for (const rec of records) {
        const site = sites.find((s) => rec.target.urls[0]!.startsWith(s.url.replace(/\/$/, '')))!;
        const hours = new Map<number, Rollup>();
        for (let h = 0; h < 24 && d * DAY_MS + h * HOUR_MS <= clock; h++) {
          const down = rec === api && outageDays.some((o) => dayOf(o) === d) && h === 9;
          hours.set(d * DAY_MS + h * HOUR_MS, hour(site.ms + (d % 7) * 15, down ? 60 : 0));
        }
        await rollups.add(rec.key, hours);
      }
    }
    clock = NOW;
    for (const o of outageDays) await repo.saveIncident(closed(api.key, api.target.name, dayOf(o) * DAY_MS + 9 * HOUR_MS, dayOf(o) * DAY_MS + 10 * HOUR_MS));
    await watcher.start();
    for (const rec of records) await watcher.checkNow(rec.key);
    const data = await gatherPage({ pages: createPageRepository(kv), watcher, now: () => clock, clock: clockFormat() }, CHANNEL);
    html = renderStatusPage(data);
    const seen = (await watcher.uptime(CHANNEL, api.target.id, NOW - 90 * DAY_MS))[0]!;
    chart = uptimeReport(api.target.name, seen.days, seen.incidents, '30d', NOW).chart;
    await watcher.stop();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => browser?.close());

  it('shows each day of 90 as a bar, red on the days of an outage, with the day in its title', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.setContent(html);
    assert.deepEqual(errors, []);
    assert.equal(await page.locator('section.card').count(), 3);
    assert.equal(await page.locator('.bars .b').count(), 270);
    const card = (name: string) => page.locator('section.card', { has: page.locator('h2', { hasText: name }) });
    const red = await card('api.example.com/health').locator('.bars .b.down').evaluateAll((els) => els.map((e) => e.getAttribute('title')));
    assert.deepEqual(red.map((t) => t!.slice(0, 10)), outageDays.map((o) => new Date(o).toISOString().slice(0, 10)));
    assert.match(red[0]!, /: 95\.83 % up$/, 'an hour down of 24');
    assert.equal(await card('www.example.com').locator('.bars .b.down').count(), 0);
    assert.match(await card('api.example.com/health').locator('.meta').innerText(), /99\.86 % up over 90 days/);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-history.png'), fullPage: true });
    await page.close();
  });

  it('draws the chart for chat: a PNG of the period with its outages', () => {
    assert.equal(chart.points.length, 30);
    assert.equal(chart.points.filter((p) => p.state === 'down').length, 2);
    assert.equal(chart.outages.length, 2);
    const png = chartPng(chart);
    assert.equal(Buffer.from(png).subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
    // IHDR: width and height, big-endian, at bytes 16–23: drawn at twice the SVG's 720×300.
    assert.deepEqual([Buffer.from(png).readUInt32BE(16), Buffer.from(png).readUInt32BE(20)], [1_440, 600]);
    writeFileSync(join(ARTIFACTS, 'uptime-chart.png'), png);
  });
});
