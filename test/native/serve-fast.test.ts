// The gateway on the native engine: serveFast(app, { engine: 'native' }) end to end.
import { afterEach, describe, expect, it } from 'vitest';
import { serveFast } from '../../src/index.js';
import type { App, Server } from '../../src/types.js';
import { RawConnection, header } from '../helpers/raw-http.js';

const running: Server[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

const app: App = (environ, start) => {
  const body = environ['wsgi.input'].read();
  const text = `${environ.REQUEST_METHOD} ${environ.PATH_INFO}?${environ.QUERY_STRING} ${environ.REMOTE_ADDR} ${body.length}`;
  start('200 OK', [['Content-Type', 'text/plain']]);
  return [text];
};

describe('serveFast on the native engine', () => {
  it('serves pipelined GET and POST (fixed and chunked) through the gateway', async () => {
    const server = await serveFast(app, { engine: 'native', host: '127.0.0.1', port: 0 });
    running.push(server);
    expect(server.engine).toBe('native');
    const c = new RawConnection(server.port);
    await c.write('GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n' +
      'POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' +
      'POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
    const rs = await c.responses(3);
    expect(rs.map((r) => r.body.toString())).toEqual(['GET /a?x=1 127.0.0.1 0', 'POST /b? 127.0.0.1 5', 'POST /c? 127.0.0.1 3']);
    expect(header(rs[0]!, 'server')).toBe('tsgi');
    expect(header(rs[0]!, 'date')).toMatch(/GMT$/);
    c.close();
  });

  it('still refuses smuggling shapes before the app runs', async () => {
    let calls = 0;
    const server = await serveFast((e, s) => { calls++; return app(e, s); }, { engine: 'native', host: '127.0.0.1', port: 0 });
    running.push(server);
    const c = new RawConnection(server.port);
    await c.write('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    const [r] = await c.responses(1);
    expect(r!.status).toBe(400);
    await c.waitClosed();
    expect(calls).toBe(0);
  });
});
