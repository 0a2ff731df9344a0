import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createResolver, editDistance, indexCatalog, loadCatalog, parseCatalog } from '../../src/checks/catalog/catalog.ts';
import { makePolicy } from '../../src/checks/ssrf.ts';
import { PROVIDERS } from '../../src/checks/statuspage/index.ts';
import { scratchDir } from '../support/run-isdown.ts';

const builtIn = loadCatalog();
const index = indexCatalog(builtIn.services);
const resolve = createResolver(index, makePolicy());

describe('built-in catalog', () => {
  it('loads with no problems', () => assert.deepEqual(builtIn.problems, []));

  it('has at least 500 services, 80 % of them with a machine-readable page, across the categories teams depend on', () => {
    assert.ok(builtIn.services.length >= 500, `${builtIn.services.length}`);
    const withPage = builtIn.services.filter((s) => s.statusPage).length;
    assert.ok(withPage / builtIn.services.length >= 0.8, `${withPage} of ${builtIn.services.length}`);
    const categories = new Set(builtIn.services.map((s) => s.category));
    for (const c of ['chat', 'social', 'code', 'ci', 'cloud', 'cdn', 'payments', 'email', 'auth', 'productivity', 'ai', 'gaming']) {
      assert.ok(categories.has(c), `missing category ${c}`);
    }
  });

  it('every URL parses as https and every status page kind has a provider', () => {
    for (const s of builtIn.services) {
      for (const u of s.urls) assert.equal(new URL(u).protocol, 'https:', `${s.id} ${u}`);
      if (s.statusPage) {
        assert.ok(PROVIDERS[s.statusPage.kind as keyof typeof PROVIDERS], `${s.id} kind ${s.statusPage.kind}`);
        assert.equal(new URL(s.statusPage.url).protocol, 'https:', s.id);
      } else {
        assert.ok(s.statusPageNote, `${s.id} has no status page and says nothing about why`);
      }
    }
  });

  it('every status page says where it was seen (repository, file, commit, date)', () => {
    const sighting = /[\w.-]+\/[\w.-]+ \S+ @[0-9a-f]{7} \(\d{4}-\d{2}\): [^;]*https?:\/\//;
    for (const s of builtIn.services) {
      if (!s.statusPage) continue;
      assert.match(s.source ?? '', sighting, `${s.id} says nowhere where its page was seen`);
      // The sighting names this very page's host.
      assert.ok(s.source!.includes(new URL(s.statusPage.page ?? s.statusPage.url).host.replace(/^www\./, '')), `${s.id}: ${s.source}`);
    }
  });

  it('a page that an endpoint-verified source found gone or misleading is not claimed, and its note says who checked', () => {
    for (const id of ['pagerduty', 'auth0', 'checkly', 'pipedrive', 'bitwarden']) {
      const s = builtIn.services.find((x) => x.id === id)!;
      assert.equal(s.statusPage, null, id);
      assert.match(s.statusPageNote!, /[\w.-]+\/[\w.-]+ apps\/[\w-]+\/README\.md @[0-9a-f]{7}/, id);
    }
    // Read the Docs has a page, but nothing public says what serves it.
    assert.equal(builtIn.services.find((x) => x.id === 'read-the-docs')!.statusPage, null);
  });

  it("X's own entry claims no status page: the page it had is the developer API's, now its own service", () => {
    const x = builtIn.services.find((s) => s.id === 'twitter')!;
    assert.equal(x.statusPage, null);
    assert.match(x.statusPageNote!, /developer API/);
    assert.equal(builtIn.services.find((s) => s.id === 'x-api')!.statusPage!.url, 'https://api.twitterstat.us/api/v2/summary.json');
  });

  it('a Statuspage page a list names by its page id is read at that id, and the newest list decides a page\'s kind', () => {
    let byId = 0;
    for (const s of builtIn.services) {
      const id = /\(page id ([a-z0-9]+)\)/.exec(s.source ?? '')?.[1];
      if (!id) continue;
      byId++;
      assert.equal(s.statusPage?.kind, 'atlassian', s.id);
      assert.equal(s.statusPage?.url, `https://${id}.statuspage.io/api/v2/summary.json`, s.id);
    }
    assert.ok(byId >= 80, `${byId}`);
    // These moved from Statuspage to incident.io after the older lists were written.
    for (const id of ['linear', 'hashicorp', 'intercom', 'zapier', 'code-climate', 'rollbar']) {
      const s = builtIn.services.find((x) => x.id === id)!;
      assert.equal(s.statusPage?.kind, 'incidentio', id);
      assert.match(s.statusPage!.url, /\/api\/v1\/summary$/, id);
    }
    // status.io pages (Roblox's, GitLab's, Docker's) are read through their RSS feed, not as Statuspage.
    for (const id of ['roblox', 'gitlab', 'docker-hub', 'clickup', 'sumo-logic']) {
      const s = builtIn.services.find((x) => x.id === id)!;
      assert.equal(s.statusPage?.kind, 'feed', id);
      assert.match(s.statusPage!.url, /\/pages\/[0-9a-f]{24}\/rss$/, id);
    }
  });

  it('faces are https, labelled, and become the target\'s faces; dependsOn names services that exist', () => {
    const ids = new Set(builtIn.services.map((s) => s.id));
    for (const s of builtIn.services) {
      for (const f of s.faces ?? []) assert.equal(new URL(f.url).protocol, 'https:', `${s.id} ${f.label}`);
      for (const d of s.dependsOn ?? []) assert.ok(ids.has(d), `${s.id} depends on unknown ${d}`);
    }
    const gh = resolve('github');
    assert.ok(gh.ok);
    assert.deepEqual(gh.target.faces, [{ label: 'API', url: 'https://api.github.com/' }]);
  });

  it('every id, name and alias is unique across the catalog', () => {
    const seen = new Map<string, string>();
    for (const s of builtIn.services) {
      for (const key of [s.id, s.name.toLowerCase(), ...s.aliases.map((a) => a.toLowerCase())]) {
        const owner = seen.get(key);
        assert.ok(!owner || owner === s.id, `"${key}" belongs to both ${owner} and ${s.id}`);
        seen.set(key, s.id);
      }
    }
  });
});

describe('forgiving lookup', () => {
  const table: [string, string][] = [
    ['twitter', 'twitter'],
    ['X', 'twitter'],
    ['x.com', 'twitter'],
    ['  GitHub ', 'github'],
    ['www.github.com', 'github'],
    ['https://www.githubstatus.com/', 'github'],
    ['discordstatus.com', 'discord'],
    ['Google Cloud', 'google-cloud'],
    ['google cloud platform', 'google-cloud'],
    ['chatgpt', 'openai'],
    ['https://status.openai.com', 'openai'],
    ['docker hub', 'docker-hub'],
    ['fly.io', 'fly-io'],
  ];
  for (const [input, id] of table) {
    it(`"${input}" → ${id}`, () => {
      const r = resolve(input);
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.equal(r.target.id, id);
      assert.equal(r.target.kind, 'catalog');
    });
  }

  it('suggests the near miss for a typo, and offers the address form', () => {
    const r = resolve('twiter');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.message, 'I don\'t know "twiter" — did you mean twitter? To check a website instead, give its address, like twiter.com.');
      assert.deepEqual(r.suggestions, ['twitter']);
    }
  });

  it('checks an unknown host name as an address', () => {
    const r = resolve('my-shop.example');
    assert.ok(r.ok);
    assert.equal(r.target.kind, 'adhoc');
    assert.deepEqual(r.target.urls, ['https://my-shop.example/']);
  });

  it('still refuses private addresses that are not in the catalog', () => {
    const r = resolve('http://10.0.0.1/');
    assert.equal(r.ok, false);
  });

  it('completes names for autocomplete, best first, within a limit', () => {
    const names = index.complete('git', 25).map((s) => s.id);
    assert.ok(names.includes('github') && names.includes('gitlab'));
    assert.ok(index.complete('', 25).length === 25);
  });

  it('measures typos including swapped letters as one edit', () => {
    assert.equal(editDistance('twitter', 'twiter'), 1);
    assert.equal(editDistance('github', 'gihtub'), 1);
    assert.equal(editDistance('slack', 'discord'), 6);
  });
});

describe("an operator's catalog", () => {
  it('merges over the built-in one and reports a broken entry with its line', () => {
    const dir = scratchDir();
    const file = join(dir, 'mine.json');
    writeFileSync(
      file,
      [
        '{',
        '  "services": [',
        '    { "id": "intranet-wiki", "name": "Wiki", "aliases": ["wiki.corp"], "urls": ["https://wiki.corp.example/"] },',
        '    { "id": "github", "name": "GitHub Enterprise", "urls": ["https://github.corp.example/"] },',
        '    {',
        '      "id": "Bad Id", "name": "Broken", "urls": ["https://x.example/"]',
        '    },',
        '    { "id": "nourl", "name": "No URL", "urls": [] },',
        '    { "id": "badkind", "name": "Bad kind", "urls": ["https://y.example/"], "statusPage": { "kind": "smoke-signals", "url": "https://y.example/s" } }',
        '  ]',
        '}',
      ].join('\n'),
    );
    const c = loadCatalog(file);
    const ids = new Set(c.services.map((s) => s.id));
    assert.ok(ids.has('intranet-wiki'));
    assert.equal(c.services.find((s) => s.id === 'github')!.name, 'GitHub Enterprise');
    assert.deepEqual(
      c.problems.map((p) => [p.line, p.message.split(':')[0]]),
      [
        [5, 'entry "Bad Id" ignored'],
        [8, 'entry "nourl" ignored'],
        [9, 'entry "badkind" ignored'],
      ],
    );
    assert.ok(c.problems.every((p) => p.file === file));
  });

  it('"builtIn": false replaces the built-in catalog; anything but a boolean is refused', () => {
    const dir = scratchDir();
    const file = join(dir, 'only.json');
    writeFileSync(file, JSON.stringify({ builtIn: false, services: [{ id: 'intranet', name: 'Intranet', urls: ['https://intranet.example/'] }] }));
    assert.deepEqual(loadCatalog(file).services.map((s) => s.id), ['intranet']);
    writeFileSync(file, JSON.stringify({ builtIn: true, services: [{ id: 'intranet', name: 'Intranet', urls: ['https://intranet.example/'] }] }));
    assert.ok(loadCatalog(file).services.length > 100);
    const wrong = parseCatalog(JSON.stringify({ builtIn: 'no', services: [] }), 'wrong.json');
    assert.match(wrong.problems[0]!.message, /"builtIn" is true .* or false/);
  });

  it('reports a file that is not JSON with the line of the error, and keeps the built-in catalog', () => {
    const r = parseCatalog('{\n  "services": [\n    { "id": "x", }\n  ]\n}', 'broken.json');
    assert.equal(r.services.length, 0);
    assert.equal(r.problems[0]!.line, 3);
    assert.match(r.problems[0]!.message, /not valid JSON/);
  });
});

describe('input that is no service name', () => {
  const resolve = createResolver(indexCatalog(loadCatalog().services), makePolicy());
  it('an empty name asks which service, and suggests none', () => {
    for (const input of ['', '   ', '""']) {
      const r = resolve(input === '""' ? '' : input);
      assert.equal(r.ok, false);
      assert.match((r as { message: string }).message, /^Which service or address\?/);
      assert.deepEqual((r as { suggestions?: string[] }).suggestions ?? [], []);
    }
  });
  it('localhost is an address, refused as private, not "give its address, like localhost.com"', () => {
    const r = resolve('localhost');
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /private addresses/);
  });
  it('a host name over 253 characters, or with a label over 63, is refused before any DNS', () => {
    const long = resolve(`${'a'.repeat(60)}.`.repeat(5) + 'com');
    assert.match((long as { message: string }).message, /DNS allows at most 253/);
    const label = resolve(`${'b'.repeat(64)}.example.com`);
    assert.match((label as { message: string }).message, /over 63 characters/);
  });
});

describe('a pasted address that names more than a host', () => {
  const resolve = createResolver(indexCatalog(loadCatalog().services), makePolicy({ ports: 'any' }));
  it('is checked as typed; the service its host belongs to adds its status page', () => {
    const r = resolve('https://github.com/acme/api/actions');
    assert.ok(r.ok);
    assert.equal(r.target.kind, 'adhoc');
    assert.deepEqual(r.target.urls, ['https://github.com/acme/api/actions']);
    assert.equal(r.target.statusPage?.url, 'https://www.githubstatus.com/api/v2/summary.json');
  });
  it('a port or a query is part of what was typed too', () => {
    for (const input of ['github.com:8443', 'https://github.com/?tab=repos']) {
      const r = resolve(input);
      assert.ok(r.ok && r.target.kind === 'adhoc', input);
      assert.equal(new URL(r.target.urls[0]!).href, new URL(input.startsWith('http') ? input : `https://${input}`).href);
    }
  });
  it('the bare host is still the service', () => {
    const r = resolve('https://github.com/');
    assert.ok(r.ok && r.target.kind === 'catalog' && r.target.id === 'github');
  });
});
