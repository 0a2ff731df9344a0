/**
 * What keeping history costs: N monitors with `--days` of synthetic history written through the
 * real rollup repository (hourly rollups, folded after 48 h, expiring with ISDOWN_RETENTION), then
 * more days past retention to see the store stop growing, then `uptime` answered for random
 * monitors, and a status page of 200 watches rendered. One JSON line per store.
 *
 *   npm run bench:rollups                                  # 10,000 monitors, 90 days, SQLite
 *   npm run bench:rollups -- --store redis --monitors 2000
 *
 * Defaults: ISDOWN_RETENTION (90 d), one check a minute (the default interval). The history is
 * written a day at a time with a clock that moves, as a running bot would write it, but a day's
 * 24 hours go in one write rather than 144: this is the store's size, not the scheduler's pace.
 * Bytes per check: what the store holds for the monitors (keys and values, its own overhead
 * besides) ÷ the checks the kept days hold. SQLite also reports its file (pages in use).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'libsql';
import pg from 'pg';
import { Redis } from 'ioredis';
import { DAY_MS, dayOf, emptyRollup, HOUR_MS, tally, type Rollup } from '../src/core/rollup.ts';
import { chartOf, uptimeReport } from '../src/core/uptime.ts';
import { renderStatusPage, badgeName, type PageWatch } from '../src/core/status-page.ts';
import { openStore } from '../src/store/open.ts';
import { createRollupRepository } from '../src/store/rollups.ts';

const { values } = parseArgs({
  options: {
    monitors: { type: 'string', default: '10000' },
    days: { type: 'string', default: '90' },
    store: { type: 'string', default: 'sqlite' },
    queries: { type: 'string', default: '1000' },
  },
});
const MONITORS = Number(values.monitors);
const DAYS = Number(values.days);
const RETENTION_MS = 90 * DAY_MS;
const CHECKS_PER_HOUR = 60;
/** Days written past retention, to see the store stop growing. */
const EXTRA_DAYS = 10;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pct = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 100) / 100 : 0;
};

// A pool of realistic hours: a minute's check each, response times around 150 ms with a tail,
// and now and then a failing stretch. Drawn from at random, so values vary as real ones do.
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
const POOL: Rollup[] = Array.from({ length: 500 }, (_, i) => {
  const r = emptyRollup();
  for (let c = 0; c < CHECKS_PER_HOUR; c++) {
    const down = i % 97 === 0 && c < 20;
    tally(r, { state: down ? 'down' : random() < 0.01 ? 'degraded' : 'up', latencyMs: down ? undefined : 60 + random() * 180 + (random() < 0.05 ? random() * 2_000 : 0) });
  }
  return r;
});
const hourAt = () => POOL[Math.floor(random() * POOL.length)]!;

async function storeSize(prefix: string, file?: string): Promise<{ logical: number; physical?: number; rows: number }> {
  if (values.store === 'sqlite') {
    const db = new Database(file!);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const row = db.prepare(`SELECT COUNT(*) AS n, SUM(LENGTH(key) + LENGTH(value)) AS b FROM ${prefix} WHERE key LIKE ? OR key LIKE ?`).get(`${prefix}:rollup:%`, `${prefix}:rollhist:%`) as { n: number; b: number };
    const pages = db.prepare('PRAGMA page_count').get() as { page_count: number };
    const free = db.prepare('PRAGMA freelist_count').get() as { freelist_count: number };
    const size = db.prepare('PRAGMA page_size').get() as { page_size: number };
    db.close();
    return { logical: row.b ?? 0, physical: (pages.page_count - free.freelist_count) * size.page_size, rows: row.n };
  }
  if (values.store === 'redis') {
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    let logical = 0;
    let rows = 0;
    let memory = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*:roll*`, 'COUNT', 2_000);
      cursor = next;
      rows += keys.length;
      const pipe = redis.pipeline();
      for (const k of keys) pipe.strlen(k).memory('USAGE', k);
      const res = (await pipe.exec()) ?? [];
      keys.forEach((k, i) => {
        logical += k.length + Number(res[2 * i]![1]);
        memory += Number(res[2 * i + 1]![1]);
      });
    } while (cursor !== '0');
    await redis.quit();
    return { logical, physical: memory, rows };
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`VACUUM ANALYZE ${prefix}`);
  const r = await client.query(`SELECT COUNT(*)::int AS n, COALESCE(SUM(LENGTH(key) + LENGTH(value)), 0)::bigint AS b FROM ${prefix} WHERE key LIKE $1 OR key LIKE $2`, [`${prefix}:rollup:%`, `${prefix}:rollhist:%`]);
  const t = await client.query(`SELECT pg_total_relation_size($1)::bigint AS s`, [prefix]);
  await client.end();
  return { logical: Number(r.rows[0].b), physical: Number(t.rows[0].s), rows: r.rows[0].n };
}

async function dropShared(prefix: string): Promise<void> {
  if (values.store === 'redis') {
    const redis = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2_000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  } else if (values.store === 'postgres') {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS ${prefix}, ${prefix}_leases`);
    await client.end();
  }
}

const prefix = `rollbench_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'isdown-rollups-'));
const file = join(dir, 'isdown.sqlite');
const url = values.store === 'redis' ? REDIS_URL : values.store === 'postgres' ? DATABASE_URL : `sqlite://${file}`;
// One clock for the repository and keyv (which stamps each value's expiry with Date.now()): the
// simulated days end today. Redis keeps time itself: there the keys' TTLs are reported instead.
const start = (dayOf(Date.now()) - DAYS - EXTRA_DAYS) * DAY_MS;
let clock = start;
Date.now = () => clock;
const store = await openStore(url, { prefix, timeoutMs: 30_000 });
const repo = createRollupRepository(store.kv, { retentionMs: RETENTION_MS, now: () => clock });
const keys = Array.from({ length: MONITORS }, (_, i) => `m${i.toString(16).padStart(8, '0')}`);

/** Writes one day of every monitor, with the clock just past the day's end. */
async function writeDay(day: number): Promise<void> {
  clock = (day + 1) * DAY_MS + 60_000;
  const BATCH = 200;
  for (let i = 0; i < keys.length; i += BATCH) {
    await Promise.all(
      keys.slice(i, i + BATCH).map((k) => {
        const hours = new Map<number, Rollup>();
        for (let h = 0; h < 24; h++) hours.set(day * DAY_MS + h * HOUR_MS, hourAt());
        return repo.add(k, hours);
      }),
    );
  }
}

const firstDay = dayOf(start);
const t0 = performance.now();
for (let d = 0; d < DAYS; d++) await writeDay(firstDay + d);
const writeSeconds = (performance.now() - t0) / 1_000;
const atRetention = await storeSize(prefix, file);
const keptDays = Math.min(DAYS, 90);
const checksKept = MONITORS * keptDays * 24 * CHECKS_PER_HOUR;

// Ten more days: what expires goes (the sweep, or Redis's TTL with the clock it was given).
for (let d = DAYS; d < DAYS + EXTRA_DAYS; d++) await writeDay(firstDay + d);
const swept = await store.sweep(clock);
const after = await storeSize(prefix, file);
let redisTtlDays: { min: number; max: number } | undefined;
if (values.store === 'redis') {
  const redis = new Redis(REDIS_URL);
  const [, sample] = await redis.scan('0', 'MATCH', `${prefix}*:roll*`, 'COUNT', 5_000);
  const ttls = await Promise.all(sample.slice(0, 1_000).map((k) => redis.pttl(k)));
  redisTtlDays = { min: Math.min(...ttls) / DAY_MS, max: Math.max(...ttls) / DAY_MS };
  await redis.quit();
}

// uptime for random monitors, 90 days read, as the command does it.
const latencies: number[] = [];
for (let q = 0; q < Number(values.queries); q++) {
  const key = keys[Math.floor(random() * keys.length)]!;
  const t = performance.now();
  const days = await repo.days(key, dayOf(clock - 90 * DAY_MS), dayOf(clock));
  uptimeReport('bench', days, [], '30d', clock);
  latencies.push(performance.now() - t);
}

// A status page of 200 watches: gathered from the store (90 days each) and rendered.
const gatherMs: number[] = [];
const renderMs: number[] = [];
let pageBytes = 0;
for (let round = 0; round < 20; round++) {
  const t = performance.now();
  const watches: PageWatch[] = await Promise.all(
    Array.from({ length: 200 }, (_, i) => keys[(round * 200 + i) % keys.length]!).map(async (key) => {
      const days = await repo.days(key, dayOf(clock - 90 * DAY_MS), dayOf(clock));
      const month = uptimeReport(key, days, [], '90d', clock);
      const recent = chartOf(key, days, [], DAY_MS, clock);
      return {
        service: key,
        badge: badgeName(key),
        state: 'up',
        uptime: Object.fromEntries(month.byPeriod.map((p) => [p.period, p.uptime ?? 0])),
        days: month.chart.points.map((p) => ({ at: p.at, state: p.state, ...(p.uptime !== undefined ? { uptime: p.uptime } : {}) })),
        recent,
        openIncidents: [],
      } satisfies PageWatch;
    }),
  );
  const t1 = performance.now();
  const html = renderStatusPage({ generatedAt: clock, watches });
  const t2 = performance.now();
  gatherMs.push(t1 - t);
  renderMs.push(t2 - t1);
  pageBytes = html.length;
}

await store.close();
await dropShared(prefix);
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify({
    bench: 'rollups',
    store: values.store,
    monitors: MONITORS,
    daysWritten: DAYS + EXTRA_DAYS,
    retentionDays: RETENTION_MS / DAY_MS,
    checksPerMonitorPerDay: 24 * CHECKS_PER_HOUR,
    writeSeconds: Math.round(writeSeconds),
    atRetention: { rows: atRetention.rows, logicalBytes: atRetention.logical, physicalBytes: atRetention.physical, logicalBytesPerCheck: Math.round((atRetention.logical / checksKept) * 1_000) / 1_000, physicalBytesPerCheck: atRetention.physical ? Math.round((atRetention.physical / checksKept) * 1_000) / 1_000 : undefined },
    tenDaysPastRetention: { rows: after.rows, logicalBytes: after.logical, physicalBytes: after.physical, sweptValues: swept, ...(redisTtlDays ? { redisKeyTtlDays: redisTtlDays } : {}) },
    uptimeQueryMs: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: pct(latencies, 100), queries: latencies.length },
    statusPage200Watches: { gatherMs: { p50: pct(gatherMs, 50), p99: pct(gatherMs, 99) }, renderMs: { p50: pct(renderMs, 50), p99: pct(renderMs, 99) }, htmlBytes: pageBytes },
  }),
);
