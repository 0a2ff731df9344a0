/**
 * Fake status pages for the poller benchmark, in their own process so their CPU is not counted:
 * `count` pages over HTTPS (any name under status.test), real recorded payloads of three kinds,
 * ETag and Last-Modified as Statuspage sends them, and a share of the pages changing every period.
 */
import { testPki } from '../test/fakes/certs.ts';
import { fixture } from '../test/fakes/statuspage.ts';
import { startTarget } from '../test/fakes/target.ts';
import { pageOf } from './status-pages.ts';

const count = Number(process.argv[2] ?? '1000');
const everyMs = Number(process.argv[3] ?? '120000');
const changing = Number(process.argv[4] ?? '0.05');
const validators = process.argv[5] !== 'none';
const pki = testPki();
const server = await startTarget({ tls: pki.wildcard });
const JSON_TYPE = 'application/json; charset=utf-8';
const ATLASSIAN = ['atlassian-github-minor.json', 'atlassian-discord-operational.json', 'atlassian-major.json', 'atlassian-discord-maintenance.json'].map(fixture);
const INCIDENTIO = ['incidentio-operational.json', 'incidentio-partial.json'].map(fixture);
const FEED = fixture('statuspage-history.atom');

let version = 0;
function serve(i: number, v: number): void {
  const p = pageOf(i);
  const body = p.kind === 'atlassian' ? ATLASSIAN[(i + v) % ATLASSIAN.length]! : p.kind === 'incidentio' ? INCIDENTIO[(i + v) % INCIDENTIO.length]! : `${FEED}<!-- ${v} -->`;
  const lastModified = new Date(Date.UTC(2026, 10, 1) + v * 60_000).toUTCString();
  server.set(p.path, { kind: 'ok', body, contentType: p.kind === 'feed' ? 'application/atom+xml' : JSON_TYPE, ...(validators ? { validators: { lastModified } } : {}) });
}
for (let i = 0; i < count; i++) serve(i, 0);
const versions = new Array<number>(count).fill(0);
// Each period a share of the pages change (a new incident, an update): the rest answer 304.
setInterval(() => {
  version++;
  for (let i = 0; i < count; i++) if ((i * 7919 + version * 104729) % 1000 < changing * 1000) serve(i, ++versions[i]!);
}, everyMs).unref();
process.send?.({ port: server.port, ca: pki.ca });
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
