// The error registry is the one list of codes: every code has a class that carries it and
// passes isTsgiError, is exported by name, and docs/errors.md documents exactly these.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tsgi from '../../src/index.js';
import { errorRegistry, isTsgiError } from '../../src/index.js';

const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

/** Rows of the table: | `CODE` | `Class` | when |. */
function documented(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of docs.split('\n')) {
    const m = /^\|\s*`(TSGI_ERR_[A-Z_]+)`\s*\|\s*`(\w+)`\s*\|\s*(.*?)\s*\|\s*$/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1]!), `${m[1]} documented twice`).toBe(false);
    expect(m[3]!.length, `${m[1]} has no "when"`).toBeGreaterThan(10);
    rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('error registry', () => {
  it('docs/errors.md documents every registered code with its class, and nothing else', () => {
    const registered = new Map(Object.entries(errorRegistry).map(([code, cls]) => [code, cls.name]));
    expect(registered.size).toBeGreaterThan(10);
    expect(documented()).toEqual(registered);
  });

  it('every class carries its own code, is a TsgiError and is exported under its name', () => {
    for (const [code, cls] of Object.entries(errorRegistry)) {
      // Every constructor takes (text or value, second argument); none validates them.
      const error = new (cls as unknown as new (a: unknown, b: unknown) => Error)('x', new Error('underneath'));
      expect(isTsgiError(error), code).toBe(true);
      expect((error as tsgi.TsgiError).code).toBe(code);
      expect(error.name).toBe(cls.name);
      expect(error).toBeInstanceOf(tsgi.TsgiError);
      expect((tsgi as Record<string, unknown>)[cls.name]).toBe(cls);
    }
  });

  it('no two codes share a class', () => {
    const classes = Object.values(errorRegistry);
    expect(new Set(classes).size).toBe(classes.length);
  });
});
