// PEP 3333 "Handling the Content-Length Header" and "Buffering and Streaming", judged
// on the raw bytes (RFC 9112 §6).
import { describe, expect, it } from 'vitest';
import type { App, EngineName, ServeOptions } from '../src/types.js';
import { exchangeRaw, header, RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start, UWS_LIMITS } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
/** These tests are about what the server does with exactly the body types and misuses
 * they name; the validator would wrap the body (hiding an array) or reject the misuse first. */
const startRaw = (app: App, engine: EngineName, options: ServeOptions = {}) => start(app, engine, options, { validate: false });
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const GET = (path = '/') => `GET ${path} HTTP/1.1\r\nHost: h\r\n\r\n`;

function* generator(): Generator<string> {
  yield 'a';
  yield '';
  yield 'b';
}

const bodies: Record<string, () => unknown> = {
  '/array': () => ['Hello, ', 'World!'],
  '/single-gen': function* () { yield 'only'; },
  '/gen': generator,
  '/async': async function* () { yield 'x'; await null; yield 'y'; },
  '/empty': () => [],
  '/empty-chunks': () => ['', new Uint8Array(0)],
  '/bytes': () => [new Uint8Array([0xff, 0x00, 0x41])],
  '/utf8': () => ['h\u00e9\u2603'],
};

const app: App = (env, sr) => {
  sr('200 OK', [['Content-Type', 'text/plain']]);
  return bodies[env.PATH_INFO]!() as Iterable<string>;
};

describe.each(engines)('response framing on %s', (engine) => {
  it.each([
    ['/array', 'length', 'Hello, World!'],
    ['/single-gen', 'length', 'only'],
    ['/gen', 'chunked', 'ab'],
    ['/async', 'chunked', 'xy'],
    ['/empty', 'length', ''],
    ['/empty-chunks', 'length', ''],
    ['/utf8', 'length', 'h\u00e9\u2603'],
  ])('%s → %s framing', async (path, framing, text) => {
    const s = await startRaw(app, engine);
    const { responses } = await exchangeRaw(s.port, GET(path));
    const r = responses[0]!;
    expect(r.framing).toBe(framing);
    expect(r.body.toString('utf8')).toBe(text);
    if (framing === 'length') expect(Number(header(r, 'content-length'))).toBe(Buffer.byteLength(text));
  });

  it('sends bytes unchanged', async () => {
    const s = await startRaw(app, engine);
    const { responses } = await exchangeRaw(s.port, GET('/bytes'));
    expect([...responses[0]!.body]).toEqual([0xff, 0x00, 0x41]);
  });

  it('streams close-delimited to an HTTP/1.0 client', async ({ skip }) => {
    if (engine === 'uws') skip(UWS_LIMITS.http10);
    const s = await startRaw(app, engine);
    const { responses, closed } = await exchangeRaw(s.port, 'GET /gen HTTP/1.0\r\n\r\n');
    expect(responses[0]!.framing).toBe('close');
    expect(responses[0]!.body.toString()).toBe('ab');
    expect(closed).toBe(true);
  });

  it('keeps an HTTP/1.0 keep-alive connection open for a sized response', async ({ skip }) => {
    if (engine === 'uws') skip(UWS_LIMITS.http10);
    const s = await startRaw(app, engine);
    const c = new RawConnection(s.port);
    await c.write('GET /array HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /array HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const rs = await c.responses(2);
    expect(rs.map((r) => r.body.toString())).toEqual(['Hello, World!', 'Hello, World!']);
    expect(header(rs[0]!, 'connection')?.toLowerCase()).toBe('keep-alive');
    c.close();
  });

  it('HEAD sends the head with the would-be length and no body', async () => {
    const s = await startRaw(app, engine);
    const c = new RawConnection(s.port);
    await c.write('HEAD /array HTTP/1.1\r\nHost: h\r\n\r\nGET /array HTTP/1.1\r\nHost: h\r\n\r\n');
    const rs = await c.responses(2, ['HEAD', 'GET']);
    expect(header(rs[0]!, 'content-length')).toBe('13');
    expect(rs[0]!.body.length).toBe(0);
    expect(rs[1]!.body.toString()).toBe('Hello, World!');
    c.close();
  });

  it('204 and 304 carry no body and no chunked framing', async () => {
    const s = await startRaw((env, sr) => {
      sr(env.PATH_INFO === '/204' ? '204 No Content' : '304 Not Modified', [['ETag', '"x"']]);
      return ['ignored'];
    }, engine);
    const c = new RawConnection(s.port);
    await c.write(GET('/204') + GET('/304') + GET('/204'));
    const rs = await c.responses(3);
    expect(rs.map((r) => r.status)).toEqual([204, 304, 204]);
    for (const r of rs) {
      expect(r.body.length).toBe(0);
      expect(header(r, 'transfer-encoding')).toBeUndefined();
    }
    expect(header(rs[0]!, 'content-length') ?? '0').toBe('0');
    c.close();
  });

  it('cuts a body longer than its Content-Length and logs it', async () => {
    const log = memoryLogger();
    const s = await startRaw((_e, sr) => { sr('200 OK', [['Content-Length', '5']]); return ['12345', '6789']; }, engine, { logger: log });
    const c = new RawConnection(s.port);
    await c.write(GET() + GET());
    const rs = await c.responses(2);
    expect(rs.map((r) => r.body.toString())).toEqual(['12345', '12345']);
    expect(log.lines.join('\n')).toMatch(/more than its Content-Length/);
    c.close();
  });

  it('closes the connection when the body is shorter than its Content-Length', async () => {
    const log = memoryLogger();
    const s = await startRaw((_e, sr) => { sr('200 OK', [['Content-Length', '10']]); return ['123']; }, engine, { logger: log });
    const c = new RawConnection(s.port);
    await c.write(GET());
    await c.waitClosed();
    expect(c.data.toString()).toMatch(/\r\n\r\n123$/);
    expect(log.lines.join('\n')).toMatch(/less than its Content-Length/);
  });

  it('sends headers with the first non-empty chunk, not before', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const s = await startRaw((_e, sr) => {
      sr('200 OK', TEXT);
      return (async function* () { yield ''; await gate; yield 'late'; })();
    }, engine);
    const c = new RawConnection(s.port);
    await c.write(GET());
    await new Promise((r) => setTimeout(r, 50)); // give a wrong server the chance to send early
    expect(c.data.length).toBe(0);
    release();
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('late');
    c.close();
  });
});

describe.each(engines)('one-chunk peek on %s', (engine) => {
  it('re-raises excInfo when the app fails after yielding its first chunk (that chunk counts as sent)', async () => {
    let rethrown = false;
    const s = await startRaw((_e, sr) => {
      sr('200 OK', TEXT);
      return (function* () {
        yield 'first';
        try { sr('500 Error', TEXT, new Error('late')); } catch { rethrown = true; }
        yield 'second';
      })();
    }, engine);
    const { responses } = await exchangeRaw(s.port, GET());
    expect(rethrown).toBe(true);
    expect(responses[0]!.status).toBe(200);
    expect(responses[0]!.body.toString()).toBe('firstsecond');
  });

  it('HEAD with no body bytes states no Content-Length (the GET length is unknown)', async () => {
    const s = await startRaw((env, sr) => { sr('200 OK', TEXT); return env.REQUEST_METHOD === 'HEAD' ? [] : ['body']; }, engine);
    const { responses } = await exchangeRaw(s.port, 'HEAD / HTTP/1.1\r\nHost: h\r\n\r\n', ['HEAD']);
    expect(responses[0]!.status).toBe(200);
    expect(header(responses[0]!, 'content-length')).toBeUndefined();
  });
});
