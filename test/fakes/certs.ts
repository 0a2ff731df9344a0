import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test certificates made on the spot with Debian's openssl: a private CA, and leaves that
 * are valid, expired, for another host, or self-signed. Nothing is downloaded or checked in.
 */
export interface TestPki {
  readonly ca: string;
  readonly valid: KeyPair;
  readonly expired: KeyPair;
  readonly wrongHost: KeyPair;
  readonly selfSigned: KeyPair;
  /** For any name under status.test (benchmarks give each fake status page its own host). */
  readonly wildcard: KeyPair;
}

export interface KeyPair {
  readonly key: string;
  readonly cert: string;
}

let cached: TestPki | undefined;

export function testPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'isdown-pki-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=isdown test CA');
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(
      join(dir, 'ca.cnf'),
      [
        '[ca]', 'default_ca = test', '[test]', `dir = ${dir}`, 'database = $dir/index.txt', 'serial = $dir/serial',
        'new_certs_dir = $dir', 'certificate = $dir/ca.pem', 'private_key = $dir/ca.key', 'default_md = sha256',
        'policy = any', 'copy_extensions = copy', 'unique_subject = no', '[any]', 'commonName = supplied',
      ].join('\n'),
    );
    const leaf = (name: string, san: string, dates: string[]): KeyPair => {
      run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`, '-addext', `subjectAltName=${san}`);
      run('ca', '-batch', '-config', 'ca.cnf', '-notext', '-in', `${name}.csr`, '-out', `${name}.pem`, ...dates);
      return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') };
    };
    const valid = leaf('valid', 'IP:127.0.0.1,DNS:localhost', ['-days', '2']);
    const expired = leaf('expired', 'IP:127.0.0.1,DNS:localhost', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
    const wrongHost = leaf('wronghost', 'DNS:other.example', ['-days', '2']);
    run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    const selfSigned = { key: readFileSync(join(dir, 'self.key'), 'utf8'), cert: readFileSync(join(dir, 'self.pem'), 'utf8') };
    const wildcard = leaf('wildcard', 'DNS:*.status.test,IP:127.0.0.1', ['-days', '2']);
    cached = { ca: readFileSync(join(dir, 'ca.pem'), 'utf8'), valid, expired, wrongHost, selfSigned, wildcard };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
