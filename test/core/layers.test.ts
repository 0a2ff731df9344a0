import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/** The layering DESIGN.md draws, checked on the import lines themselves. */
const ROOT = resolve(import.meta.dirname, '../..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports, resolved to a path under the project (or a package name). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm), ...text.matchAll(/import\('([^']+)'\)/g)].map((m) => m[1]!);
  return specs.map((s) => (s.startsWith('.') ? relative(ROOT, resolve(file, '..', s)) : s));
}

describe('layers', () => {
  it('adapters import nothing from src/checks, src/store or src/app: they talk to the core', () => {
    const bad = files(join(ROOT, 'adapters')).flatMap((f) => importsOf(f).filter((i) => /^src\/(checks|store|app)\//.test(i)).map((i) => `${relative(ROOT, f)} → ${i}`));
    assert.deepEqual(bad, []);
  });

  it('the core imports nothing outside the core, and no network or platform package', () => {
    const bad = files(join(ROOT, 'src/core')).flatMap((f) =>
      importsOf(f)
        .filter((i) => (!i.startsWith('src/core/') && !i.startsWith('node:')) || /^node:(http|https|net|dns|tls|dgram)$/.test(i))
        .map((i) => `${relative(ROOT, f)} → ${i}`),
    );
    assert.deepEqual(bad, []);
  });

  it('checks and store never import adapters', () => {
    const bad = [...files(join(ROOT, 'src/checks')), ...files(join(ROOT, 'src/store'))].flatMap((f) => importsOf(f).filter((i) => i.startsWith('adapters/')).map((i) => `${relative(ROOT, f)} → ${i}`));
    assert.deepEqual(bad, []);
  });
});
