/**
 * Fires a burst of prepared HTTP requests and times each to its full response. It runs as its
 * own process (JSON in on stdin, out on stdout) so that the times measured are the server's, not
 * the queueing of a busy client sharing an event loop with the fakes.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

export interface BurstRequest {
  readonly headers: Record<string, string>;
  readonly body: string;
}
export interface BurstResult {
  readonly status: number;
  readonly ms: number;
}

function send(url: URL, r: BurstRequest, agent: http.Agent): Promise<BurstResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Runs the burst in a child process and returns each request's status and time. */
export function burst(url: string, requests: BurstRequest[]): Promise<BurstResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as BurstResult[]) : reject(new Error(`http-burst exited ${code}`))));
    child.stdin.end(JSON.stringify({ url, requests }));
  });
}

/**
 * The harness's own floor: the same burst against a server, in its own process, that answers
 * every request at once. What a real server adds is the difference.
 */
export async function burstFloor(requests: BurstRequest[]): Promise<BurstResult[]> {
  const server = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end()); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    await burst(`http://127.0.0.1:${port}/slack/events`, requests);
    return await burst(`http://127.0.0.1:${port}/slack/events`, requests);
  } finally {
    server.kill();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = '';
  process.stdin.on('data', (d: Buffer) => (input += d.toString()));
  process.stdin.on('end', () => {
    const { url, requests } = JSON.parse(input) as { url: string; requests: BurstRequest[] };
    const agent = new http.Agent({ keepAlive: true, maxSockets: requests.length });
    const target = new URL(url);
    void Promise.all(requests.map((r) => send(target, r, agent))).then((results) => {
      agent.destroy();
      process.stdout.write(JSON.stringify(results));
    });
  });
}
