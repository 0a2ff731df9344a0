import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { webhookAlerts } from '../../adapters/webhook/webhook.ts';
import { createProber } from '../../src/checks/probe.ts';
import { makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';
import { infoMessage } from '../../src/core/messages.ts';
import { DeliveryError } from '../../src/core/notify.ts';
import { startTarget } from '../fakes/target.ts';
import { startWebhookReceiver } from '../fakes/webhook-receiver.ts';
import { scratchDir, startBot } from '../support/run-isdown.ts';
import { until } from '../support/until.ts';
import { LOCAL_TARGETS } from '../support/settings.ts';

const SECRET = 'test-secret-0123456789abcdef';
const OPS = { platform: 'webhook', tenant: 'webhook', channel: 'ops' };

describe('outbound webhooks', () => {
  it("sign the raw body, name the event, and turn the receiver's answers into the outbox's retry rules", async () => {
    const receiver = await startWebhookReceiver(SECRET);
    const prober = createProber({ policy: makePolicy({ allow: parseCidrList('127.0.0.1/32'), ports: 'any' }) });
    const alerts = webhookAlerts({ secret: SECRET, urlOf: (n) => (n === 'ops' ? `${receiver.url}/hook` : undefined), post: (u, b, h) => prober.post(u, b, h) });
    try {
      const ref = await alerts.post(OPS, infoMessage('hello'), { key: 'evt-1' });
      assert.deepEqual(ref, { id: 'evt-1', channel: 'ops' });
      assert.deepEqual([receiver.received[0]!.signatureOk, receiver.received[0]!.eventId, receiver.received[0]!.body.summary], [true, 'evt-1', 'hello']);

      receiver.failNext({ status: 429, headers: { 'retry-after': '7' } }, { status: 503 }, { status: 410 }, { status: 404 });
      const errors: DeliveryError[] = [];
      for (let i = 0; i < 4; i++) await alerts.post(OPS, infoMessage('x'), { key: `e${i}` }).catch((e: DeliveryError) => errors.push(e));
      assert.deepEqual(errors.map((e) => [e.message, e.opts.retryAfterMs, e.opts.gone]), [
        ['webhook ops answered 429', 7_000, undefined],
        ['webhook ops answered 503', undefined, undefined],
        ['webhook ops answered 410 Gone', undefined, true],
        ['webhook ops answered 404', undefined, undefined],
      ]);
      await assert.rejects(alerts.post({ ...OPS, channel: 'nobody' }, infoMessage('x'), { key: 'e9' }), /no webhook is named nobody/);
    } finally {
      await prober.close();
      await receiver.close();
    }
  });

  it('go through the SSRF guard: a webhook at a private or metadata address is never contacted', async () => {
    const receiver = await startWebhookReceiver(SECRET);
    const prober = createProber({ policy: makePolicy() });
    try {
      for (const url of [`${receiver.url}/hook`, 'http://169.254.169.254/latest/meta-data/', 'http://localhost:8080/']) {
        const alerts = webhookAlerts({ secret: SECRET, urlOf: () => url, post: (u, b, h) => prober.post(u, b, h) });
        await assert.rejects(alerts.post(OPS, infoMessage('x'), { key: 'k' }), (e: DeliveryError) => e instanceof DeliveryError && /private addresses|only ports/.test(e.message));
      }
      assert.equal(receiver.received.length, 0);
    } finally {
      await prober.close();
      await receiver.close();
    }
  });

  it('end to end: an outage and its recovery reach the receiver once each, signed, through retries; the console still answers', async () => {
    const receiver = await startWebhookReceiver(SECRET);
    const site = await startTarget();
    site.set('/w', { kind: 'ok', body: 'fine' });
    const dir = scratchDir();
    writeFileSync(join(dir, 'watches.yaml'), `watches:\n  webhook:ops:\n    - { target: "${site.url}/w", every: 1s }\nwebhooks:\n  ops: ${receiver.url}/isdown\n`);
    const bot = startBot({
      ...LOCAL_TARGETS,
      ISDOWN_MIN_INTERVAL: '1s',
      ISDOWN_RECHECK_DELAY: '200ms',
      ISDOWN_TOTAL_TIMEOUT: '2s',
      ISDOWN_WEBHOOK_SECRET: SECRET,
      ISDOWN_WATCHES_FILE: join(dir, 'watches.yaml'),
      STORE_URL: `sqlite://${dir}/s.sqlite`,
    });
    try {
      await bot.waitForErr(/watches file .*: 1 added/);
      bot.send('help');
      await bot.waitFor(/isdown: is it down for everyone, or just you\?/);
      receiver.failNext({ status: 503 });
      site.set('/w', { kind: 'status', status: 503 });
      await until(() => receiver.received.some((r) => r.answered === 200 && r.body.event === 'opened'), () => `the opened alert delivered: ${JSON.stringify(receiver.received, null, 1)}`);
      site.set('/w', { kind: 'ok', body: 'fine' });
      await until(() => receiver.received.some((r) => r.answered === 200 && r.body.event === 'recovered'), () => `the recovery delivered: ${JSON.stringify(receiver.received, null, 1)}`);
      const accepted = receiver.received.filter((r) => r.answered === 200);
      assert.ok(receiver.received.every((r) => r.signatureOk));
      assert.equal(receiver.received[0]!.answered, 503);
      assert.equal(receiver.received[1]!.eventId, receiver.received[0]!.eventId, 'the retry carries the same event id');
      assert.equal(new Set(accepted.map((r) => r.eventId)).size, accepted.length, 'each event accepted once');
      const opened = accepted.find((r) => r.body.event === 'opened')!.body;
      assert.equal(opened.state, 'down');
      assert.match(String(opened.summary), /127\.0\.0\.1:\d+\/w is down since/);
      assert.equal(typeof opened.incidentId, 'string');
      assert.ok(Array.isArray(opened.timeline));
      const recovered = accepted.find((r) => r.body.event === 'recovered')!.body;
      assert.equal(recovered.incidentId, opened.incidentId);
      assert.doesNotMatch(bot.errors(), new RegExp(SECRET));
    } finally {
      await bot.kill('SIGTERM');
      await receiver.close();
      await site.close();
    }
  });
});
