import assert from 'node:assert/strict';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { keyvInstallationStore } from '../../adapters/slack/slack.ts';
import { startBotProcess, type RunningBot } from '../../src/app/bot-process.ts';
import { loadConfig } from '../../src/app/config.ts';
import { routePath } from '../../src/app/http.ts';
import { sendToBot, slashCommand, startFakeSlack, type FakeSlack } from '../fakes/slack.ts';
import { scratchDir } from '../support/run-isdown.ts';
import { LOCAL_TARGETS } from '../support/settings.ts';
import { until } from '../support/until.ts';

const SECRET = 'routes-signing-secret';
const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

/** One request exactly as written (request line included), and the status code that comes back. */
function raw(port: number, head: string, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => (socket.destroy(), reject(new Error(`no answer to ${head.split('\r\n')[0]}`))), 10_000);
    socket.on('data', (d) => {
      got += d.toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (status && got.includes('\r\n\r\n')) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(status[1]), text: got });
      }
    });
    // The server may answer and close before a large body is all sent; that is what it should do.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(got);
      if (status) resolve({ status: Number(status[1]), text: got });
      else reject(new Error(`connection closed with no answer to ${head.split('\r\n')[0]}`));
    });
    socket.write(head);
    if (body) socket.write(body);
  });
}

const req = (method: string, target: string, extra: Record<string, string> = {}, bodyLength = 0) =>
  `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n${Object.entries({ ...extra, ...(bodyLength ? { 'content-length': String(bodyLength), 'content-type': 'application/x-www-form-urlencoded' } : {}) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

const BIG = 2 * 1024 * 1024;

/** Requests that must each get a plain answer, never an exception, in every mode. `slack` is what Slack modes answer, `plain` the console mode. */
const ODD: { name: string; method: string; target: string; body?: number; slack: number; oauth?: number; plain: number }[] = [
  { name: 'HEAD /healthz (load balancers)', method: 'HEAD', target: '/healthz', slack: 200, plain: 200 },
  { name: 'GET /healthz with a query', method: 'GET', target: '/healthz?x', slack: 200, plain: 200 },
  { name: 'GET /healthz/', method: 'GET', target: '/healthz/', slack: 200, plain: 200 },
  { name: 'HEAD /metrics', method: 'HEAD', target: '/metrics', slack: 200, plain: 200 },
  { name: 'GET /', method: 'GET', target: '/', slack: 404, plain: 404 },
  { name: 'HEAD /', method: 'HEAD', target: '/', slack: 404, plain: 404 },
  { name: 'GET /favicon.ico', method: 'GET', target: '/favicon.ico', slack: 404, plain: 404 },
  { name: 'OPTIONS /slack/events', method: 'OPTIONS', target: '/slack/events', slack: 405, plain: 404 },
  { name: 'PUT /slack/events', method: 'PUT', target: '/slack/events', body: 10, slack: 405, plain: 404 },
  { name: 'GET /slack/events', method: 'GET', target: '/slack/events', slack: 405, plain: 404 },
  { name: 'DELETE /healthz', method: 'DELETE', target: '/healthz', slack: 405, plain: 405 },
  { name: 'POST /healthz', method: 'POST', target: '/healthz', body: 5, slack: 405, plain: 405 },
  { name: 'POST /slack/./events, oversized', method: 'POST', target: '/slack/./events', body: BIG, slack: 413, plain: 404 },
  { name: 'POST /slack/events#x, oversized', method: 'POST', target: '/slack/events#x', body: BIG, slack: 413, plain: 404 },
  { name: 'POST /slack/x/../events, oversized', method: 'POST', target: '/slack/x/../events', body: BIG, slack: 413, plain: 404 },
  { name: 'POST absolute-form, oversized', method: 'POST', target: 'http://evil.example/slack/events', body: BIG, slack: 413, plain: 404 },
  { name: 'POST /slack/events unsigned', method: 'POST', target: '/slack/events', body: 8, slack: 401, plain: 404 },
  { name: 'POST //slack/events (not the path)', method: 'POST', target: '//slack/events', body: 8, slack: 404, plain: 404 },
  { name: 'GET /%zz', method: 'GET', target: '/%zz', slack: 404, plain: 404 },
  { name: 'OPTIONS *', method: 'OPTIONS', target: '*', slack: 400, plain: 400 },
  { name: 'GET ftp://x/healthz', method: 'GET', target: 'ftp://x/healthz', slack: 400, plain: 400 },
  { name: 'GET with a 9,000-character path', method: 'GET', target: `/${'a'.repeat(9_000)}`, slack: 400, plain: 400 },
  { name: 'an unknown method', method: 'BREW', target: '/healthz', slack: 400, plain: 400 },
  { name: 'GET /status (no page named)', method: 'GET', target: '/status', slack: 404, plain: 404 },
  { name: 'GET /status/<a slug never made>', method: 'GET', target: '/status/AAAAAAAAAAAAAAAAAAAAAA', slack: 404, plain: 404 },
  { name: 'HEAD /status/<a slug never made>.json', method: 'HEAD', target: '/status/AAAAAAAAAAAAAAAAAAAAAA.json', slack: 404, plain: 404 },
  { name: 'GET /status/<not a slug>/badge/x.svg', method: 'GET', target: '/status/..%2f..%2fx/badge/x.svg', slack: 404, plain: 404 },
  { name: 'POST /status/<slug>', method: 'POST', target: '/status/AAAAAAAAAAAAAAAAAAAAAA', body: 3, slack: 405, plain: 405 },
  { name: 'GET /slack/install', method: 'GET', target: '/slack/install', slack: 404, oauth: 302, plain: 404 },
  { name: 'HEAD /slack/install', method: 'HEAD', target: '/slack/install', slack: 404, oauth: 302, plain: 404 },
  { name: 'POST /slack/install', method: 'POST', target: '/slack/install', body: 3, slack: 404, oauth: 405, plain: 404 },
  { name: 'GET /slack/oauth_redirect with no code', method: 'GET', target: '/slack/oauth_redirect', slack: 404, oauth: 400, plain: 404 },
];

async function oddRequests(port: number, mode: 'slack' | 'oauth' | 'plain'): Promise<void> {
  for (const o of ODD) {
    const expected = mode === 'plain' ? o.plain : mode === 'oauth' ? (o.oauth ?? o.slack) : o.slack;
    const r = await raw(port, req(o.method, o.target, {}, o.body ?? 0), o.body ? 'x'.repeat(o.body) : '');
    assert.equal(r.status, expected, `${mode}: ${o.name} answered ${r.status}`);
    if (o.method === 'HEAD') assert.match(r.text, /\r\n\r\n$/, `${o.name}: a HEAD answer has no body`);
  }
}

describe('routing request targets', () => {
  it('normalises every spelling of a path to the one its route names', () => {
    assert.equal(routePath('/slack/./events'), '/slack/events');
    assert.equal(routePath('/slack/events#x'), '/slack/events');
    assert.equal(routePath('/slack/a/../events?x=1'), '/slack/events');
    assert.equal(routePath('http://evil.example/slack/events'), '/slack/events');
    assert.equal(routePath('/healthz/'), '/healthz');
    assert.equal(routePath('//slack/events'), '//slack/events');
    assert.equal(routePath('*'), null);
    assert.equal(routePath('ftp://x/y'), null);
    assert.equal(routePath(`/${'a'.repeat(9_000)}`), null);
  });
});

describe('odd HTTP requests to a running bot', () => {
  let slack: FakeSlack;
  const logs: string[] = [];
  before(async () => {
    slack = await startFakeSlack();
    slack.addWorkspace({ teamId: 'T1', token: 'xoxb-t1-token', channels: ['C1'], admins: [] });
  });
  after(async () => slack.close());

  const start = (env: Record<string, string>) =>
    startBotProcess(loadConfig({ STORE_URL: `sqlite://${scratchDir()}/r.sqlite`, PORT: '0', ...LOCAL_TARGETS, ...env }), { log: (l) => logs.push(l), stdout: sink(), interactive: false });

  async function answered(running: RunningBot, id: string): Promise<void> {
    const r = await sendToBot(`http://127.0.0.1:${running.port}/slack/events`, slashCommand({ team: 'T1', channel: 'C1', user: 'U1', text: 'help', responseUrl: slack.responseUrl(id) }), { secret: SECRET });
    assert.equal(r.status, 200);
    await until(() => slack.responses.some((x) => x.path === `/response/${id}`), 'an answer to the signed command after the odd requests');
  }

  it('console mode: each gets 404, 405 or 400, and health still answers', async () => {
    const running = await start({});
    try {
      await oddRequests(running.port!, 'plain');
      assert.equal((await fetch(`http://127.0.0.1:${running.port}/healthz`)).status, 200);
    } finally {
      await running.stop();
    }
  });

  it('Slack HTTP mode: our body limit for every spelling of the path, and a signed command still answered', async () => {
    const running = await start({ SLACK_BOT_TOKEN: 'xoxb-t1-token', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl });
    try {
      await oddRequests(running.port!, 'slack');
      await answered(running, 'after-odd-http');
    } finally {
      await running.stop();
    }
  });

  it('Slack OAuth mode: install pages answer GET and HEAD, nothing else reaches Bolt, a signed command still answered', async () => {
    const running = await start({ SLACK_CLIENT_ID: '1.2', SLACK_CLIENT_SECRET: 'cs', SLACK_STATE_SECRET: 'a-state-secret-for-tests', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl });
    try {
      await oddRequests(running.port!, 'oauth');
      await keyvInstallationStore(running.runtime.store.kv).storeInstallation({ team: { id: 'T1' }, enterprise: undefined, user: { id: 'U1', token: undefined, scopes: undefined }, bot: { token: 'xoxb-t1-token', scopes: [], id: 'B1', userId: 'UB1' }, tokenType: 'bot', isEnterpriseInstall: false } as never);
      await answered(running, 'after-odd-oauth');
    } finally {
      await running.stop();
    }
  });
});
