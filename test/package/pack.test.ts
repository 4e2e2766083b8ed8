// `npm pack` ships the library only: compiled JavaScript and its declarations, the addon's
// C++ sources and binding.gyp (the install script builds it), README and package.json.
// No tests, benchmarks, examples, TypeScript sources or source maps.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
  bin: Record<string, string>;
};

/** The tarball's file list, without running the build (--ignore-scripts): dist/ is
 * what `npm test` compiled a moment ago. */
function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repo, encoding: 'utf8' });
  const [report] = JSON.parse(out) as [{ files: { path: string }[] }];
  return report.files.map((f) => f.path).sort();
}

describe('npm pack', () => {
  const files = packedFiles();

  it('holds only the library: dist/src, the addon sources, binding.gyp, README, package.json', () => {
    const allowed = /^(dist\/src\/.+\.(js|d\.ts)|native\/src\/[^/]+\.(cc|h)|native\/scripts\/addon-unavailable\.cjs|binding\.gyp|README\.md|LICENSE|package\.json)$/;
    expect(files.filter((f) => !allowed.test(f))).toEqual([]);
    for (const dir of ['test/', 'bench/', 'results/', 'examples/', 'dist/test/', 'dist/bench/', 'dist/examples/', 'native/test/', 'native/fuzz/', 'src/']) {
      expect(files.filter((f) => f.startsWith(dir)), dir).toEqual([]);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    // The MIT license text travels with every copy (its own terms require it).
    expect(files).toContain('LICENSE');
  });

  it('holds every file package.json points at: exports (JS and types) and bin', () => {
    const targets = Object.entries(pkg.exports)
      .filter(([subpath]) => subpath !== './package.json')
      .flatMap(([, target]) => (typeof target === 'string' ? [target] : Object.values(target)));
    targets.push(...Object.values(pkg.bin));
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) expect(files, target).toContain(target.replace(/^\.\//, ''));
  });

  it('holds every source binding.gyp compiles, so the install script can build the addon', () => {
    const gyp = readFileSync(`${repo}binding.gyp`, 'utf8');
    const sources = [...gyp.matchAll(/"(native\/src\/[^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(files).toContain(source);
    // Headers the sources include come along too (the whole native/src directory).
    expect(files).toContain('native/src/SharedLayout.h');
  });
});
