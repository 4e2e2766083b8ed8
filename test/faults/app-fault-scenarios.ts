// The app-fault scenarios: the app fails at every phase, or misuses start_response.
// app-errors.test.ts and start-response-misuse.test.ts run them on every engine.
import { expect } from 'vitest';
import type { App, Body, Environ, StartResponse } from '../../src/types.js';
import { exchangeRaw, RawConnection, parseResponses } from '../helpers/raw-http.js';
import { memoryLogger, start } from '../helpers/server.js';
import type { EngineName } from '../../src/types.js';
import { PAYLOAD_SIZE, recordFigures, repeatFault } from './harness.js';
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const payload = Buffer.alloc(PAYLOAD_SIZE, 0x63);
type Counter = { n: number };

/** A body whose close() is counted; `items` may throw while iterated. */
function counted(items: () => Iterator<unknown>, closes: Counter, onClose?: () => void): Body {
  return { [Symbol.iterator]: items, close: () => { closes.n++; onClose?.(); } } as unknown as Body;
}

export interface Scenario {
  name: string;
  /** What the client must see: a status; a response cut short (headers were sent); or
   * 'error': either of the two (tsgi peeks one chunk ahead of a synchronous body to
   * compute its length, so a failure right after the first chunk may still get a 500). */
  outcome: number | 'truncated' | 'error';
  closesPerFault: 0 | 1;
  app: (sr: StartResponse, closes: Counter, env: Environ) => Body | Promise<Body>;
}

export const appScenarios: Scenario[] = [
  { name: 'throws before start_response', outcome: 500, closesPerFault: 0, app: () => { throw new Error('early'); } },
  { name: 'throws after start_response', outcome: 500, closesPerFault: 0, app: (sr) => { sr('200 OK', TEXT); throw new Error('after start'); } },
  { name: 'rejects before start_response', outcome: 500, closesPerFault: 0, app: async () => { await null; throw new Error('async early'); } },
  { name: 'rejects after start_response', outcome: 500, closesPerFault: 0, app: async (sr) => { sr('200 OK', TEXT); await null; throw new Error('async late'); } },
  {
    name: 'throws mid-iteration', outcome: 'error', closesPerFault: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return counted(function* () { yield payload; throw new Error('mid'); }, closes); },
  },
  {
    name: 'async generator throws mid-iteration', outcome: 'truncated', closesPerFault: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return (async function* () { try { yield payload; await null; throw new Error('mid'); } finally { closes.n++; } })(); },
  },
  {
    name: 'close() throws', outcome: 200, closesPerFault: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return counted(() => [payload][Symbol.iterator](), closes, () => { throw new Error('in close'); }); },
  },
  {
    name: 'write() throws (invalid chunk) and the app lets it propagate', outcome: 'truncated', closesPerFault: 0,
    app: (sr) => { const write = sr('200 OK', TEXT); write(payload); write(42 as unknown as string); return []; },
  },
  { name: 'start_response twice without excInfo', outcome: 500, closesPerFault: 0, app: (sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); return ['x']; } },
  { name: 'start_response with a bad status', outcome: 500, closesPerFault: 0, app: (sr) => { sr('200', TEXT); return ['x']; } },
  { name: 'start_response with header injection', outcome: 500, closesPerFault: 0, app: (sr) => { sr('200 OK', [['X-A', 'a\r\nSet-Cookie: evil']]); return ['x']; } },
  { name: 'start_response with a hop-by-hop header', outcome: 500, closesPerFault: 0, app: (sr) => { sr('200 OK', [['Connection', 'close']]); return ['x']; } },
  { name: 'body without start_response', outcome: 500, closesPerFault: 1, app: (_sr, closes) => counted(() => [payload][Symbol.iterator](), closes) },
  { name: 'returns something that is not iterable', outcome: 500, closesPerFault: 0, app: () => 42 as unknown as Body },
  {
    name: 'yields a chunk that is not bytes', outcome: 'truncated', closesPerFault: 1,
    app: (sr, closes) => { sr('200 OK', TEXT); return counted(() => [payload, 42][Symbol.iterator](), closes); },
  },
  {
    name: 'start_response with excInfo after the first chunk', outcome: 'error', closesPerFault: 1,
    app: (sr, closes) => {
      sr('200 OK', TEXT);
      return counted(function* () { yield payload; sr('500 Internal Server Error', TEXT, new Error('late failure')); yield 'never'; }, closes);
    },
  },
];

function scenarioApp(s: Scenario, closes: Counter): App {
  return (environ, startResponse) => {
    if (environ.PATH_INFO === '/healthy') { startResponse('200 OK', TEXT); return ['healthy']; }
    return s.app(startResponse, closes, environ);
  };
}

/** One faulty request; checks what the client saw. */
async function faultyRequest(port: number, outcome: Scenario['outcome']): Promise<void> {
  const request = 'GET /fault HTTP/1.1\r\nHost: h\r\n\r\n';
  if (typeof outcome === 'number') {
    const { responses } = await exchangeRaw(port, request);
    expect(responses[0]?.status).toBe(outcome);
    return;
  }
  const c = new RawConnection(port);
  await c.write(request);
  await c.until((k) => parseResponses(k.data, [], k.closed).responses.length > 0);
  const complete = parseResponses(c.data, [], false).responses;
  c.close();
  if (outcome === 'error' && complete.length === 1 && complete[0]!.status === 500) return;
  // Headers went out, then the connection was closed: never a complete-looking response.
  expect(c.closed || c.data.length > 0).toBe(true);
  expect(c.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200/);
  expect(complete).toHaveLength(0);
}


/** Start a server for `s` on `engine`, then repeat the fault with every check. */
export async function runScenario(engine: EngineName, s: Scenario): Promise<void> {
  const closes = { n: 0 };
  const server = await start(scenarioApp(s, closes), engine, { logger: memoryLogger() }, { validate: false });
  const figures = await repeatFault({
    port: server.port, closesPerFault: s.closesPerFault, closes: () => closes.n,
    fault: () => faultyRequest(server.port, s.outcome),
  });
  await recordFigures(engine, s.name, figures);
}

/** Scenarios where the app misuses start_response or the body contract. */
export const isMisuse = (s: Scenario): boolean => /^start_response|^body without|not iterable|not bytes/.test(s.name);
