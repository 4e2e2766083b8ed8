// accessLog from serveFast, on every engine, over real sockets: the line describes the
// request as received (a mount inside does not change the logged path, nor does an app
// editing environ), it renders after the response without reading the expired environ,
// and no request text can break a line's fields.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessLog, mount, proxyFix, staticFiles } from '../../src/middleware/index.js';
import type { App } from '../../src/types.js';
import { exchangeRaw } from '../helpers/raw-http.js';
import { engines, start } from '../helpers/server.js';

const FORMAT = '%(h)s "%(r)s" %(s)s %(b)s "%(a)s" %(U)s %({x-id}i)s';

function collector(): { lines: string[]; write: (line: string) => void; next(): Promise<string> } {
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  let read = 0;
  return {
    lines,
    write: (line) => { lines.push(line); wake?.(); },
    /** The next line not yet returned, once it is written. */
    async next() {
      while (read === lines.length) await new Promise<void>((resolve) => { wake = resolve; });
      return lines[read++]!;
    },
  };
}

const hello: App = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [`${environ.SCRIPT_NAME}|${environ.PATH_INFO}`];
};

/** An app that rewrites what it was given, as apps may. */
const editor: App = (environ, startResponse) => {
  environ.PATH_INFO = '/edited';
  environ.REQUEST_METHOD = 'EDITED';
  environ.REMOTE_ADDR = '0.0.0.0';
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return ['x'];
};

/** A body produced by a generator: the line is written when it ends. */
const streamed: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return (function* () { yield 'ab'; yield 'cd'; })();
};

const get = (port: number, target: string, headers = ''): Promise<Awaited<ReturnType<typeof exchangeRaw>>> =>
  exchangeRaw(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\nX-Id: 7\r\n${headers}Connection: close\r\n\r\n`);

describe.each(engines)('accessLog on %s', (engine) => {
  it('logs the path as received when a mounted app moves the prefix to SCRIPT_NAME', async () => {
    const log = collector();
    const server = await start(accessLog(mount({ '/api': hello }), { format: FORMAT, write: log.write }), engine);
    const { responses } = await get(server.port, '/api/users/7?q=1');
    expect(responses[0]!.body.toString()).toBe('/api|/users/7');
    expect(await log.next()).toBe('127.0.0.1 "GET /api/users/7?q=1 HTTP/1.1" 200 13 "t" /api/users/7 7');
  });

  it('logs what the client sent, not what the app changed in environ', async () => {
    const log = collector();
    const server = await start(accessLog(editor, { format: FORMAT, write: log.write }), engine);
    await get(server.port, '/orig');
    expect(await log.next()).toBe('127.0.0.1 "GET /orig HTTP/1.1" 200 1 "t" /orig 7');
  });

  it('renders after a streamed response ended, from the copy taken at request start', async () => {
    const log = collector();
    const server = await start(accessLog(streamed, { format: '%(h)s "%(r)s" %(s)s %(B)s "%(a)s" %({x-id}i)s %(D)s', write: log.write }), engine);
    const { responses } = await get(server.port, '/s');
    expect(responses[0]!.body.toString()).toBe('abcd');
    expect(await log.next()).toMatch(/^127\.0\.0\.1 "GET \/s HTTP\/1\.1" 200 4 "t" 7 \d+$/);
  });

  it('escapes request text, so a line always has the same fields', async () => {
    const log = collector();
    const server = await start(accessLog(hello, { format: FORMAT, write: log.write }), engine);
    await exchangeRaw(server.port, 'GET /a%20b/%22c%22 HTTP/1.1\r\nHost: x\r\nUser-Agent: evil" 200 1 "x\r\nX-Id: \\\r\nConnection: close\r\n\r\n');
    expect(await log.next()).toBe('127.0.0.1 "GET /a%20b/%22c%22 HTTP/1.1" 200 9 "evil\\x22 200 1 \\x22x" /a%20b/%22c%22 \\x5C');
  });

  it('inside proxyFix, logs the client address, and never a forged non-address', async () => {
    const log = collector();
    const app = proxyFix(accessLog(hello, { format: '%(h)s "%(r)s" %(s)s', write: log.write }), { trustedProxies: ['127.0.0.1', '::1'] });
    const server = await start(app, engine);
    await get(server.port, '/c', 'X-Forwarded-For: 203.0.113.9\r\n');
    expect(await log.next()).toBe('203.0.113.9 "GET /c HTTP/1.1" 200');
    await get(server.port, '/d', 'X-Forwarded-For: not-an-ip "quoted"\r\n');
    expect(await log.next()).toBe('127.0.0.1 "GET /d HTTP/1.1" 200');
  });

  it('counts a file body sent by sendfile, and an async app', async () => {
    const log = collector();
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-log-'));
    writeFileSync(join(dir, 'f.txt'), 'x'.repeat(5000));
    const later: App = async (_e, sr) => { await new Promise((r) => setTimeout(r, 5)); sr('200 OK', [['Content-Type', 'text/plain']]); return ['later']; };
    const server = await start(accessLog(mount({ '/files': staticFiles(dir), '/later': later }), { format: '"%(r)s" %(s)s %(B)s', write: log.write }), engine);
    const file = await get(server.port, '/files/f.txt');
    expect(file.responses[0]!.body.length).toBe(5000);
    expect(await log.next()).toBe('"GET /files/f.txt HTTP/1.1" 200 5000');
    await get(server.port, '/later');
    expect(await log.next()).toBe('"GET /later HTTP/1.1" 200 5');
  });

  it('logs an app that throws as 500', async () => {
    const log = collector();
    const server = await start(accessLog(() => { throw new Error('boom'); }, { format: '"%(r)s" %(s)s', write: log.write }), engine, { logger: { error: () => {} } }, { validate: false });
    const { responses } = await get(server.port, '/boom');
    expect(responses[0]!.status).toBe(500);
    expect(await log.next()).toBe('"GET /boom HTTP/1.1" 500');
  });
});

describe('accessLog options', () => {
  it('refuses unknown options and wrong types', () => {
    expect(() => accessLog(hello, { fromat: '%(h)s' } as never)).toThrow(expect.objectContaining({ code: 'TSGI_ERR_INVALID_OPTION' }));
    expect(() => accessLog(hello, { write: 'stdout' } as never)).toThrow(/write must be a function/);
  });
});
