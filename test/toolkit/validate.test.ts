import { writeFileSync, mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileWrapper } from '../../src/file-wrapper.js';
import type { App, Body, Environ, StartResponse } from '../../src/types.js';
import { setupTestingDefaults } from '../../src/util/index.js';
import { isValidationError, validator, type ValidationRule } from '../../src/validate/index.js';
import { testClient } from '../../src/testing/index.js';
import { toFetch } from '../../src/adapters/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const noWarnings = { onWarning: (m: string) => { throw new Error(`unexpected warning ${m}`); } };

/** Run `app` through the validator with a well-formed environ; drain and close the body. */
async function run(app: App, environ: Partial<Environ> = {}, start: StartResponse = () => () => {}): Promise<string> {
  const body = await validator(app, noWarnings)(setupTestingDefaults({ ...environ }), start);
  let out = '';
  try {
    if (Symbol.iterator in body) for (const c of body as Iterable<string>) out += c;
    else for await (const c of body as AsyncIterable<string>) out += c;
  } finally {
    (body as { close(): void }).close();
  }
  return out;
}

async function rule(promise: Promise<unknown> | (() => unknown)): Promise<ValidationRule | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    if (isValidationError(error)) return error.rule;
    throw error;
  }
  return undefined;
}

const ok: App = (_e, sr) => { sr('200 OK', TEXT); return ['ok']; };

describe('validator: accepts what tsgi servers and tools produce', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-validate-'));
  writeFileSync(join(dir, 'f.txt'), 'file body');
  // Every legitimate shape at once: environ reads, input reads, errors, write(), lazy
  // start_response in a generator, async bodies, Promise apps, FileWrapper.
  const kitchenSink: App = (environ, sr) => {
    const input = environ['wsgi.input'];
    const line = input.readline();
    const rest = input.read();
    environ['wsgi.errors'].write('');
    const kind = environ.PATH_INFO;
    if (kind === '/gen') return (function* () { sr('200 OK', TEXT); yield ''; yield `gen ${line.length + rest.length}`; })();
    if (kind === '/async') return (async function* () { await null; sr('200 OK', TEXT); yield 'async'; })();
    if (kind === '/promise') return Promise.resolve().then(() => { sr('200 OK', TEXT); return ['promise']; });
    if (kind === '/write') { sr('200 OK', TEXT)('written;'); return ['then yielded']; }
    if (kind === '/file') { sr('200 OK', TEXT); return new FileWrapper(join(dir, 'f.txt')); }
    if (kind === '/empty') { sr('204 No Content', []); return []; }
    sr('200 OK', TEXT);
    return [`${environ.REQUEST_METHOD} ${environ.QUERY_STRING}`];
  };
  const cases: [string, string, string | undefined, string][] = [
    ['GET', '/plain?a=%C3%A9', undefined, 'GET a=%C3%A9'],
    ['POST', '/gen', 'line\nrest', 'gen 9'],
    ['GET', '/async', undefined, 'async'],
    ['GET', '/promise', undefined, 'promise'],
    ['PUT', '/write', 'x', 'written;then yielded'],
    ['GET', '/file', undefined, 'file body'],
    ['GET', '/empty', undefined, ''],
    ['GET', '/caf%C3%A9/%2e%2e', undefined, 'GET '],
  ];

  it.each(engines)('on a real server (%s)', async (engine) => {
    const logged: string[] = [];
    const server = await serve(validator(kitchenSink, noWarnings), engine, { logger: { error: (m) => { logged.push(m); } } });
    for (const [method, path, body, expected] of cases) {
      const res = await rawRequest(server.port, method, path, body ? { 'Content-Type': 'text/plain' } : {}, body);
      expect(res.status, `${method} ${path}: ${logged.join('\n')}`).toBe(path === '/empty' ? 204 : 200);
      expect(res.body.toString()).toBe(expected);
    }
    const chunked = await rawRequest(server.port, 'POST', '/gen', { 'Transfer-Encoding': 'chunked' }, 'a\nbc');
    expect(chunked.body.toString()).toBe('gen 4');
    expect(logged).toEqual([]);
  });

  it('under testClient and toFetch', async () => {
    const client = testClient(validator(kitchenSink, noWarnings));
    for (const [method, path, body, expected] of cases) {
      expect((await client.request(method, path, { body })).text).toBe(expected);
    }
    const handler = toFetch(validator(kitchenSink, noWarnings));
    const res = await handler(new Request('http://h.test/gen', { method: 'POST', body: 'ab\ncd' }));
    expect(await res.text()).toBe('gen 5');
  });
});

/** Send exact bytes; resolve with the response once the server closes. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

describe('validator: server bugs it finds', () => {
  // Raw obs-text bytes (RFC 9110 §5.5 allows them in field values; in a request-target a
  // server may refuse them with 400) must reach the app as one latin-1 code unit per byte
  // (PEP 3333 "Unicode Issues"). Known core gap: uWS cuts the header value at the byte
  // (HTTP_X "caf"), so the validator answers 500 there (a target that is not UTF-8 gets
  // 400 on uws, which this test accepts). Expected to fail on uws until uWS is fixed.
  // (The validator is what finds these: without it the app would get the wrong bytes.)
  for (const engine of engines) {
    (engine === 'uws' ? it.fails : it)(`latin-1 bytes in the target and a header stay latin-1 (${engine})`, async () => {
      const app = validator((e, sr) => { sr('200 OK', TEXT); return [Buffer.from(`${e.PATH_INFO}|${e.QUERY_STRING}|${e.HTTP_X}`, 'latin1')]; }, noWarnings);
      const server = await serve(app, engine);
      const header = await exchange(server.port, 'GET /a HTTP/1.1\r\nHost: h\r\nX: caf\xe9\r\nConnection: close\r\n\r\n');
      expect(header.endsWith('/a||caf\xe9')).toBe(true);
      const target = await exchange(server.port, 'GET /\xe9?q=\xe9 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
      expect(target.startsWith('HTTP/1.1 400') || target.endsWith('/\xe9|q=\xe9|undefined')).toBe(true);
    });

    // RFC 9110 §8.6 / RFC 9112 §6.3: repeated Content-Length lines are refused (400) or
    // taken as one value; CONTENT_LENGTH must be one integer either way (every engine
    // refuses the duplicate since the uws engine checks framing itself).
    it(`repeated Content-Length: 400, or one integer in CONTENT_LENGTH (${engine})`, async () => {
      const app = validator((e, sr) => { sr('200 OK', TEXT); return [String(e.CONTENT_LENGTH)]; }, noWarnings);
      const server = await serve(app, engine);
      const out = await exchange(server.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab');
      expect(out.startsWith('HTTP/1.1 400') || (out.startsWith('HTTP/1.1 200') && out.endsWith('\r\n\r\n2'))).toBe(true);
    });
  }
});

describe('validator: application-side rules', () => {
  const cases: [ValidationRule, App][] = [
    ['status-type', (_e, sr) => { sr(200 as unknown as string, TEXT); return []; }],
    ['status-form', (_e, sr) => { sr('200', TEXT); return []; }],
    ['status-form', (_e, sr) => { sr('99 Old', TEXT); return []; }],
    ['status-form', (_e, sr) => { sr('103 Early Hints', TEXT); return []; }],
    ['status-form', (_e, sr) => { sr('200 O\nK', TEXT); return []; }],
    ['headers-type', (_e, sr) => { sr('200 OK', { 'Content-Type': 'text/plain' } as unknown as [string, string][]); return []; }],
    ['headers-type', (_e, sr) => { sr('200 OK', [['Content-Type']] as unknown as [string, string][]); return []; }],
    ['header-name', (_e, sr) => { sr('200 OK', [...TEXT, ['Bad Name', 'x']]); return []; }],
    ['header-name', (_e, sr) => { sr('200 OK', [...TEXT, ['Status', '200']]); return []; }],
    ['header-value', (_e, sr) => { sr('200 OK', [...TEXT, ['X', 'a\r\nInjected: 1']]); return []; }],
    ['header-value', (_e, sr) => { sr('200 OK', [...TEXT, ['X', 'snow ☃']]); return []; }],
    ['header-hop-by-hop', (_e, sr) => { sr('200 OK', [...TEXT, ['Connection', 'close']]); return []; }],
    ['content-length', (_e, sr) => { sr('200 OK', [...TEXT, ['Content-Length', '-1']]); return []; }],
    ['start-response-twice', (_e, sr) => { sr('200 OK', TEXT); sr('500 Oops', TEXT); return []; }],
    ['start-response-args', (_e, sr) => { (sr as unknown as (s: string) => void)('200 OK'); return []; }],
    ['write-type', (_e, sr) => { sr('200 OK', TEXT)(42 as unknown as string); return []; }],
    ['body-type', (_e, sr) => { sr('200 OK', TEXT); return 'a string' as unknown as Body; }],
    ['body-type', (_e, sr) => { sr('200 OK', TEXT); return new Uint8Array(2) as unknown as Body; }],
    ['body-type', (_e, sr) => { sr('200 OK', TEXT); return { not: 'iterable' } as unknown as Body; }],
    ['body-chunk-type', (_e, sr) => { sr('200 OK', TEXT); return [42] as unknown as Body; }],
    ['body-before-start-response', () => ['data before start_response']],
    ['body-no-start-response', () => []],
    ['input-argument', (e, sr) => { e['wsgi.input'].read(1.5); sr('200 OK', TEXT); return []; }],
    ['input-close', (e, sr) => { e['wsgi.input'].close(); sr('200 OK', TEXT); return []; }],
    ['errors-argument', (e, sr) => { e['wsgi.errors'].write(Buffer.from('x') as unknown as string); sr('200 OK', TEXT); return []; }],
    ['errors-close', (e, sr) => { (e['wsgi.errors'] as unknown as { close(): void }).close(); sr('200 OK', TEXT); return []; }],
  ];
  it.each(cases)('%s', async (expected, app) => {
    expect(await rule(run(app))).toBe(expected);
  });

  it('allows start_response again with excInfo before anything is sent', async () => {
    const app: App = (_e, sr) => (function* () {
      sr('200 OK', TEXT);
      try { throw new Error('late failure'); } catch (error) { sr('500 Internal Server Error', TEXT, error); }
      yield 'error page';
    })();
    expect(await run(app)).toBe('error page');
  });

  it('says what it got: undefined, a Buffer, a plain object, a class instance', async () => {
    const message = (body: unknown) => run((_e, sr) => { sr('200 OK', TEXT); return body as Body; }).then(() => 'accepted', (e: Error) => e.message);
    expect(await message(undefined)).toMatch(/got undefined \(/);
    expect(await message(Buffer.from('abc'))).toMatch(/got Buffer\(3\)/);
    expect(await message([{ a: 1 }])).toMatch(/got an object with keys \[a\]/);
    expect(await message([new Date(0)])).toMatch(/got a Date/);
    expect(await message([5])).toMatch(/got number 5/);
  });

  it('allows empty chunks before start_response (PEP 3333 middleware rule)', async () => {
    const app: App = (_e, sr) => (function* () { yield ''; sr('200 OK', TEXT); yield 'x'; })();
    expect(await run(app)).toBe('x');
  });

  it('warns, without failing, on a status without reason phrase and a missing QUERY_STRING', async () => {
    const warnings: string[] = [];
    const env = setupTestingDefaults({});
    delete (env as Record<string, unknown>).QUERY_STRING;
    const body = validator((_e, sr) => { sr('200 ', TEXT); return ['x']; }, { onWarning: (_m, r) => { warnings.push(r); } })(env, () => () => {}) as Iterable<string> & { close(): void };
    expect([...body]).toEqual(['x']);
    body.close();
    expect(warnings).toEqual(['query-string', 'status-reason']);
  });

  it('warns on a missing Content-Type, and on one in a 204/304 (RFC 9110 §8.3 SHOULD)', async () => {
    const warned = async (app: App): Promise<string[]> => {
      const rules: string[] = [];
      const body = validator(app, { onWarning: (_m, r) => { rules.push(r); } })(setupTestingDefaults({}), () => () => {}) as Iterable<string> & { close(): void };
      [...body];
      body.close();
      return rules;
    };
    expect(await warned((_e, sr) => { sr('200 OK', []); return ['x']; })).toEqual(['content-type']);
    expect(await warned((_e, sr) => { sr('304 Not Modified', TEXT); return []; })).toEqual(['content-type']);
    expect(await warned((_e, sr) => { sr('204 No Content', []); return []; })).toEqual([]);
  });
});

describe('validator: server-side rules', () => {
  const environCases: [ValidationRule, Record<string, unknown>][] = [
    ['environ-missing-key', { SERVER_NAME: undefined }],
    ['environ-missing-key', { 'wsgi.errors': undefined }],
    ['environ-http-content', { HTTP_CONTENT_LENGTH: '1' }],
    ['environ-native-string', { PATH_INFO: '/caf\u00e9\u20ac' }],
    ['environ-native-string', { SERVER_PORT: 80 }],
    ['wsgi-version', { 'wsgi.version': [1, 1] }],
    ['wsgi-url-scheme', { 'wsgi.url_scheme': 'ftp' }],
    ['wsgi-flag-type', { 'wsgi.multithread': 0 }],
    ['wsgi-input', { 'wsgi.input': {} }],
    ['wsgi-errors', { 'wsgi.errors': { write() {} } }],
    ['wsgi-file-wrapper', { 'wsgi.file_wrapper': 'no' }],
    ['request-method', { REQUEST_METHOD: 'GE T' }],
    ['script-name', { SCRIPT_NAME: '/' }],
    ['script-name', { SCRIPT_NAME: 'app' }],
    ['path-info', { PATH_INFO: 'relative' }],
    ['content-length', { CONTENT_LENGTH: 'ten' }],
  ];
  it.each(environCases)('environ: %s %j', async (expected, patch) => {
    const env = setupTestingDefaults({}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete env[k]; else env[k] = v;
    }
    expect(await rule(() => validator(ok)(env as Environ, () => () => {}))).toBe(expected);
  });

  it('accepts OPTIONS * (PATH_INFO "*") and an absent CONTENT_LENGTH', async () => {
    expect(await run(ok, { REQUEST_METHOD: 'OPTIONS', PATH_INFO: '*' })).toBe('ok');
  });

  it('a body closed twice, read after close, or iterated twice', async () => {
    const make = () => validator(ok)(setupTestingDefaults({}), () => () => {}) as Iterable<string> & { close(): void };
    const twice = make();
    [...twice];
    twice.close();
    expect(await rule(() => twice.close())).toBe('body-close-twice');
    const afterClose = make();
    const it = afterClose[Symbol.iterator]();
    afterClose.close();
    expect(await rule(() => it.next())).toBe('body-read-after-close');
    const reread = make();
    [...reread];
    expect(await rule(() => [...reread])).toBe('body-iterated-twice');
    reread.close();
  });

  it('wsgi.input returning the wrong type, or more than asked', async () => {
    const bad = { read: () => 'text', readline: () => new Uint8Array(0), readlines: () => [], [Symbol.iterator]: [][Symbol.iterator], remaining: 0, close() {} };
    const app: App = (e, sr) => { e['wsgi.input'].read(); sr('200 OK', TEXT); return []; };
    expect(await rule(run(app, { 'wsgi.input': bad as unknown as Environ['wsgi.input'] }))).toBe('input-result');
    const greedy = { ...bad, read: () => new Uint8Array(10) };
    const app2: App = (e, sr) => { e['wsgi.input'].read(2); sr('200 OK', TEXT); return []; };
    expect(await rule(run(app2, { 'wsgi.input': greedy as unknown as Environ['wsgi.input'] }))).toBe('input-result');
  });

  it('start_response that returns no write callable', async () => {
    expect(await rule(run(ok, {}, (() => undefined) as unknown as StartResponse))).toBe('start-response-args');
  });

  it('keeps a FileWrapper body a FileWrapper (servers can still sendfile it) and closes it once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-validate-fw-'));
    writeFileSync(join(dir, 'a'), 'abc');
    const body = validator((_e, sr) => { sr('200 OK', TEXT); return new FileWrapper(join(dir, 'a')); })(setupTestingDefaults({}), () => () => {}) as FileWrapper;
    expect(body).toBeInstanceOf(FileWrapper);
    expect(body.length).toBe(3);
    body.close();
    expect(await rule(() => body.close())).toBe('body-close-twice');
  });
});
