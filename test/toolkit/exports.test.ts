// The subpath exports other tools rely on: these names, from these modules (and, once
// built, through the package's own "exports" map).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as core from '../../src/index.js';
import * as validate from '../../src/validate/index.js';
import * as testing from '../../src/testing/index.js';
import * as util from '../../src/util/index.js';
import * as middleware from '../../src/middleware/index.js';
import * as adapters from '../../src/adapters/index.js';

const modules: Record<string, Record<string, unknown>> = { validate, testing, util, middleware, adapters };

const expected: Record<string, string[]> = {
  validate: ['validator'],
  testing: ['testClient'],
  util: ['Headers', 'requestUri', 'applicationUri', 'shiftPathInfo', 'setupTestingDefaults', 'FileWrapper'],
  middleware: ['mount', 'staticFiles', 'proxyFix', 'compress', 'requestId', 'cors', 'accessLog', 'requestTimeout'],
  adapters: ['toNodeListener', 'fromFetch', 'toFetch', 'LightResponse', 'overrideGlobalResponse'],
};
const built = existsSync(fileURLToPath(new URL('../../dist/src/adapters/index.js', import.meta.url)));

describe('toolkit exports', () => {
  it.each(Object.entries(expected))('src/%s/index.ts exports %j as functions', (name, names) => {
    for (const n of names) expect(typeof modules[name]![n], `${name}.${n}`).toBe('function');
  });

  it('tsgi/util re-exports the core FileWrapper class itself, not a copy', () => {
    expect(util.FileWrapper).toBe(core.FileWrapper);
  });

  it.skipIf(!built).each(Object.entries(expected))('the package resolves tsgi/%s (needs `npm run build`)', async (name, names) => {
    const mod = (await import(/* @vite-ignore */ `tsgi/${name}`)) as Record<string, unknown>;
    for (const n of names) expect(typeof mod[n], `tsgi/${name}.${n}`).toBe('function');
  });
});
