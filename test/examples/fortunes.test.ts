// examples/fortunes against a real PostgreSQL (a private one, started by the bench's
// bench/tfb/postgres.ts in a temporary directory), through tsgi's test client. Without
// a PostgreSQL install the suite is skipped with the reason.
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient } from 'tsgi/testing';
import { createFortunesApp } from '../../examples/fortunes/app.js';
import { migrate } from '../../examples/fortunes/db.js';
import { startPostgres, type RunningPostgres } from '../../bench/tfb/postgres.js';

const started = await startPostgres();
const skip = 'skip' in started ? `no PostgreSQL for the example: ${started.skip}` : undefined;
if (skip) console.warn(`test/examples/fortunes: skipped — ${skip}`);

describe.skipIf(skip !== undefined)(`examples/fortunes on PostgreSQL${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const pg = started as RunningPostgres;
  let sql: Sql;
  const log: string[] = [];
  const client = () => testClient(createFortunesApp(sql, { log: (line) => log.push(line) }));

  beforeAll(async () => {
    sql = postgres({ ...pg.connectionOptions, max: 4, onnotice: () => {} });
    await migrate(sql);
    await migrate(sql); // idempotent: a second start neither fails nor seeds twice
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await pg.stop();
  });

  it('seeds once and serves the HTML page sorted, escaped and in UTF-8', async () => {
    const res = await client().get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('&lt;script&gt;alert(&quot;This should not be displayed');
    expect(res.text).not.toContain('<script>');
    expect(res.text).toContain('フレームワークのベンチマーク');
    expect(res.text.indexOf('A computer scientist')).toBeLessThan(res.text.indexOf('Any program'));
    expect((res.text.match(/<tr><td>/g) ?? []).length).toBe(4);
  });

  it('creates, reads, searches and deletes through the JSON API', async () => {
    const c = client();
    const created = await c.post('/api/fortunes', { json: { message: '  100% pure_luck  ' } });
    expect(created.status).toBe(201);
    const fortune = created.json<{ id: number; message: string }>();
    expect(fortune.message).toBe('100% pure_luck');
    expect(created.headers.get('location')).toBe(`/api/fortunes/${fortune.id}`);
    expect((await c.get(`/api/fortunes/${fortune.id}`)).json()).toEqual(fortune);
    // % and _ in the search match themselves, not any text.
    expect((await c.get('/api/fortunes', { query: { q: '100%' } })).json()).toEqual([fortune]);
    expect((await c.get('/api/fortunes', { query: { q: '100_' } })).json()).toEqual([]);
    expect((await c.get('/api/fortunes', { query: { q: 'PROGRAM' } })).json<Array<unknown>>()).toHaveLength(1);
    expect((await c.delete(`/api/fortunes/${fortune.id}`)).status).toBe(204);
    expect((await c.get(`/api/fortunes/${fortune.id}`)).status).toBe(404);
    expect((await c.delete(`/api/fortunes/${fortune.id}`)).status).toBe(404);
    const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM fortune`;
    expect(count).toBe(4);
  });

  it('answers bad input with 400, 404 and 405, and the database is untouched', async () => {
    const c = client();
    expect((await c.post('/api/fortunes', { body: 'not json', headers: { 'Content-Type': 'application/json' } })).status).toBe(400);
    expect((await c.post('/api/fortunes', { json: { message: 'x'.repeat(501) } })).status).toBe(400);
    expect((await c.post('/api/fortunes', { json: { message: "'); DROP TABLE fortune; --" } })).status).toBe(201);
    expect((await c.get('/api/fortunes/99999999999')).status).toBe(404);
    expect((await c.get('/api/fortunes/abc')).status).toBe(404);
    const put = await c.put('/api/fortunes/1', { json: {} });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, HEAD, DELETE']);
    expect((await c.get('/nowhere')).status).toBe(404);
    const home = await c.post('/', { body: 'x' });
    expect([home.status, home.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const rows = await sql`SELECT 1 FROM fortune`;
    expect(rows.length).toBe(5);
  });

  it('logs each request with its id and the client proxyFix resolved; /health checks the database', async () => {
    log.length = 0;
    const res = await client().get('/health', { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Request-Id': 'req-42' } });
    expect(res.json()).toEqual({ ok: true });
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatch(/^203\.0\.113\.9 "GET \/health HTTP\/1\.1" 200 \d+ \d+µs id=req-42$/);
  });

  it('/health is 503 when the database is gone', async () => {
    const dead = postgres({ ...pg.connectionOptions, port: 1, max: 1, connect_timeout: 2 });
    const res = await testClient(createFortunesApp(dead, { log: () => {} }), { raiseErrors: false }).get('/health');
    expect([res.status, res.json()]).toEqual([503, { ok: false }]);
    expect(res.errors).toContain('fortunes: health check');
    await dead.end({ timeout: 1 });
  });
});
