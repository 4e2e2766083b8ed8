// Issue 13: a body that breaks the rules gets the same error from the servers (500, one
// logged line) as from the test client (thrown), with the same message; every such error
// is a TsgiError with a code and class (src/errors.ts).
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import { HeadExpiredError, InvalidBodyError, isTsgiError, TsgiError } from '../src/errors.js';
import { testClient } from '../src/testing/index.js';
import type { App, Body } from '../src/types.js';
import { exchangeRaw } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const bad = (body: unknown): App => (_e, sr) => { sr('200 OK', TEXT); return body as Body; };
const CASES: [string, App, string][] = [
  ['undefined', bad(undefined), 'the application returned undefined; expected an iterable of byte chunks'],
  ['null', bad(null), 'the application returned null; expected an iterable of byte chunks'],
  ['a number', bad(42), 'the application returned a number; expected an iterable of byte chunks'],
  ['a string', bad('text'), 'the application returned a string; expected an iterable of byte chunks'],
  ['a bare Uint8Array', bad(new Uint8Array(3)), 'the application returned a bare Uint8Array (wrap it in an array); expected an iterable of byte chunks'],
  ['a plain object', bad({}), 'the application returned an object that is neither iterable nor async iterable; expected an iterable of byte chunks'],
  ['a promise of undefined', async (_e, sr) => { sr('200 OK', TEXT); return undefined as unknown as Body; }, 'the application returned undefined; expected an iterable of byte chunks'],
  ['an iterator factory returning 7', bad({ [Symbol.iterator]: () => 7 }), "the body's [Symbol.iterator]() or [Symbol.asyncIterator]() returned number; expected an iterator"],
  ['next() returning undefined', bad({ [Symbol.iterator]: () => ({ next: () => undefined }) }), "the body iterator's next() returned undefined; expected an object {done, value}"],
  ['async next() resolving to null', bad({ [Symbol.asyncIterator]: () => ({ next: async () => null }) }), "the body iterator's next() returned null; expected an object {done, value}"],
];

describe('the test client', () => {
  it.each(CASES)('%s: throws InvalidBodyError with the message', async (_name, app, message) => {
    const error = await testClient(app).get('/').then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidBodyError);
    expect(isTsgiError(error) && error.code).toBe('TSGI_ERR_INVALID_BODY');
    expect((error as Error).message).toBe(message);
  });
});

describe.each(engines)('the server on %s', (engine) => {
  it.each(CASES)('%s: 500, and the same message logged once', async (_name, app, message) => {
    const logger = memoryLogger();
    const server = await start(app, engine, { logger }, { validate: false });
    const { responses } = await exchangeRaw(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    expect(responses[0]?.status).toBe(500);
    expect(logger.lines.filter((l) => l.startsWith('tsgi: error'))).toEqual([`tsgi: error in application: InvalidBodyError: ${message}`]);
  });
});

describe('the error registry', () => {
  const classes = (Object.values(errors) as unknown[]).filter((v): v is typeof TsgiError => typeof v === 'function' && v.prototype instanceof TsgiError);
  it('every error class has its own code, is a TypeError and passes isTsgiError', () => {
    const codes = new Set<string>();
    for (const Class of classes) {
      const error = new (Class as unknown as new (a?: unknown) => TsgiError)('x');
      expect(error).toBeInstanceOf(TypeError);
      expect(isTsgiError(error)).toBe(true);
      expect(error.code).toMatch(/^TSGI_ERR_[A-Z_]+$/);
      expect(error.name).toBe(Class.name);
      codes.add(error.code);
    }
    expect(codes.size).toBe(classes.length);
    expect([...codes]).toContain('TSGI_ERR_HEAD_EXPIRED');
  });
  it('HeadExpiredError names the key and says what to do', () => {
    const error = new HeadExpiredError('HTTP_X_SECRET');
    expect(error.code).toBe('TSGI_ERR_HEAD_EXPIRED');
    expect(error.message).toMatch(/^environ\["HTTP_X_SECRET"\] was first read after the response ended.*read the keys you need while handling the request, or keep a copy/);
  });
});
