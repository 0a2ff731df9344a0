/**
 * Which HTTP answers count as up. By default (CONTRACT.md, "Default verdict for HTTP answers"):
 * 2xx and a final 3xx are up; 401, 403 and 407, and a recognised bot challenge, are up but
 * "will not serve an automated check"; 429 is degraded (rate-limited from here); 404, 410, any
 * other 4xx and 5xx are down. A watch's `status 200-299,401` (or `--status`) replaces that with
 * exactly the codes listed.
 */
export type StatusRange = readonly [number, number];

const MAX_ENTRIES = 20;

/** "200-299,401" → ranges, or the reason it is not a status list. */
export function parseStatusList(text: string): { ok: true; ranges: StatusRange[]; text: string } | { ok: false; error: string } {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return { ok: false, error: 'Give the accepted status codes, like 200-299,401.' };
  if (parts.length > MAX_ENTRIES) return { ok: false, error: `At most ${MAX_ENTRIES} codes or ranges.` };
  const ranges: StatusRange[] = [];
  for (const p of parts) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
    if (!m) return { ok: false, error: `"${p.slice(0, 20)}" is not a status code or a range like 200-299.` };
    const lo = Number(m[1]);
    const hi = m[2] ? Number(m[2]) : lo;
    if (lo < 100 || hi > 599 || lo > hi) return { ok: false, error: `"${p}" is not a range of HTTP status codes (100 to 599, low to high).` };
    ranges.push([lo, hi]);
  }
  return { ok: true, ranges, text: formatStatusList(ranges) };
}

/** Ranges back to the text people type: "200-299,401". */
export function formatStatusList(ranges: readonly StatusRange[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}

export function statusAccepted(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** How the default policy reads a final answer's status. */
export type DefaultReading = 'up' | 'auth' | 'rate_limited' | 'down';

export function readStatusCode(status: number): DefaultReading {
  if (status >= 200 && status < 400) return 'up';
  if (status === 401 || status === 403 || status === 407) return 'auth';
  if (status === 429) return 'rate_limited';
  return 'down';
}
