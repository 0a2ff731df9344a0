/**
 * Per-hour and per-day summaries of a monitor's checks: how many, how many failed or were
 * degraded, and a fixed latency histogram for p50/p95. A summary is a handful of numbers, so 90
 * days of them cost a few bytes per check where a row per check costs a hundred and more.
 */
import type { ProbeResult, VerdictState } from './types.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Hourly summaries are folded into one per day once they are this old. */
export const HOURLY_KEPT_MS = 48 * HOUR_MS;

/**
 * Upper bounds of the latency buckets, ms; one more bucket takes everything slower. Fixed, so
 * that any two summaries add up bucket by bucket. A percentile is told as its bucket's bound:
 * "p95 ≤ 300 ms", exact enough for a chart and cheap to keep.
 */
export const LATENCY_BOUNDS_MS = [25, 50, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000] as const;

export interface Rollup {
  /** Checks that could see the target (an `unknown` round, our own network failing, is not counted). */
  checks: number;
  /** Checks that found it down. */
  failures: number;
  /** Checks that found it degraded or partly down. */
  degraded: number;
  /** Slowest answer, and the sum of all answers (for the average line), ms. */
  maxMs: number;
  sumMs: number;
  /** Answers per latency bucket; `timed` of them in all. */
  hist: number[];
}

export interface CheckSample {
  readonly state: VerdictState;
  /** How long the answer took; absent when nothing answered (or nothing was asked: a heartbeat). */
  readonly latencyMs?: number;
}

export function emptyRollup(): Rollup {
  return { checks: 0, failures: 0, degraded: 0, maxMs: 0, sumMs: 0, hist: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0) };
}

function bucketOf(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms > LATENCY_BOUNDS_MS[i]!) i++;
  return i;
}

/** Adds one check to an accumulator the caller owns (the hot path: no allocation). */
export function tally(into: Rollup, sample: CheckSample): void {
  if (sample.state === 'unknown') return;
  into.checks++;
  if (sample.state === 'down') into.failures++;
  else if (sample.state === 'degraded' || sample.state === 'partial') into.degraded++;
  const ms = sample.latencyMs;
  if (ms !== undefined && Number.isFinite(ms) && ms >= 0) {
    const rounded = Math.round(ms);
    into.hist[bucketOf(rounded)]!++;
    into.sumMs += rounded;
    if (rounded > into.maxMs) into.maxMs = rounded;
  }
}

/** The sum of many rollups, added into one new accumulator (no rollup of the input is changed). */
export const sumRollups = (rs: Iterable<Rollup>): Rollup => {
  const total = emptyRollup();
  for (const r of rs) {
    total.checks += r.checks;
    total.failures += r.failures;
    total.degraded += r.degraded;
    total.sumMs += r.sumMs;
    if (r.maxMs > total.maxMs) total.maxMs = r.maxMs;
    for (let i = 0; i < total.hist.length; i++) total.hist[i]! += r.hist[i] ?? 0;
  }
  return total;
};

export const mergeRollups = (a: Rollup, b: Rollup): Rollup => sumRollups([a, b]);

/** Answers timed. */
export const timed = (r: Rollup): number => r.hist.reduce((a, b) => a + b, 0);

/** The bound of the bucket holding the p-th percentile answer (the max when it is the last bucket); undefined with no answers. */
export function percentile(r: Rollup, p: number): number | undefined {
  const n = timed(r);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let i = 0; i < r.hist.length; i++) {
    seen += r.hist[i]!;
    if (seen >= rank) return Math.min(LATENCY_BOUNDS_MS[i] ?? r.maxMs, r.maxMs);
  }
  return r.maxMs;
}

/** Share of checks that were not down, 0..1; undefined with no checks. Degraded counts as up: it answered. */
export const uptimeOf = (r: Rollup): number | undefined => (r.checks === 0 ? undefined : (r.checks - r.failures) / r.checks);

export const averageMs = (r: Rollup): number | undefined => {
  const n = timed(r);
  return n === 0 ? undefined : r.sumMs / n;
};

/**
 * As stored: [checks, failures, degraded, maxMs, sumMs, ...histogram] with trailing zero buckets
 * left out. Numbers in an array, because names repeated in every hour of every monitor would
 * triple the bytes.
 */
export type EncodedRollup = number[];

export function encodeRollup(r: Rollup): EncodedRollup {
  let end = r.hist.length;
  while (end > 0 && r.hist[end - 1] === 0) end--;
  return [r.checks, r.failures, r.degraded, r.maxMs, r.sumMs, ...r.hist.slice(0, end)];
}

/** Reads a stored rollup; anything malformed (an older or damaged value) reads as nothing rather than as wrong numbers. */
export function decodeRollup(e: unknown): Rollup | undefined {
  if (!Array.isArray(e) || e.length < 5 || e.length > 5 + LATENCY_BOUNDS_MS.length + 1) return undefined;
  if (!e.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) return undefined;
  const nums = e as number[];
  const hist = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
  nums.slice(5).forEach((n, i) => (hist[i] = n));
  return { checks: nums[0]!, failures: nums[1]!, degraded: nums[2]!, maxMs: nums[3]!, sumMs: nums[4]!, hist };
}

/**
 * A monitor's recent day, by the hour: keys are hours of the day (UTC), 0–23. Once the day is
 * HOURLY_KEPT_MS old its total moves into the monitor's History and the day goes.
 */
export interface StoredDay {
  h: Record<string, EncodedRollup>;
}

/**
 * A monitor's folded days, one total each by UTC day number, in one value: a 90-day answer reads
 * it and the few recent days, not 90 values.
 */
export interface History {
  d: Record<string, EncodedRollup>;
}

export const dayOf = (at: number): number => Math.floor(at / DAY_MS);
export const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;
/** Whether a day's hours are all older than HOURLY_KEPT_MS, so it is kept as one total. */
export const isFoldable = (day: number, now: number): boolean => (day + 1) * DAY_MS + HOURLY_KEPT_MS <= now;

/** Adds a rollup to the encoded one stored under `k` (a stored hour or day), in place. */
function addEncoded(into: Record<string, EncodedRollup>, k: string, r: Rollup): void {
  const have = into[k] ? decodeRollup(into[k]) : undefined;
  into[k] = encodeRollup(have ? mergeRollups(have, r) : r);
}

/** Adds hourly rollups (epoch-ms hour starts; those of other days are left out) to a stored day. */
export function addToDay(stored: StoredDay | undefined, day: number, hours: ReadonlyMap<number, Rollup>): StoredDay {
  const h: Record<string, EncodedRollup> = { ...(stored?.h ?? {}) };
  for (const [hourStart, r] of hours) if (dayOf(hourStart) === day) addEncoded(h, String((hourStart - day * DAY_MS) / HOUR_MS), r);
  return { h };
}

/** The hours of a stored day, and its total. */
export function readDay(stored: StoredDay | undefined, day: number): { hours: Map<number, Rollup>; total: Rollup } {
  const hours = new Map<number, Rollup>();
  for (const [k, e] of Object.entries(stored?.h ?? {})) {
    const hour = Number(k);
    const r = decodeRollup(e);
    if (r && Number.isInteger(hour) && hour >= 0 && hour < 24) hours.set(day * DAY_MS + hour * HOUR_MS, r);
  }
  return { hours, total: sumRollups(hours.values()) };
}

/** Adds days' totals to a history, dropping the days before `oldestDay` (retention). */
export function addToHistory(history: History | undefined, totals: ReadonlyMap<number, Rollup>, oldestDay: number): History {
  const d: Record<string, EncodedRollup> = {};
  for (const [k, e] of Object.entries(history?.d ?? {})) if (Number(k) >= oldestDay) d[k] = e;
  for (const [day, r] of totals) if (day >= oldestDay) addEncoded(d, String(day), r);
  return { d };
}

/** The days of a history, from `fromDay` on. */
export function readHistory(history: History | undefined, fromDay: number): Map<number, Rollup> {
  const out = new Map<number, Rollup>();
  for (const [k, e] of Object.entries(history?.d ?? {})) {
    const day = Number(k);
    const r = decodeRollup(e);
    if (r && Number.isInteger(day) && day >= fromDay) out.set(day, r);
  }
  return out;
}

/** What one check adds: its verdict, and how long the fastest answer took (a timeout is not an answer's time). */
export function sampleOf(state: VerdictState, probes: readonly ProbeResult[]): CheckSample {
  let latency: number | undefined;
  for (const p of probes) if ((p.ok || p.status !== undefined) && (latency === undefined || p.latency.total < latency)) latency = p.latency.total;
  return latency === undefined ? { state } : { state, latencyMs: latency };
}
