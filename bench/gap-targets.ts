/**
 * Local target sites in their own process for bench/scale.ts. Each request names its monitor
 * (`/?m=123`); the process keeps each monitor's last hit and a histogram of the gaps between
 * hits, so the schedule is measured where it matters: at the target.
 * Messages: {reset: true} starts a new window; {stats: true} answers with the window's figures.
 */
import { createServer, type Server } from 'node:http';

const sites = Number(process.argv[2] ?? '20');
const BUCKET_MS = 10;
const MAX_GAP_MS = 15 * 60_000;
const hist = new Uint32Array(MAX_GAP_MS / BUCKET_MS + 1);
let last = new Float64Array(1 << 16);
let hits = 0;
let gaps = 0;
let maxGap = 0;
// New TCP connections in the window: a check that finds no kept-alive connection pays a connect.
let connections = 0;

function hit(m: number, at: number): void {
  if (m >= last.length) {
    const grown = new Float64Array(Math.max(m + 1, last.length * 2));
    grown.set(last);
    last = grown;
  }
  const before = last[m]!;
  last[m] = at;
  hits++;
  if (before > 0) {
    const gap = at - before;
    hist[Math.min(hist.length - 1, Math.floor(gap / BUCKET_MS))]!++;
    gaps++;
    if (gap > maxGap) maxGap = gap;
  }
}

function percentile(p: number): number {
  const want = Math.ceil((p / 100) * gaps);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    // The bucket's upper edge, never above the largest gap actually seen.
    if (seen >= want && want > 0) return Math.min((i + 1) * BUCKET_MS, Math.round(maxGap));
  }
  return 0;
}

const servers: Server[] = [];
const urls: string[] = [];
for (let i = 0; i < sites; i++) {
  const server = createServer((req, res) => {
    const q = req.url?.indexOf('m=') ?? -1;
    if (q >= 0) hit(Number.parseInt(req.url!.slice(q + 2), 10) || 0, performance.timeOrigin + performance.now());
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.keepAliveTimeout = 4_000;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  servers.push(server);
  urls.push(`http://127.0.0.1:${address.port}`);
}

process.on('message', (msg: { reset?: boolean; stats?: boolean }) => {
  if (msg.reset) {
    hist.fill(0);
    hits = 0;
    gaps = 0;
    maxGap = 0;
    connections = 0;
    // Gaps are measured from the last hit before the window too: a late first hit counts.
  }
  if (msg.stats) process.send?.({ hits, gaps, connections, gapMs: { p50: percentile(50), p99: percentile(99), max: Math.round(maxGap) } });
});
process.send?.({ urls });
process.on('disconnect', () => {
  for (const s of servers) s.close();
  process.exit(0);
});
