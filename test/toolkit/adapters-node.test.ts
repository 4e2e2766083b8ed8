import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { App, Body } from '../../src/types.js';
import { toNodeListener } from '../../src/adapters/index.js';
import { collectingErrors } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';
import { engines, eventually, rawRequest, serve } from './helpers.js';
import { exchangeRaw, header, parseResponses, RawConnection } from '../helpers/raw-http.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<number> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

describe('toNodeListener', () => {
  it('answers as the servers do: a Content-Length for a known body, a cut after an error mid-body, 500 before', async () => {
    const app: App = (e, sr) => {
      if (e.PATH_INFO === '/early') throw new Error('early');
      sr('200 OK', TEXT);
      if (e.PATH_INFO === '/known') return ['known'];
      return (function* () { yield 'first '; yield 'second'; throw new Error('late'); })();
    };
    const errors = collectingErrors();
    const port = await listen(toNodeListener(app, { errors }));
    const known = await exchangeRaw(port, 'GET /known HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    expect([header(known.responses[0]!, 'content-length'), known.responses[0]!.body.toString()]).toEqual(['5', 'known']);
    const early = await exchangeRaw(port, 'GET /early HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    expect(early.responses[0]!.status).toBe(500);
    // A chunked body without its last chunk: the client sees it was cut.
    const c = new RawConnection(port);
    await c.write('GET /late HTTP/1.1\r\nHost: h\r\n\r\n');
    await c.waitClosed();
    expect(c.data.toString()).toContain('second');
    expect(parseResponses(c.data, ['GET'], true).responses).toHaveLength(0);
    expect(errors.text.match(/early|late/g)).toEqual(['early', 'late']);
  });

  it('builds the same environ as serveFast', async () => {
    const keysApp: App = (e, sr) => {
      sr('200 OK', TEXT);
      const out = Object.keys(e).filter((k) => !['REMOTE_PORT', 'SERVER_PORT', 'HTTP_HOST'].includes(k)).sort()
        .map((k) => `${k}=${typeof e[k] === 'string' ? e[k] : typeof e[k]}`);
      return [out.join('\n')];
    };
    const port = await listen(toNodeListener(validator(keysApp)));
    const server = await serve(validator(keysApp), engines[0]!);
    const path = '/a%20b/%C3%A9?x=1&y=%2F';
    const viaNode = await rawRequest(port, 'POST', path, { 'X-Thing': 'v', 'Content-Type': 'text/plain' }, 'hello');
    const viaServe = await rawRequest(server.port, 'POST', path, { 'X-Thing': 'v', 'Content-Type': 'text/plain' }, 'hello');
    expect(viaNode.status).toBe(200);
    expect(viaNode.body.toString()).toBe(viaServe.body.toString());
    expect(viaNode.body.toString()).toContain('PATH_INFO=/a b/\xc3\xa9');
  });

  it('reads request bodies (fixed, chunked, spooled past bodyMemoryLimit)', async () => {
    const app: App = (e, sr) => { const b = e['wsgi.input'].read(); sr('200 OK', TEXT); return [`${b.length}:${Buffer.from(b.subarray(0, 3)).toString()}:${b[b.length - 1]}`]; };
    const port = await listen(toNodeListener(validator(app), { bodyMemoryLimit: 1024 }));
    const big = Buffer.alloc(200_000, 'x');
    big[big.length - 1] = 7;
    expect((await rawRequest(port, 'PUT', '/', {}, big)).body.toString()).toBe('200000:xxx:7');
    expect((await rawRequest(port, 'POST', '/', { 'Transfer-Encoding': 'chunked' }, 'abcdef')).body.toString()).toBe('6:abc:102');
  });

  it('413 past maxBodySize, declared or streamed', async () => {
    const app: App = (_e, sr) => { sr('200 OK', TEXT); return ['ok']; };
    const port = await listen(toNodeListener(app, { maxBodySize: 10, errors: collectingErrors() }));
    expect((await rawRequest(port, 'POST', '/', {}, 'x'.repeat(11))).status).toBe(413);
    expect((await rawRequest(port, 'POST', '/', { 'Transfer-Encoding': 'chunked' }, 'x'.repeat(50))).status).toBe(413);
    // A large streamed body: the 413 must still reach the client (the request is drained,
    // not destroyed under it).
    const status = await new Promise<number | string>((resolve) => {
      const req = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => { resolve(res.statusCode!); res.resume(); });
      req.on('error', (error) => resolve(String(error)));
      let sent = 0;
      const pump = (): void => {
        while (sent++ < 200) if (!req.write(Buffer.alloc(16384))) { req.once('drain', pump); return; }
        req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });

  it('sets Content-Length for known lengths; HEAD and 204 have no body', async () => {
    const app: App = (e, sr) => {
      if (e.PATH_INFO === '/none') { sr('204 No Content', []); return []; }
      sr('200 OK', TEXT);
      return e.PATH_INFO === '/stream' ? (function* () { yield 'ab'; yield 'cd'; })() : ['ab', 'cd'];
    };
    const port = await listen(toNodeListener(app));
    const get = await rawRequest(port, 'GET', '/');
    expect([get.headers['content-length'], get.body.toString()]).toEqual(['4', 'abcd']);
    // One chunk behind a validator wrapper: found by peeking, as the servers do.
    const peeked = await rawRequest(await listen(toNodeListener(validator((_e, sr) => { sr('200 OK', TEXT); return ['one']; }))), 'GET', '/');
    expect(peeked.headers['content-length']).toBe('3');
    const streamed = await rawRequest(port, 'GET', '/stream');
    expect([streamed.headers['transfer-encoding'], streamed.body.toString()]).toEqual(['chunked', 'abcd']);
    const head = await rawRequest(port, 'HEAD', '/');
    expect([head.headers['content-length'], head.body.length]).toEqual(['4', 0]);
    expect((await rawRequest(port, 'GET', '/none')).status).toBe(204);
  });

  it('releases a spooled request body when the app throws before returning', async () => {
    let input: { read(n: number): Uint8Array } | undefined;
    const app: App = (e) => { input = e['wsgi.input']; throw new Error('refused'); };
    const port = await listen(toNodeListener(app, { bodyMemoryLimit: 16, errors: collectingErrors() }));
    expect((await rawRequest(port, 'POST', '/', {}, 'x'.repeat(1000))).status).toBe(500);
    // BodyInput.close() ends reading; a spooled window can no longer be filled.
    expect(input!.read(10).length).toBe(0);
  });

  it('500 before the head, a cut connection after it', async () => {
    const errors = collectingErrors();
    const app: App = (e, sr) => {
      if (e.PATH_INFO === '/early') throw new Error('early');
      sr('200 OK', TEXT);
      return (function* () { yield 'partial'; yield 'more'; throw new Error('late'); })();
    };
    const port = await listen(toNodeListener(app, { errors }));
    expect((await rawRequest(port, 'GET', '/early')).status).toBe(500);
    await expect(rawRequest(port, 'GET', '/late')).rejects.toThrow();
    expect(errors.text).toMatch(/early[\s\S]*late/);
  });

  it('applies backpressure: a client that stops reading stops the body being pulled', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const total = 4096; // 256 MiB if it were all produced
    let produced = 0;
    let closed = 0;
    const app: App = (_e, sr) => {
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return { *[Symbol.iterator]() { for (; produced < total; produced++) yield chunk; }, close: () => { closed++; } } as Body;
    };
    const port = await listen(toNodeListener(app));
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((r) => socket.once('data', () => { socket.pause(); r(); }));
    // Wait until production stalls (the socket buffers are full): unchanged for 20 polls.
    let last = -1;
    let stable = 0;
    await eventually(() => { stable = produced === last ? stable + 1 : 0; last = produced; return stable >= 20 && produced > 0; });
    expect(produced).toBeLessThan(total / 4);
    // A client that goes away: the body is closed exactly once.
    socket.destroy();
    await eventually(() => closed > 0);
    expect(closed).toBe(1);
    expect(produced).toBeLessThan(total);
  });

  it('takes SCRIPT_NAME from express\'s req.baseUrl', async () => {
    const app: App = (e, sr) => { sr('200 OK', TEXT); return [`${e.SCRIPT_NAME}|${e.PATH_INFO}`]; };
    const listener = toNodeListener(app);
    const port = await listen((req, res) => {
      // What express does for app.use('/mounted', listener).
      (req as IncomingMessage & { baseUrl: string }).baseUrl = '/mounted';
      req.url = req.url!.slice('/mounted'.length) || '/';
      listener(req, res);
    });
    expect((await rawRequest(port, 'GET', '/mounted/x/y')).body.toString()).toBe('/mounted|/x/y');
  });
});
