// A real Hono app through fromFetch, on every engine: the bench's app (bench/hono/app.ts)
// answers as it does on @hono/node-server, and Hono's own request helpers (headers,
// raw Request, body parsers, streaming) work on the lazily built Request.
import { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { describe, expect, it } from 'vitest';
import { fromFetch } from '../../src/adapters/index.js';
import { mount } from '../../src/middleware/index.js';
import { validator } from '../../src/validate/index.js';
import { honoApp } from '../../bench/hono/app.js';
import { HONO_ORDER, HONO_ORDER_ANSWER, HONO_PARAMS_ANSWER, HONO_PARAMS_PATH } from '../../bench/hono/data.js';
import { engines, rawRequest, serve } from './helpers.js';

describe.each(engines)('Hono through fromFetch (%s)', (engine) => {
  it('serves the bench app: JSON, text, params and query, a JSON body, 400 and 404', async () => {
    const server = await serve(validator(fromFetch(honoApp().fetch)), engine);
    const json = await rawRequest(server.port, 'GET', '/json');
    expect([json.status, json.headers['content-type'], json.headers['content-length'], JSON.parse(json.body.toString())])
      .toEqual([200, 'application/json', '27', { message: 'Hello, World!' }]);
    const text = await rawRequest(server.port, 'GET', '/plaintext');
    expect([text.headers['content-type'], text.body.toString()]).toEqual(['text/plain;charset=UTF-8', 'Hello, World!']);
    expect(JSON.parse((await rawRequest(server.port, 'GET', HONO_PARAMS_PATH)).body.toString())).toEqual(HONO_PARAMS_ANSWER);
    const post = await rawRequest(server.port, 'POST', '/orders', { 'Content-Type': 'application/json' }, JSON.stringify(HONO_ORDER));
    expect([post.status, JSON.parse(post.body.toString())]).toEqual([201, HONO_ORDER_ANSWER]);
    expect((await rawRequest(server.port, 'POST', '/orders', { 'Content-Type': 'application/json' }, '{oops')).status).toBe(400);
    expect((await rawRequest(server.port, 'GET', '/missing')).status).toBe(404);
    // Hono answers HEAD as `new Response(null, getResponse)`: the GET route's head, no body.
    const head = await rawRequest(server.port, 'HEAD', '/json');
    expect([head.status, head.headers['content-type'], head.body.length]).toEqual([200, 'application/json', 0]);
  });

  it('Hono sees a Request, its headers, form bodies, the mount point stripped, and streams out', async () => {
    const app = new Hono()
      .get('/who', (c) => c.json({ raw: c.req.raw instanceof Request, ua: c.req.header('user-agent'), path: c.req.path, url: c.req.url }))
      .post('/form', async (c) => c.json(await c.req.parseBody()))
      .get('/stream', (c) => stream(c, async (s) => { for (let i = 0; i < 3; i++) await s.write(`part ${i}\n`); }));
    const server = await serve(mount({ '/hono': fromFetch(app.fetch) }), engine);
    const who = JSON.parse((await rawRequest(server.port, 'GET', '/hono/who?x=1', { 'User-Agent': 'probe/1' })).body.toString());
    expect(who).toEqual({ raw: true, ua: 'probe/1', path: '/who', url: `http://127.0.0.1:${server.port}/who?x=1` });
    const form = await rawRequest(server.port, 'POST', '/hono/form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=1&b=two');
    expect(JSON.parse(form.body.toString())).toEqual({ a: '1', b: 'two' });
    const streamed = await rawRequest(server.port, 'GET', '/hono/stream');
    expect([streamed.headers['transfer-encoding'], streamed.body.toString()]).toEqual(['chunked', 'part 0\npart 1\npart 2\n']);
  });
});
