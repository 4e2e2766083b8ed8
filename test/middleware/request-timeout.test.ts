// requestTimeout from serveFast, on every engine, over real sockets: 503 before the first
// chunk, the connection cut after it, the app's body closed either way, one line on
// wsgi.errors, and requests that finish in time untouched.
import { describe, expect, it } from 'vitest';
import { requestTimeout, mount } from '../../src/middleware/index.js';
import type { App } from '../../src/types.js';
import { exchangeRaw, header, RawConnection } from '../helpers/raw-http.js';
import { eventually } from '../toolkit/helpers.js';
import { engines, memoryLogger, start } from '../helpers/server.js';

const closed: string[] = [];
const never = new Promise<never>(() => {});

const app: App = mount({
  '/sync': (_e, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['sync']; },
  '/quick': async (_e, sr) => { await new Promise((r) => setTimeout(r, 10)); sr('200 OK', [['Content-Type', 'text/plain']]); return ['quick']; },
  '/slow': async (_e, sr) => { await never; sr('200 OK', []); return []; },
  '/hang': (_e, sr) => {
    sr('200 OK', [['Content-Type', 'text/plain'], ['X-App', '1']]);
    return { async *[Symbol.asyncIterator]() { await never; }, close() { closed.push('hang'); } };
  },
  '/stall': (_e, sr) => {
    sr('200 OK', [['Content-Type', 'text/plain']]);
    return { async *[Symbol.asyncIterator]() { yield 'first\n'; await never; }, close() { closed.push('stall'); } };
  },
});

const request = (port: number, path: string) => exchangeRaw(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

describe.each(engines)('requestTimeout on %s', (engine) => {
  it('503 with Retry-After before the first chunk; the body is closed; the deadline is logged with the full path', async () => {
    const logger = memoryLogger();
    const server = await start(requestTimeout(app, { seconds: 0.2 }), engine, { logger }, { validate: false });
    closed.length = 0;
    const started = Date.now();
    const [slow, hang] = await Promise.all([request(server.port, '/slow'), request(server.port, '/hang')]);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const r of [slow, hang]) {
      expect(r.responses[0]!.status).toBe(503);
      expect(header(r.responses[0]!, 'retry-after')).toBe('1');
      expect(r.responses[0]!.body.toString()).toMatch(/took too long/);
    }
    expect(header(hang.responses[0]!, 'x-app')).toBeUndefined(); // the app's headers were replaced
    expect(closed).toContain('hang');
    expect(logger.lines.join('')).toMatch(/request exceeded the request timeout \(0\.2 s\): GET \/hang/);
  });

  it('after the first chunk, the connection is cut (a truncated body must not look complete)', async () => {
    const server = await start(requestTimeout(app, { seconds: 0.2 }), engine, { logger: memoryLogger() }, { validate: false });
    closed.length = 0;
    const c = new RawConnection(server.port);
    await c.write('GET /stall HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.waitClosed();
    c.close();
    const raw = c.data.toString('latin1');
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    expect(raw).toMatch(/first\n/);
    expect(raw).not.toMatch(/\r\n0\r\n\r\n$/); // no last chunk: the body is visibly cut
    await eventually(() => closed.includes('stall'));
  });

  it('requests that finish in time are untouched', async () => {
    const server = await start(requestTimeout(app, { seconds: 0.5 }), engine);
    for (const path of ['/sync', '/quick']) {
      const r = await request(server.port, path);
      expect(r.responses[0]!.status).toBe(200);
      expect(r.responses[0]!.body.toString()).toBe(path.slice(1));
    }
  });
});

describe('requestTimeout options', () => {
  it('needs a positive number of seconds', () => {
    for (const bad of [0, -1, NaN, Infinity, '1']) {
      expect(() => requestTimeout(app, { seconds: bad as number })).toThrow(expect.objectContaining({ code: 'TSGI_ERR_INVALID_OPTION' }));
    }
    expect(() => requestTimeout(app, { seconds: 1, ms: 5 } as never)).toThrow(/unknown option "ms"/);
  });
});
