// Issue 13: HEAD on a streamed body. RFC 9110 §9.3.2: the answer to HEAD carries no
// content, so once its head is committed the gateway stops pulling the body and closes
// it (PEP 3333: close(), or the iterator's return()). Headers are final at the first
// non-empty chunk ("Buffering and Streaming"), so start_response may come from inside
// the generator. A Content-Length the app declared is sent, and a one-chunk sync body
// gets its length as on GET (RFC 9110 §9.3.2: the same fields); none is made up.
import { describe, expect, it } from 'vitest';
import type { App, StartResponse } from '../src/types.js';
import { eventually } from './faults/harness.js';
import { header, parseResponses, RawConnection } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/event-stream']];

/** Endless bodies (server-sent events); `finished` counts finally blocks that ran. */
function endlessApp(finished: { n: number }, pulled: { n: number }): App {
  return (environ, sr: StartResponse) => {
    const path = environ.PATH_INFO;
    if (path === '/healthy') { sr('200 OK', [['Content-Type', 'text/plain']]); return ['healthy']; }
    if (path === '/one') { sr('200 OK', [['Content-Type', 'text/plain']]); return (function* () { yield 'one'; })(); }
    const declared: [string, string][] = path.endsWith('/declared') ? [...TEXT, ['Content-Length', '1000']] : TEXT;
    if (path.startsWith('/sync')) {
      return (function* () {
        try {
          // start_response inside the generator, after an empty chunk (PEP 3333).
          yield '';
          sr('200 OK', declared);
          for (;;) { pulled.n++; yield 'data: tick\n\n'; }
        } finally { finished.n++; }
      })();
    }
    sr('200 OK', declared);
    return (async function* () {
      try {
        for (;;) { pulled.n++; await new Promise((r) => setTimeout(r, 1)); yield 'data: tick\n\n'; }
      } finally { finished.n++; }
    })();
  };
}

/** Send one request on `c` and wait for its complete response. */
async function ask(c: RawConnection, method: string, path: string, seen: string[]): Promise<ReturnType<typeof parseResponses>['responses'][number]> {
  seen.push(method);
  await c.write(`${method} ${path} HTTP/1.1\r\nHost: h\r\n\r\n`);
  let all = parseResponses(c.data, seen, c.closed).responses;
  await c.until((k) => (all = parseResponses(k.data, seen, k.closed).responses).length >= seen.length, 5000);
  expect(all.length, 'answered').toBe(seen.length);
  return all[seen.length - 1]!;
}

describe.each(engines)('HEAD on a streamed body on %s', (engine) => {
  for (const kind of ['sync', 'async'] as const) {
    it(`an endless ${kind} generator: answered at once, its finally runs, the connection stays usable`, async () => {
      const finished = { n: 0 };
      const pulled = { n: 0 };
      const server = await start(endlessApp(finished, pulled), engine, {}, { validate: false });
      const c = new RawConnection(server.port);
      const seen: string[] = [];
      try {
        if (kind === 'sync') {
          const one = await ask(c, 'HEAD', '/one', seen);
          expect(header(one, 'content-length')).toBe('3');
        }
        const r = await ask(c, 'HEAD', `/${kind}`, seen);
        expect(r.status).toBe(200);
        expect(header(r, 'content-length')).toBeUndefined();
        expect(header(r, 'transfer-encoding')).toBeUndefined();
        await eventually(() => finished.n === 1, 'the generator to be closed');
        // Pulled up to the first non-empty chunk (a sync body: one more, the length peek).
        expect(pulled.n).toBe(kind === 'sync' ? 2 : 1);
        const declared = await ask(c, 'HEAD', `/${kind}/declared`, seen);
        expect(header(declared, 'content-length')).toBe('1000');
        await eventually(() => finished.n === 2, 'the second generator to be closed');
        const next = await ask(c, 'GET', '/healthy', seen);
        expect(next.body.toString()).toBe('healthy');
        expect(c.closed).toBe(false);
      } finally {
        c.close();
      }
    });

    it(`GET on an endless ${kind} generator still streams until the client leaves`, async () => {
      const finished = { n: 0 };
      const pulled = { n: 0 };
      const server = await start(endlessApp(finished, pulled), engine, {}, { validate: false });
      const c = new RawConnection(server.port);
      await c.write(`GET /${kind} HTTP/1.1\r\nHost: h\r\n\r\n`);
      await c.until((k) => k.data.toString('latin1').split('data: tick').length > 20);
      expect(c.data.toString('latin1')).toMatch(/^HTTP\/1\.1 200[^]*transfer-encoding: chunked/i);
      c.close();
      await eventually(() => finished.n === 1, 'the generator to be closed after the client left');
    });
  }
});
