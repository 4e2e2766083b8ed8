// PEP 3333 semantics replayed on every engine, the in-memory one included: environ,
// the start_response rules, excInfo, write(), Content-Length handling, HEAD, close()
// exactly once, and errors (500 before the head, a cut connection after), each logged once.
import { describe, expect, it } from 'vitest';
import type { App, Body, StartResponse } from '../../src/types.js';
import { enginesForSemantics, serveFor } from '../helpers/semantics.js';
import { memoryLogger, UWS_LIMITS } from '../helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

/** Runs `misuse` inside the app; answers with the error class and code it threw. */
function probe(misuse: (sr: StartResponse) => void): App {
  return (_env, startResponse) => {
    let outcome = 'no error';
    try {
      misuse(startResponse);
    } catch (error) {
      outcome = `${(error as Error).name}:${(error as { code?: string }).code}`;
    }
    try { startResponse('200 OK', TEXT, [new Error('reset')]); } catch { /* committed */ }
    return [outcome];
  };
}

describe.each(enginesForSemantics())('PEP 3333 semantics on %s', (engine) => {
  it.each<[string, (sr: StartResponse) => void, string]>([
    ['a status without reason', (sr) => sr('ok', []), 'InvalidStatusError:TSGI_ERR_INVALID_STATUS'],
    ['an interim status', (sr) => sr('100 Continue', []), 'InvalidStatusError:TSGI_ERR_INVALID_STATUS'],
    ['a header value with CRLF', (sr) => sr('200 OK', [['X-A', 'v\r\nX-Evil: 1']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER'],
    ['a value beyond latin-1', (sr) => sr('200 OK', [['X-A', '\u2603']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER'],
    ['a hop-by-hop header', (sr) => sr('200 OK', [['Connection', 'close']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER'],
    ['a non-numeric Content-Length', (sr) => sr('200 OK', [['Content-Length', '1x']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER'],
    ['a second call without excInfo', (sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); }, 'StartResponseTwiceError:TSGI_ERR_START_RESPONSE_TWICE'],
  ])('start_response refuses %s with the same error', async (_name, misuse, expected) => {
    const server = await serveFor(probe(misuse), engine);
    const r = await server.request();
    expect([r.status, r.body.toString()]).toEqual([200, expected]);
    expect([...r.headers.keys()]).not.toContain('x-evil');
  });

  it('write() refuses a chunk that is not bytes or text, and writes in order with the body', async () => {
    const server = await serveFor((_e, sr) => {
      const write = sr('200 OK', TEXT);
      let outcome = 'no error';
      try { write(7 as unknown as string); } catch (error) { outcome = (error as { code?: string }).code ?? String(error); }
      write('w:');
      return [outcome];
    }, engine);
    expect((await server.request()).body.toString()).toBe('w:TSGI_ERR_INVALID_CHUNK');
  });

  it('excInfo once the head is sent re-raises the original error; the response is cut, logged once', async () => {
    const log = memoryLogger();
    const marker = new Error('original failure');
    let rethrown: unknown;
    const server = await serveFor((_e, sr) => {
      const write = sr('200 OK', TEXT);
      write('partial');
      try { sr('500 Err', [], marker); } catch (e) { rethrown = e; }
      throw rethrown;
    }, engine, { logger: log });
    const r = await server.request();
    expect(rethrown).toBe(marker);
    expect([r.status, r.body.toString(), r.cut]).toEqual([200, 'partial', true]);
    expect(log.lines.filter((l) => l.includes('original failure'))).toHaveLength(1);
  });

  it('the environ: CGI keys, latin-1 PATH_INFO, joined and dropped headers, wsgi.input', async () => {
    const server = await serveFor((e, sr) => {
      sr('200 OK', TEXT);
      const input = e['wsgi.input'];
      const line = input.readline();
      return [JSON.stringify({
        m: e.REQUEST_METHOD, s: e.SCRIPT_NAME, p: e.PATH_INFO, q: e.QUERY_STRING, ct: e.CONTENT_TYPE, cl: e.CONTENT_LENGTH,
        n: e.SERVER_NAME, proto: e.SERVER_PROTOCOL, twice: e.HTTP_X_TWICE, under: 'HTTP_X_UNDER' in e, host: e.HTTP_HOST,
        v: e['wsgi.version'], scheme: e['wsgi.url_scheme'], line: Buffer.from(line).toString(), rest: Buffer.from(input.read()).toString(),
        port: /^\d+$/.test(e.SERVER_PORT), mt: e['wsgi.multithread'], ro: e['wsgi.run_once'], term: e['wsgi.input_terminated'],
      })];
    }, engine);
    const headers: [string, string][] = [['Host', 'example.test:8080'], ['X-Twice', 'a'], ['X-Twice', 'b'], ['Content-Type', 'text/x']];
    // uWS v20.30 drops a request whose header name has "_" (see toolkit/testing.test.ts).
    if (engine !== 'uws') headers.push(['X_Under', 'dropped']);
    const r = await server.request({ method: 'POST', target: '/a%20b/%C3%A9?x=%20', headers, body: 'line 1\nline 2' });
    expect(JSON.parse(r.body.toString())).toEqual({
      m: 'POST', s: '', p: '/a b/\xc3\xa9', q: 'x=%20', ct: 'text/x', cl: '13', n: 'example.test', proto: 'HTTP/1.1', twice: 'a, b', under: false,
      host: 'example.test:8080', v: [1, 0], scheme: 'http', line: 'line 1\n', rest: 'line 2', port: true, mt: false, ro: false, term: true,
    });
  });

  it('no CONTENT_LENGTH or CONTENT_TYPE on a GET without them', async () => {
    const server = await serveFor((e, sr) => { sr('200 OK', TEXT); return [`${'CONTENT_LENGTH' in e} ${'CONTENT_TYPE' in e}`]; }, engine);
    expect((await server.request()).body.toString()).toBe('false false');
  });

  it('Content-Length: the declared one is sent for HEAD, and kept for a streamed body', async () => {
    const app: App = (_e, sr) => { sr('200 OK', [...TEXT, ['Content-Length', '6']]); return (function* () { yield 'abc'; yield 'def'; })(); };
    const server = await serveFor(app, engine);
    const get = await server.request();
    expect([get.headers.get('content-length'), get.framing, get.body.toString()]).toEqual([['6'], 'length', 'abcdef']);
    const head = await server.request({ method: 'HEAD' });
    expect([head.headers.get('content-length'), head.body.length]).toEqual([['6'], 0]);
  });

  it('close() exactly once: complete, HEAD, 500 after the app threw mid-body', async () => {
    let closes = 0;
    const body = (fail: boolean): Body => ({
      [Symbol.iterator]: () => (function* () { yield 'a'; yield 'b'; if (fail) throw new Error('mid'); })(),
      close: () => { closes++; },
    }) as Body;
    const server = await serveFor((e, sr) => { sr('200 OK', TEXT); return body(e.PATH_INFO === '/fail'); }, engine, { logger: memoryLogger() });
    await server.request();
    await server.request({ method: 'HEAD' });
    const failed = await server.request({ target: '/fail' });
    expect(failed.cut).toBe(true);
    await expect.poll(() => closes).toBe(3);
  });

  it('HTTP/1.0: a streamed body ends with the connection; a known length may keep it', async ({ skip }) => {
    if (engine === 'uws') skip(UWS_LIMITS.http10);
    const server = await serveFor((e, sr) => { sr('200 OK', TEXT); return e.PATH_INFO === '/s' ? (function* () { yield 'a'; yield 'b'; })() : ['k']; }, engine);
    const streamed = await server.request({ target: '/s', versionMinor: 0 });
    expect([streamed.framing, streamed.body.toString(), streamed.keepAlive]).toEqual(['close', 'ab', false]);
    const kept = await server.request({ versionMinor: 0, headers: [['Connection', 'keep-alive']] });
    expect([kept.framing, kept.keepAlive, kept.headers.get('connection')]).toEqual(['length', true, ['keep-alive']]);
  });
});
