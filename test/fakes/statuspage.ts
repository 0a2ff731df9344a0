import { readFileSync } from 'node:fs';
import { startTarget, type FakeTarget } from './target.ts';

/**
 * Status pages on 127.0.0.1, serving the recorded payloads in test/fixtures/statuspages at the
 * paths each provider really uses, plus broken pages for the failure tests.
 */
const dir = new URL('../fixtures/statuspages/', import.meta.url);
export const fixture = (name: string) => readFileSync(new URL(name, dir), 'utf8');

const JSON_TYPE = 'application/json; charset=utf-8';
const PAGES: [string, string, string][] = [
  ['/python/api/v2/summary.json', 'atlassian-major.json', JSON_TYPE],
  ['/github/api/v2/summary.json', 'atlassian-github-minor.json', JSON_TYPE],
  ['/discord/api/v2/summary.json', 'atlassian-discord-operational.json', JSON_TYPE],
  ['/discord-maintenance/api/v2/summary.json', 'atlassian-discord-maintenance.json', JSON_TYPE],
  ['/neon/api/v1/summary', 'incidentio-operational.json', JSON_TYPE],
  ['/openai/api/v1/summary', 'incidentio-partial.json', JSON_TYPE],
  ['/instatus/summary.json', 'instatus-summary.json', JSON_TYPE],
  ['/instatus/v2/components.json', 'instatus-components.json', JSON_TYPE],
  ['/github/history.atom', 'statuspage-history.atom', 'application/atom+xml'],
  ['/aws/ec2-us-east-1.rss', 'aws-health.rss', 'application/rss+xml'],
];

export async function startStatusPages(): Promise<FakeTarget> {
  const server = await startTarget();
  for (const [path, file, contentType] of PAGES) server.set(path, { kind: 'ok', body: fixture(file), contentType });
  const summary = fixture('atlassian-github-minor.json');
  server.set('/broken/truncated.json', { kind: 'ok', body: summary.slice(0, Math.floor(summary.length / 2)), contentType: JSON_TYPE });
  server.set('/broken/wrong-types.json', { kind: 'ok', body: JSON.stringify({ page: { name: 1 }, status: 'fine', components: 'none' }), contentType: JSON_TYPE });
  server.set('/broken/html.json', { kind: 'ok', body: '<!DOCTYPE html><html><body><h1>Just a moment...</h1></body></html>', contentType: 'text/html' });
  server.set('/broken/huge.json', { kind: 'big', bytes: 20 * 1024 * 1024 });
  server.set('/broken/truncated.atom', { kind: 'ok', body: fixture('statuspage-history.atom').slice(0, 900), contentType: 'application/atom+xml' });
  server.set('/broken/json.atom', { kind: 'ok', body: summary, contentType: JSON_TYPE });
  server.set('/broken/bomb.atom', {
    kind: 'ok',
    body: '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><feed><title>&lol2;</title></feed>',
    contentType: 'application/atom+xml',
  });
  return server;
}
