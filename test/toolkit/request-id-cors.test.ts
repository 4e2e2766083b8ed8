import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { cors, requestId } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { validator } from '../../src/validate/index.js';

const hello: App = (e, sr) => { sr('200 OK', [['Content-Type', 'text/plain'], ['Access-Control-Allow-Origin', 'stale']]); return [String(e['tsgi.request_id'] ?? '')]; };

describe('requestId', () => {
  it('generates an id, puts it in environ and the response header', async () => {
    let n = 0;
    const client = testClient(validator(requestId(hello, { generate: () => `id-${++n}` })));
    const a = await client.get('/');
    const b = await client.get('/');
    expect([a.text, a.headers.get('x-request-id')]).toEqual(['id-1', 'id-1']);
    expect(b.text).toBe('id-2');
  });

  it('keeps a well-formed incoming id, replaces malformed or untrusted ones', async () => {
    const client = testClient(requestId(hello, { generate: () => 'fresh' }));
    expect((await client.get('/', { headers: { 'X-Request-Id': 'abc-123' } })).text).toBe('abc-123');
    expect((await client.get('/', { headers: { 'X-Request-Id': 'bad id<script>' } })).text).toBe('fresh');
    const untrusting = testClient(requestId(hello, { trustIncoming: false, generate: () => 'fresh' }));
    expect((await untrusting.get('/', { headers: { 'X-Request-Id': 'abc' } })).text).toBe('fresh');
  });

  it('uses a UUID by default and a custom header name; one header only', async () => {
    const res = await testClient(requestId(hello, { header: 'X-Trace' })).get('/');
    expect(res.text).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(res.headers.getAll('x-trace')).toEqual([res.text]);
  });
});

describe('cors', () => {
  it('answers a preflight with 204 without calling the app', async () => {
    let called = false;
    const app = validator(cors((_e, sr) => { called = true; sr('200 OK', [['Content-Type', 'text/plain']]); return []; }, { origin: ['https://a.test'], maxAge: 600, credentials: true }));
    const res = await testClient(app).options('/x', { headers: { Origin: 'https://a.test', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type, x-y' } });
    expect(res.status).toBe(204);
    expect(called).toBe(false);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://a.test');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type, x-y');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('adds the allow-origin header to simple requests, replacing the app\'s own', async () => {
    const res = await testClient(cors(hello, { exposeHeaders: ['X-Request-Id'] })).get('/', { headers: { Origin: 'https://b.test' } });
    expect(res.headers.getAll('access-control-allow-origin')).toEqual(['*']);
    expect(res.headers.get('access-control-expose-headers')).toBe('X-Request-Id');
    expect(res.headers.has('vary')).toBe(false);
  });

  it('echoes the origin with credentials, never "*"', async () => {
    const res = await testClient(cors(hello, { credentials: true })).get('/', { headers: { Origin: 'https://c.test' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://c.test');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('leaves disallowed origins without CORS headers (but with Vary: Origin); preflights reach the app', async () => {
    const app = cors(hello, { origin: (o) => o.endsWith('.good.test') });
    const denied = await testClient(app).get('/', { headers: { Origin: 'https://evil.test' } });
    expect(denied.headers.get('access-control-allow-origin')).toBe('stale');
    expect(denied.headers.get('vary')).toBe('Origin');
    const preflight = await testClient(app).options('/', { headers: { Origin: 'https://evil.test', 'Access-Control-Request-Method': 'GET' } });
    expect(preflight.status).toBe(200);
    const allowed = await testClient(app).get('/', { headers: { Origin: 'https://x.good.test' } });
    expect(allowed.headers.getAll('access-control-allow-origin')).toEqual(['https://x.good.test']);
  });
});
