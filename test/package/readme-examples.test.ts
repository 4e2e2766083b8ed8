// The TypeScript examples in README.md compile against the current API: each ```ts block
// is type-checked as its own module, importing 'tsgi/…' by package name as a reader's
// project would (package self-reference resolves to src/). A block whose first line is
// `// name.ts` is that file, so the blocks may import each other.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const blocks = [...readFileSync(join(repo, 'README.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((m) => m[1]!);

describe('README.md TypeScript examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
  });

  it('type-check with strict settings', () => {
    // Inside the repository, so that 'tsgi' resolves to this package.
    const dir = mkdtempSync(join(repo, 'test/package/.readme-'));
    try {
      const files = blocks.map((code, i) => {
        const name = /^\/\/ ([\w.-]+\.ts)\n/.exec(code)?.[1] ?? `block${i}.ts`;
        writeFileSync(join(dir, name), `${code}\nexport {};\n`);
        return name;
      });
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
        extends: '../../../tsconfig.json',
        compilerOptions: { noEmit: true },
        files,
      }));
      let output = '';
      try {
        execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' });
      } catch (error) {
        output = String((error as { stdout?: string }).stdout);
      }
      expect(output).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
