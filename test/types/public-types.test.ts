// Type tests for the public API (src/types.ts). `npm test` runs tsc on test/, so an
// `expectTypeOf` that does not hold, or a `@ts-expect-error` line that compiles, fails
// the suite; vitest also runs the file (expectTypeOf is a no-op at run time).

import { describe, expectTypeOf, it } from 'vitest';
import type {
  App, Body, Environ, ErrorStream, FileWrapperFactory, InputStream, ResponseHeaders, Server, StartResponse, WriteCallable,
} from '../../src/index.js';
import type { serveFast } from '../../src/index.js';

describe('Environ', () => {
  it('types the CGI keys, with CONTENT_* optional (RFC 3875 §4.1)', () => {
    expectTypeOf<Environ['REQUEST_METHOD']>().toEqualTypeOf<string>();
    expectTypeOf<Environ['PATH_INFO']>().toEqualTypeOf<string>();
    expectTypeOf<Environ['SERVER_PORT']>().toEqualTypeOf<string>();
    expectTypeOf<Environ['CONTENT_LENGTH']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Environ['CONTENT_TYPE']>().toEqualTypeOf<string | undefined>();
  });

  it('types every HTTP_* key as string | undefined: a header read needs no cast', () => {
    const read = (environ: Environ) => environ.HTTP_ACCEPT_LANGUAGE;
    expectTypeOf(read).returns.toEqualTypeOf<string | undefined>();
    const host = (environ: Environ) => environ['HTTP_X_FORWARDED_FOR'];
    expectTypeOf(host).returns.toEqualTypeOf<string | undefined>();
    // ... and string methods need no cast once the key is checked.
    const lower = (environ: Environ): string => environ.HTTP_ACCEPT?.toLowerCase() ?? '';
    expectTypeOf(lower).returns.toBeString();
  });

  it('types the wsgi.* keys (PEP 3333 "environ Variables")', () => {
    expectTypeOf<Environ['wsgi.version']>().toEqualTypeOf<[1, 0]>();
    expectTypeOf<Environ['wsgi.input']>().toEqualTypeOf<InputStream>();
    expectTypeOf<Environ['wsgi.errors']>().toEqualTypeOf<ErrorStream>();
    expectTypeOf<Environ['wsgi.file_wrapper']>().toEqualTypeOf<FileWrapperFactory>();
    expectTypeOf<Environ['wsgi.multithread']>().toEqualTypeOf<boolean>();
    expectTypeOf<Environ['wsgi.url_scheme']>().toExtend<string>();
    expectTypeOf<InputStream['read']>().returns.toEqualTypeOf<Uint8Array>();
  });

  it('wsgi.file_wrapper takes a path, a descriptor, { fd } or any object with read(size)', () => {
    const wrap = {} as Environ['wsgi.file_wrapper'];
    const uses = () => [
      wrap('/etc/hosts'), wrap(3, 65536), wrap({ fd: 3, close: () => {} }),
      wrap({ read: (size: number) => new Uint8Array(size) }),
      wrap({ read: async () => 'text', close: async () => {} }),
      // @ts-expect-error read must return bytes or text
      wrap({ read: () => 42 }),
    ];
    expectTypeOf(uses).returns.items.toEqualTypeOf<Body>();
  });

  it('keeps keys added by middleware open, as unknown (PEP 3333 allows server-defined keys)', () => {
    expectTypeOf<Environ['tsgi.request_id']>().toEqualTypeOf<unknown>();
    const setKey = (environ: Environ): void => { environ['myapp.user'] = { id: 1 }; };
    expectTypeOf(setKey).toBeFunction();
  });

  it('rejects a non-string HTTP_* value', () => {
    const environ = {} as Environ;
    // @ts-expect-error a header key holds a latin-1 string
    environ.HTTP_X_COUNT = 3;
  });
});

describe('App and its body', () => {
  it('accepts arrays of strings or bytes, generators, async generators and promises', () => {
    const arrayApp: App = (_environ, start) => { start('200 OK', []); return ['a', new Uint8Array([98])]; };
    const generatorApp: App = function* (_environ, start) { start('200 OK', []); yield 'a'; };
    const asyncApp: App = async function* (_environ, start) { start('200 OK', []); yield 'a'; };
    const promiseApp: App = async (_environ, start) => { start('200 OK', []); return ['a']; };
    const closable: App = (_environ, start) => {
      start('200 OK', []);
      return Object.assign(['a'], { close: () => {} });
    };
    expectTypeOf([arrayApp, generatorApp, asyncApp, promiseApp, closable]).items.toEqualTypeOf<App>();
  });

  it('rejects a bare string body, the most common mistake (return [text], not text)', () => {
    // @ts-expect-error a string is iterable, but it is not a body
    const wrong: App = (_environ, start) => { start('200 OK', []); return 'Hello'; };
    // @ts-expect-error nor is a promise of one
    const wrongAsync: App = async (_environ, start) => { start('200 OK', []); return 'Hello'; };
    // @ts-expect-error
    const body: Body = 'text';
    expectTypeOf([wrong, wrongAsync, body]).not.toBeNever();
  });

  it('rejects a Buffer body and undefined (a Buffer iterates numbers)', () => {
    // @ts-expect-error a Buffer is a chunk, not a body: return [buffer]
    const buffer: App = (_environ, start) => { start('200 OK', []); return Buffer.from('x'); };
    // @ts-expect-error an app must return a body
    const nothing: App = (_environ, start) => { start('200 OK', []); };
    expectTypeOf([buffer, nothing]).not.toBeNever();
  });
});

describe('start_response', () => {
  it('accepts `as const` header lists and mutable ones', () => {
    const JSON_HEADERS = [['Content-Type', 'application/json'], ['Cache-Control', 'no-store']] as const;
    const app: App = (_environ, start) => {
      start('200 OK', JSON_HEADERS);
      const mutable: [string, string][] = [['Content-Type', 'text/plain']];
      start('500 Internal Server Error', mutable, new Error('x'));
      return ['{}'];
    };
    expectTypeOf(app).toEqualTypeOf<App>();
    expectTypeOf<typeof JSON_HEADERS>().toExtend<ResponseHeaders>();
  });

  it('returns write(chunk) and rejects headers that are not pairs', () => {
    expectTypeOf<StartResponse>().returns.toEqualTypeOf<WriteCallable>();
    expectTypeOf<WriteCallable>().parameter(0).toEqualTypeOf<Uint8Array | string>();
    const start = (() => () => {}) as StartResponse;
    // @ts-expect-error a header is a (name, value) pair
    start('200 OK', [['Content-Type']]);
    // @ts-expect-error headers are a list of pairs, not an object
    start('200 OK', { 'Content-Type': 'text/plain' });
  });
});

describe('serveFast options', () => {
  it('rejects an option it does not know, and a wrong engine name, at compile time', () => {
    const app: App = () => [];
    const serve = (() => Promise.resolve({} as Server)) as unknown as typeof serveFast;
    const calls = () => [
      serve(app, { port: 0, engine: 'native', maxBodySize: 1024 }),
      // @ts-expect-error no engine serves TLS; a misspelt or unknown option is an error
      serve(app, { port: 0, tls: {} }),
      // @ts-expect-error engines are 'native', 'uws', 'node' or 'auto'
      serve(app, { engine: 'express' }),
    ];
    expectTypeOf(calls).returns.items.resolves.toEqualTypeOf<Server>();
  });
});
