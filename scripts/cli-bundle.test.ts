import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const { isStale } = createRequire(import.meta.url)('./cli-bundle.cjs') as { isStale: (base?: string) => boolean };

describe('the CLI bundle is rebuilt when a source is newer', () => {
  let base: string;
  const at = (rel: string, secondsAgo: number) => {
    const file = path.join(base, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) fs.writeFileSync(file, '');
    const t = Date.now() / 1000 - secondsAgo;
    fs.utimesSync(file, t, t);
  };
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-cli-bundle-'));
    for (const f of ['cli/bin.ts', 'checks/a/index.ts', 'lib/k8s/client.ts', 'package.json']) at(f, 100);
    at('scripts/build-cli.mjs', 100);
    at('scripts/cli-bundle.cjs', 100);
    at('dist/flywheel-doctor.cjs', 50);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it.each([
    ['nothing changed since the build', [], false],
    ['a nested source was edited', ['checks/a/fixtures/frag.json'], true],
    ['a deep library file was edited', ['lib/k8s/client.ts'], true],
    ['package.json changed', ['package.json'], true],
    ['the build script changed', ['scripts/build-cli.mjs'], true],
    ['only a test was edited', ['checks/a/index.test.ts'], false],
    ['only a README was edited', ['checks/a/README.md'], false],
  ] as const)('%s', (_what, edited, stale) => {
    for (const f of edited) at(f, 0);
    expect(isStale(base)).toBe(stale);
  });

  it('is stale without a bundle, and never without sources (a packaged install)', () => {
    fs.rmSync(path.join(base, 'dist/flywheel-doctor.cjs'));
    expect(isStale(base)).toBe(true);
    at('dist/flywheel-doctor.cjs', 50);
    fs.rmSync(path.join(base, 'cli'), { recursive: true });
    at('lib/k8s/client.ts', 0);
    expect(isStale(base)).toBe(false);
  });
});

describe('the launcher keeps a code cache per command', () => {
  const repo = path.resolve(__dirname, '..');
  let dir: string;
  beforeEach(() => {
    // A packaged layout (launcher, bundle, no sources): nothing is rebuilt, only cached.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-cli-cache-'));
    for (const f of ['bin/flywheel-doctor.cjs', 'scripts/cli-bundle.cjs', 'dist/flywheel-doctor.cjs']) {
      fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(repo, f), path.join(dir, f));
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const call = (...args: string[]) =>
    execFileSync(process.execPath, [path.join(dir, 'bin/flywheel-doctor.cjs'), ...args], { encoding: 'utf8' });
  const caches = () =>
    fs
      .readdirSync(path.join(dir, 'dist'))
      .filter((f) => f.endsWith('.cache'))
      .map((f) => f.replace(/^.*\.v8-[^.]+(\.[^.]+)*?\.(\w+)\.cache$/, '$2'))
      .sort();

  it('writes one for each command on its first call and reuses it after', () => {
    expect(call('list')).toContain('pod-health');
    call('--help');
    expect(caches()).toEqual(['list', 'other']);
    const listCache = fs.readdirSync(path.join(dir, 'dist')).find((f) => f.endsWith('.list.cache'))!;
    const written = fs.statSync(path.join(dir, 'dist', listCache)).mtimeMs;
    expect(call('list')).toContain('pod-health');
    expect(fs.statSync(path.join(dir, 'dist', listCache)).mtimeMs).toBe(written);
  });
});
