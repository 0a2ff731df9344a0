import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAddress, checkUrl, makePolicy, parseCidrList } from '../../src/checks/ssrf.ts';

const strict = makePolicy();

// Every one of these must be refused before any request is made.
const HOSTILE: string[] = [
  'http://127.0.0.1/',
  'http://127.1/',
  'http://127.0.0.1./',
  'http://2130706433/',
  'http://0x7f.1/',
  'http://0x7f000001/',
  'http://017700000001/',
  'http://0177.0.0.1/',
  'http://127.000.000.001/',
  'http://localhost/',
  'http://localhost./',
  'http://LOCALHOST/',
  'http://foo.localhost/',
  'http://metadata.google.internal/',
  'http://printer.local/',
  'http://0.0.0.0/',
  'http://0/',
  'http://10.0.0.1/',
  'http://10.255.255.255/',
  'http://172.16.0.1/',
  'http://172.31.255.254/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://169.254.169.254/latest/meta-data/',
  'http://169.254.0.1/',
  'http://224.0.0.1/',
  'http://255.255.255.255/',
  'http://240.0.0.1/',
  'http://[::1]/',
  'http://[::]/',
  'http://[0:0:0:0:0:0:0:1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:10.0.0.1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://168.63.129.16/machine?comp=goalstate',
  'http://[::ffff:168.63.129.16]/',
  'http://[::127.0.0.1]/',
  'http://[fe80::1]/',
  'http://[fc00::1]/',
  'http://[fd12:3456::1]/',
  'http://[ff02::1]/',
  'http://[64:ff9b::a00:1]/',
  'http://[64:ff9b::7f00:1]/',
  'http://[2002:7f00:1::]/',
  'http://[2001:db8::1]/',
  'http://user@example.com/',
  'http://example.com@127.0.0.1/',
  'http://user:pass@example.com/',
  'ftp://example.com/',
  'file:///etc/passwd',
  'gopher://example.com/',
  'javascript:alert(1)',
  'http://example.com:22/',
  'http://example.com:6379/',
  'https://example.com:8443/',
  'http://intranet/',
];

describe('SSRF guard: URLs', () => {
  it(`has at least 40 hostile inputs (${HOSTILE.length})`, () => {
    assert.ok(HOSTILE.length >= 40);
  });
  for (const input of HOSTILE) {
    it(`refuses ${input}`, () => {
      const r = checkUrl(input, strict);
      assert.equal(r.ok, false, `${input} should be refused`);
      if (!r.ok) assert.match(r.refusal.message, /\w/);
    });
  }

  it('explains a private refusal in words', () => {
    const r = checkUrl('http://10.0.0.1/', strict);
    assert.ok(!r.ok);
    assert.match(r.refusal.message, /does not check private addresses/);
  });

  for (const input of ['example.com', 'https://example.com/path?q=1', 'http://93.184.216.34/', 'http://[2606:4700:4700::1111]/', 'www.github.com']) {
    it(`accepts public ${input}`, () => {
      assert.equal(checkUrl(input, strict).ok, true);
    });
  }

  it('adds https:// to a bare name', () => {
    const r = checkUrl('example.com', strict);
    assert.ok(r.ok);
    assert.equal(r.url.href, 'https://example.com/');
  });

  it('lets the operator allow a CIDR and a port on purpose', () => {
    const policy = makePolicy({ allow: parseCidrList('127.0.0.1/32, 10.1.0.0/16'), ports: 'any' });
    assert.equal(checkUrl('http://127.0.0.1:8080/', policy).ok, true);
    assert.equal(checkUrl('http://10.1.2.3/', policy).ok, true);
    assert.equal(checkUrl('http://10.2.0.1/', policy).ok, false);
    assert.equal(checkUrl('http://127.0.0.2/', policy).ok, false);
  });
});

describe('SSRF guard: connect-time addresses', () => {
  const table: [string, boolean][] = [
    ['8.8.8.8', true],
    ['2606:4700:4700::1111', true],
    ['64:ff9b::808:808', true], // NAT64 of a public address
    ['127.0.0.1', false],
    ['::ffff:127.0.0.1', false],
    ['10.0.0.1', false],
    ['169.254.169.254', false],
    ['168.63.129.16', false], // Azure's platform address
    ['64:ff9b::a83f:8110', false], // the same through NAT64
    ['168.63.129.17', true],
    ['fe80::1%eth0', false],
    ['::1', false],
    ['not-an-ip', false],
  ];
  for (const [ip, allowed] of table) {
    it(`${allowed ? 'allows' : 'refuses'} ${ip}`, () => {
      assert.equal(checkAddress(ip, strict) === null, allowed);
    });
  }
});
