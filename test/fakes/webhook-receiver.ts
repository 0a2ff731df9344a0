import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver as a careful integrator writes one: it checks X-Isdown-Signature against
 * the raw body with the shared secret (constant time), refuses what does not verify, and can be
 * told to fail the next requests (a 503, a 429 with Retry-After) to exercise retries.
 */
export interface Received {
  readonly eventId: string;
  readonly signatureOk: boolean;
  readonly body: Record<string, unknown>;
  readonly answered: number;
}

export async function startWebhookReceiver(secret: string) {
  const received: Received[] = [];
  const failures: { status: number; headers?: Record<string, string> }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-isdown-signature'] ?? ''));
      const signatureOk = given.length === expected.length && timingSafeEqual(given, expected);
      const fail = signatureOk ? failures.shift() : { status: 401 };
      const answered = fail?.status ?? 200;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        /* recorded as an empty body; the test looks */
      }
      received.push({ eventId: String(req.headers['x-isdown-event-id'] ?? ''), signatureOk, body, answered });
      res.writeHead(answered, { 'content-type': 'text/plain', ...fail?.headers }).end(answered === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    /** The next requests fail like this, in order. */
    failNext: (...f: { status: number; headers?: Record<string, string> }[]) => failures.push(...f),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
