/** Durations as people type and read them: "30s", "1m", "2h", "7d", "1h30m". */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
};

/** Milliseconds, or null when the text is not a duration. A bare number is seconds. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase().replace(/\s+/g, '');
  if (!t) return null;
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000);
  const re = /(\d+(?:\.\d+)?)([a-z]+)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    const unit = UNIT_MS[m[2]!];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
  }
  return matched === t.length && total > 0 ? Math.round(total) : null;
}

/** "1 h 57 min", "41 min", "12 s": the largest two units that matter. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  // Under ten minutes the seconds still matter: 90 s is "1 min 30 s", not "1 min".
  const rest = s % 60;
  return m < 10 && rest > 0 ? `${m} min ${rest} s` : `${m} min`;
}

/** Compact form for latencies: "143 ms", "2.4 s". */
export function formatLatency(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

/** The shortest exact way to write a duration that parseDuration reads back: 800ms, 90s, 5m, 2h. */
export function formatExactDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${Math.round(ms)}ms`;
}
