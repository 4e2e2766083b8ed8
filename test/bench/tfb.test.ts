// The TechEmpower app of the bench (bench/tfb/app-tsgi.ts) against TFB's verification
// rules, on a real PostgreSQL started for the file (bench/tfb/postgres.ts): through the
// in-memory test client and on the native engine over a socket. No timing here. The
// verifier itself is shown to reject wrong answers, so a pass means something.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { tfbTsgiApp } from '../../bench/tfb/app-tsgi.js';
import { worldReader } from '../../bench/tfb/check.js';
import { fortunesPage } from '../../bench/tfb/fortunes.js';
import { createTfbSchema, startPostgres, TFB_FORTUNES } from '../../bench/tfb/postgres.js';
import {
  checkPlaintextPipelined, socketFetch, TFB_TESTS, verifyTfb, type Fetch, type TfbAnswer,
} from '../../bench/tfb/verify.js';
import { openTfbDb, queryCount, WorldCache, type TfbDb } from '../../bench/tfb/world.js';
import { parseOptions, type BenchOptions } from '../../bench/lib/options.js';
import type { BenchReport, Row, RunSample } from '../../bench/lib/results.js';
import { tfbGoalLines, tfbTable } from '../../bench/tfb/report.js';
import { TFB_SCENARIOS } from '../../bench/tfb/scenarios.js';
import { serveFast } from '../../src/index.js';
import { testClient } from '../../src/testing/index.js';
import type { App, Server } from '../../src/types.js';
import { validator } from '../../src/validate/index.js';
import { engines } from '../helpers/server.js';

const pg = await startPostgres();
const skip = 'skip' in pg ? pg.skip : undefined;
const title = (text: string): string => (skip ? `${text} (skipped: ${skip})` : text);

let db: TfbDb;
let app: App;
beforeAll(async () => {
  if ('skip' in pg) return;
  const sql = postgres({ ...pg.connectionOptions, max: 1, onnotice: () => {} });
  await createTfbSchema(sql);
  await sql.end();
  db = openTfbDb(pg.connectionOptions);
  app = tfbTsgiApp(db, await WorldCache.load(db));
}, 60_000);
afterAll(async () => {
  await db?.end();
  if (!('skip' in pg)) await pg.stop();
});

const readWorlds = (): ReturnType<typeof worldReader> => worldReader((pg as Exclude<typeof pg, { skip: string }>).connectionOptions);

/** TFB's checks through the test client (the app behind tsgi/validate's PEP 3333 validator). */
function clientFetch(target: App): Fetch {
  const client = testClient(validator(target));
  return async (path, accept) => {
    const res = await client.get(path, { headers: { Accept: accept } });
    return { status: res.status, header: (name) => res.headers.get(name) ?? undefined, body: Buffer.from(res.body) };
  };
}

describe('TFB verification rules catch wrong answers', () => {
  const answer = (body: string, headers: Record<string, string>): TfbAnswer => ({
    status: 200, body: Buffer.from(body), header: (name) => headers[name],
  });
  const good = { server: 'x', date: new Date().toUTCString(), 'content-type': 'application/json' };
  const fetchOf = (make: (path: string) => TfbAnswer): Fetch => (path) => Promise.resolve(make(path));

  it('clamps the count as TFB says: absent, foo, "" and 0 → 1; 501 → 500', () => {
    expect([undefined, null, 'foo', '', '0', '-3', '1', '20', '500', '501', '99999'].map((v) => queryCount(v)))
      .toEqual([1, 1, 1, 1, 1, 1, 1, 20, 500, 500, 500]);
  });

  it('rejects a missing Date, a wrong Content-Type, a wrong JSON shape, a wrong count', async () => {
    const json = '{"message":"Hello, World!"}';
    await expect(verifyTfb('json', fetchOf(() => answer(json, { ...good, 'content-length': String(json.length) })))).resolves.toBeUndefined();
    await expect(verifyTfb('json', fetchOf(() => answer(json, { server: 'x', 'content-type': 'application/json', 'content-length': '27' }))))
      .rejects.toThrow(/date missing/);
    await expect(verifyTfb('json', fetchOf(() => answer(json, { ...good, 'content-type': 'text/plain', 'content-length': '27' }))))
      .rejects.toThrow(/Content-Type/);
    const world = '{"id":1,"randomnumber":2,"extra":3}';
    await expect(verifyTfb('db', fetchOf(() => answer(world, { ...good, 'content-length': String(world.length) })))).rejects.toThrow(/keys/);
    // Always one row: right for "foo", "0", "" and absent, wrong for "2".
    const one = '[{"id":1,"randomNumber":2}]';
    await expect(verifyTfb('queries', fetchOf(() => answer(one, { ...good, 'content-length': String(one.length) }))))
      .rejects.toThrow(/queries \/queries\?queries=2: 1 rows, expected 2/);
  });

  it('rejects a fortunes page with an unescaped message, a missing added fortune or the wrong order', async () => {
    const html = { ...good, 'content-type': 'text/html; charset=utf-8' };
    const page = (body: string): Fetch => fetchOf(() => answer(body, { ...html, 'content-length': String(Buffer.byteLength(body)) }));
    const rows = TFB_FORTUNES.map(([id, message]) => ({ id, message }));
    await expect(verifyTfb('fortunes', page(fortunesPage(rows)))).resolves.toBeUndefined();
    await expect(verifyTfb('fortunes', page(fortunesPage(rows).replace('&lt;script&gt;', '<script>')))).rejects.toThrow(/fortunes: line/);
    await expect(verifyTfb('fortunes', page(fortunesPage(rows).replace('Additional fortune', 'Another fortune')))).rejects.toThrow(/fortunes: line/);
    const reversed = fortunesPage(rows).replace(/<tr><td>(\d+)<\/td>/g, (_m, id: string) => `<tr><td>${id === '11' ? '4' : id === '4' ? '11' : id}</td>`);
    await expect(verifyTfb('fortunes', page(reversed))).rejects.toThrow(/fortunes: line/);
  });
});

describe('the tsgi TFB app on the in-memory test client', () => {
  for (const test of TFB_TESTS) {
    it.skipIf(skip)(title(`${test} passes TFB's verification`), async () => {
      await expect(verifyTfb(test, clientFetch(app), readWorlds())).resolves.toBeUndefined();
    });
  }
});

describe('the tsgi TFB app on engine native, over a socket', () => {
  const noNative = engines.includes('native') ? undefined : 'the native engine is not available here (or not in TSGI_TEST_ENGINES)';
  const why = skip ?? noNative;
  let server: Server | undefined;
  beforeAll(async () => {
    if (why) return;
    server = await serveFast(validator(app), { host: '127.0.0.1', port: 0, engine: 'native' });
  });
  afterAll(async () => { await server?.close(); });

  for (const test of TFB_TESTS) {
    it.skipIf(why)(`${test} passes TFB's verification${why ? ` (skipped: ${why})` : ''}`, async () => {
      await expect(verifyTfb(test, socketFetch(server!.port), readWorlds())).resolves.toBeUndefined();
      if (test === 'plaintext') await expect(checkPlaintextPipelined(server!.port, 16)).resolves.toBeUndefined();
    });
  }
});

describe('npm run bench: the tfb group and its results', () => {
  it('--only tfb selects every tfb-* scenario; --duration overrides their shorter default', () => {
    const options = parseOptions(['--only', 'tfb']) as BenchOptions;
    expect(options.scenarios).toEqual(TFB_SCENARIOS.map((s) => s.name));
    expect(options.scenarios).toHaveLength(7);
    expect(options.durationGiven).toBe(false);
    expect((parseOptions(['--only', 'tfb-db', '--duration', '5']) as BenchOptions).durationGiven).toBe(true);
    expect(() => parseOptions(['--only', 'tfb-nope'])).toThrow(/unknown scenario/);
  });

  it('tabulates database CPU per request and judges the goals by req/s', () => {
    const sample = (rps: number, cpu: number, db: number): RunSample => ({
      requestsPerSecond: rps, cpuUsPerRequest: cpu, megabytesPerSecond: 0, cpuUsPerMiB: 0, busyPercent: 50,
      foreignPercent: 5, p50Us: 900, p99Us: 4000, requests: rps * 5, errors: 0, dbCpuUsPerRequest: db,
    });
    const row = (scenario: string, server: Row['server'], m: RunSample): Row => ({ scenario, server, status: 'ok', runs: [m], median: m, spreadPercent: 0 });
    const report = {
      rows: [
        row('tfb-fortunes', 'tsgi-native', sample(6000, 70, 12)),
        row('tfb-fortunes', 'uws-raw', sample(6200, 68, 12)),
        row('tfb-fortunes', 'fastify', sample(5000, 90, 12)),
      ],
    } as BenchReport;
    expect(tfbTable(report)).toContain('| fortunes | tsgi-native | 6,000 | 0.97x | 1.20x | 70.0 | 12.0 |');
    expect(tfbGoalLines(report)).toEqual([
      '- **MISSED** — tsgi-native tfb-fortunes: req/s ≥ 1.50x fastify: 1.20x (by server + database CPU per request: 1.24x)',
      '- met — tsgi-native tfb-fortunes: req/s ≥ 0.90x uws-raw: 0.97x (by server + database CPU per request: 0.98x)',
    ]);
  });
});
