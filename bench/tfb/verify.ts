// TFB's verification rules (toolset/test_types/*, verifications.py), applied to a server
// before it is timed: a wrong answer makes the row "failed", never a number. The checks
// take a `Fetch`, so the same rules run over a real socket (the bench) and through the
// in-memory test client (test/bench/tfb.test.ts).

import { request } from 'node:http';
import { connect } from 'node:net';
import { checkFortunesPage } from './fortunes-check.js';
import type { World } from './world.js';

export interface TfbAnswer {
  status: number;
  /** A response header by lower-case name, or undefined. */
  header(name: string): string | undefined;
  body: Buffer;
}
export type Fetch = (path: string, accept: string) => Promise<TfbAnswer>;

export type TfbTest = 'json' | 'plaintext' | 'db' | 'queries' | 'fortunes' | 'updates' | 'cached-queries';
export const TFB_TESTS: readonly TfbTest[] = ['json', 'plaintext', 'db', 'queries', 'fortunes', 'updates', 'cached-queries'];

/** The request path of each test; queries-like tests end with their parameter name. */
export const TFB_PATHS: Record<TfbTest, string> = {
  json: '/json', plaintext: '/plaintext', db: '/db', queries: '/queries?queries=', fortunes: '/fortunes',
  updates: '/updates?queries=', 'cached-queries': '/cached-queries?count=',
};

// The Accept headers TFB's load generator sends (toolset/test_types/*: accept_header).
export const ACCEPT_JSON = 'application/json,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7';
export const ACCEPT_HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
export const ACCEPT_PLAIN = 'text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7';

const CONTENT_TYPES = {
  json: /^application\/json(; ?charset=(UTF|utf)-8)?$/,
  html: /^text\/html; ?charset=(UTF|utf)-8$/,
  plaintext: /^text\/plain(; ?charset=(UTF|utf)-8)?$/,
};
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Server, Date (a current IMF-fixdate: TFB also fails a cached Date), Content-Type of the
 * kind, and Content-Length (matching the body) or Transfer-Encoding. */
function checkHeaders(a: TfbAnswer, kind: keyof typeof CONTENT_TYPES, what: string): void {
  if (a.status !== 200) throw new Error(`${what}: status ${a.status}, expected 200`);
  for (const name of ['server', 'date', 'content-type']) {
    if (!a.header(name)) throw new Error(`${what}: required header ${name} missing`);
  }
  const date = a.header('date')!;
  if (!HTTP_DATE.test(date)) throw new Error(`${what}: Date ${JSON.stringify(date)} is not an IMF-fixdate`);
  const skew = Math.abs(Date.parse(date) - Date.now());
  if (skew > 3000) throw new Error(`${what}: Date ${JSON.stringify(date)} is ${Math.round(skew / 1000)} s off the clock (cached?)`);
  const type = a.header('content-type')!;
  if (!CONTENT_TYPES[kind].test(type)) throw new Error(`${what}: Content-Type ${JSON.stringify(type)}, expected ${CONTENT_TYPES[kind]}`);
  const length = a.header('content-length');
  if (length === undefined && a.header('transfer-encoding') === undefined) throw new Error(`${what}: neither Content-Length nor Transfer-Encoding`);
  if (length !== undefined && Number(length) !== a.body.length) throw new Error(`${what}: Content-Length ${length} but ${a.body.length} body bytes`);
}

function parseJson(a: TfbAnswer, what: string): unknown {
  if (a.body.length === 0) throw new Error(`${what}: empty response`);
  try {
    return JSON.parse(a.body.toString('utf8'));
  } catch (error) {
    throw new Error(`${what}: invalid JSON (${(error as Error).message})`);
  }
}

/** {id, randomNumber} (keys case-insensitive, as TFB), both integers, id in 1..10000. */
function checkWorld(value: unknown, what: string): World {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected a JSON object, got ${JSON.stringify(value)?.slice(0, 40)}`);
  const lower = Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v])) as Record<string, unknown>;
  const keys = Object.keys(lower).sort().join(',');
  if (keys !== 'id,randomnumber') throw new Error(`${what}: keys ${keys}, expected id and randomNumber`);
  const { id, randomnumber } = lower;
  if (!Number.isInteger(id) || (id as number) < 1 || (id as number) > 10_000) throw new Error(`${what}: id ${JSON.stringify(id)} is not an integer in 1..10000`);
  if (!Number.isInteger(randomnumber) || (randomnumber as number) < 1 || (randomnumber as number) > 10_000) {
    throw new Error(`${what}: randomNumber ${JSON.stringify(randomnumber)} is not an integer in 1..10000`);
  }
  return { id: id as number, randomNumber: randomnumber as number };
}

function checkWorldList(a: TfbAnswer, expected: number, what: string): World[] {
  checkHeaders(a, 'json', what);
  const value = parseJson(a, what);
  if (!Array.isArray(value)) throw new Error(`${what}: top-level JSON is not an array`);
  if (value.length !== expected) throw new Error(`${what}: ${value.length} rows, expected ${expected}`);
  return value.map((row, i) => checkWorld(row, `${what} row ${i}`));
}

/** TFB's cases for the count parameter (and an absent one): what each must give. */
export const COUNT_CASES: readonly (readonly [string | undefined, number])[] = [
  ['2', 2], ['0', 1], ['foo', 1], ['501', 500], ['', 1], [undefined, 1], ['20', 20],
];

/** Reads World rows as the database holds them (for the updates check). */
export type ReadWorlds = () => Promise<Map<number, number>>;

async function checkCounted(fetch: Fetch, test: 'queries' | 'updates' | 'cached-queries', readWorlds?: ReadWorlds): Promise<void> {
  const base = TFB_PATHS[test];
  for (const [value, expected] of COUNT_CASES) {
    const path = value === undefined ? base.slice(0, base.indexOf('?')) : base + value;
    const before = test === 'updates' && expected === 500 && readWorlds ? await readWorlds() : undefined;
    const rows = checkWorldList(await fetch(path, ACCEPT_JSON), expected, `${test} ${path}`);
    if (before && readWorlds) {
      // TFB: the rows must really be written. Every row answered must now hold the number
      // answered (ids drawn twice are skipped: the later draw wins), and at least 90% of
      // the distinct ids must have changed (a new random number can equal the old one).
      const after = await readWorlds();
      const seen = new Map<number, number>();
      for (const row of rows) seen.set(row.id, (seen.get(row.id) ?? 0) + 1);
      let changed = 0;
      for (const row of rows) {
        if (seen.get(row.id) !== 1) continue;
        if (after.get(row.id) !== row.randomNumber) throw new Error(`updates: row ${row.id} answered ${row.randomNumber} but the database holds ${after.get(row.id)}`);
        if (before.get(row.id) !== row.randomNumber) changed++;
      }
      if (changed < 0.9 * seen.size) throw new Error(`updates: only ${changed} of ${seen.size} rows changed in the database`);
    }
  }
}

/** Every TFB rule for one test, through `fetch`. */
export async function verifyTfb(test: TfbTest, fetch: Fetch, readWorlds?: ReadWorlds): Promise<void> {
  switch (test) {
    case 'json': {
      const a = await fetch(TFB_PATHS.json, ACCEPT_JSON);
      checkHeaders(a, 'json', 'json');
      const value = parseJson(a, 'json') as Record<string, unknown>;
      if (typeof value !== 'object' || value === null || Object.keys(value).join() !== 'message' || value.message !== 'Hello, World!') {
        throw new Error(`json: ${a.body.toString('utf8').slice(0, 60)}, expected {"message":"Hello, World!"}`);
      }
      return;
    }
    case 'plaintext': {
      const a = await fetch(TFB_PATHS.plaintext, ACCEPT_PLAIN);
      checkHeaders(a, 'plaintext', 'plaintext');
      if (a.body.toString('latin1') !== 'Hello, World!') throw new Error(`plaintext: body ${JSON.stringify(a.body.toString('latin1').slice(0, 40))}`);
      return;
    }
    case 'db': {
      const a = await fetch(TFB_PATHS.db, ACCEPT_JSON);
      checkHeaders(a, 'json', 'db');
      checkWorld(parseJson(a, 'db'), 'db');
      return;
    }
    case 'fortunes': {
      const a = await fetch(TFB_PATHS.fortunes, ACCEPT_HTML);
      checkHeaders(a, 'html', 'fortunes');
      checkFortunesPage(new TextDecoder('utf-8', { fatal: true }).decode(a.body));
      return;
    }
    default: return checkCounted(fetch, test, readWorlds);
  }
}

/** A Fetch over a real socket (a fresh connection per request). */
export function socketFetch(port: number): Fetch {
  return (path, accept) => new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Accept: accept }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const header = (name: string): string | undefined => {
          const v = res.headers[name];
          return Array.isArray(v) ? v.join(', ') : v;
        };
        resolve({ status: res.statusCode ?? 0, header, body: Buffer.concat(parts) });
      });
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${path}: no answer within 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** TFB's plaintext load: 16 requests per write; all 16 answers must come back, in order. */
export function checkPlaintextPipelined(port: number, depth: number): Promise<void> {
  const one = `GET ${TFB_PATHS.plaintext} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: ${ACCEPT_PLAIN}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const count = (): number => text.split('Hello, World!').length - 1;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`plaintext pipelined: ${count()} of ${depth} answers within 5 s`)); }, 5000);
    socket.on('connect', () => socket.write(one.repeat(depth)));
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (count() < depth) return;
      clearTimeout(timer);
      socket.destroy();
      const statuses = text.split('HTTP/1.1 200 ').length - 1;
      if (statuses !== depth) reject(new Error(`plaintext pipelined: ${statuses} "200" status lines of ${depth}`));
      else resolve();
    });
    socket.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}
