// Every relative link in the README and the docs points at a file that exists, and every
// #fragment at a heading of its target (GitHub's anchor rule), so the front door and the
// pages it sends readers to never lead nowhere. Source files the prose names
// (`src/…`, `test/…`, `native/…` with an extension) must exist too: a renamed file
// leaves no stale pointer behind.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const pages = [
  'README.md',
  'bench/README.md',
  'bench/RESULTS.md',
  ...readdirSync(join(repo, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
];

/** Markdown outside fenced code blocks (a link inside ``` is an example, not a link). */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces become '-'. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  for (const m of prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6}\s+(.+)$/gm)) out.add(slug(m[1]!));
  return out;
}

function links(file: string): string[] {
  const text = prose(readFileSync(file, 'utf8')).replace(/`[^`\n]*`/g, (code) => (code.includes('](') ? '' : code));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
}

describe('relative links in the README and docs', () => {
  it('finds the pages and their links', () => {
    expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/contract.md', 'docs/security.md', 'docs/errors.md']));
    expect(links(join(repo, 'README.md')).length).toBeGreaterThan(10);
  });

  for (const page of pages) {
    it(`${page}: every link resolves`, () => {
      const file = join(repo, page);
      const broken: string[] = [];
      for (const target of links(file)) {
        const [path, fragment] = target.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        if (!existsSync(resolved)) { broken.push(`${target} (no ${relative(repo, resolved)})`); continue; }
        if (fragment !== undefined && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) {
          broken.push(`${target} (no heading #${fragment})`);
        }
      }
      expect(broken).toEqual([]);
    });
  }

  for (const page of pages) {
    it(`${page}: every source file it names exists`, () => {
      const text = readFileSync(join(repo, page), 'utf8');
      const named = new Set([...text.matchAll(/(?<![\w./-])((?:src|test|native|examples)\/[\w./-]+\.(?:ts|mjs|cjs|js|cc|h|py|sh|md))\b/g)].map((m) => m[1]!));
      const missing = [...named].filter((path) => !existsSync(join(repo, path)));
      expect(missing).toEqual([]);
    });
  }
});
