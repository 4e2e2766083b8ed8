// Issue 13, "no bytes cross requests": an app that keeps its environ after answering
// synchronously and reads a key it never read before, while other connections send
// requests with other values, gets its own value or a thrown error, never another's.
// tsgi's choice (src/environ.ts): after a response that ended inside the engine's
// callback, a key still to be computed from the request head throws HeadExpiredError
// (TSGI_ERR_HEAD_EXPIRED) on every engine; keys read during the request stay readable,
// and an environ of a response that ends later (detached head) stays fully readable.
import { describe, expect, it } from 'vitest';
import { HeadExpiredError, isTsgiError } from '../src/errors.js';
import type { App, Environ } from '../src/types.js';
import { eventually } from './faults/harness.js';
import { exchangeRaw } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const ROUNDS = 40;

/** What a late read gave: 'own', 'other <value>' or the error's code. */
function lateRead(environ: Environ, key: string, mine: string): string {
  try {
    const got = environ[key];
    return got === mine ? 'own' : `other ${String(got)}`;
  } catch (error) {
    return isTsgiError(error) ? error.code : `untyped ${String(error)}`;
  }
}

describe.each(engines)('an environ kept after the response on %s', (engine) => {
  it('reads its own value or throws TSGI_ERR_HEAD_EXPIRED, never another request\'s', async () => {
    const results: Record<string, string[]> = { unread: [], read: [], path: [], async: [], errors: [], spread: [] };
    const app: App = (environ, sr) => {
      const mine = environ.PATH_INFO.split('/')[2]!;
      if (environ.PATH_INFO.startsWith('/async/')) {
        // Answers later: the gateway detached the head, every key stays readable.
        return (async () => {
          await new Promise((r) => setTimeout(r, 1));
          sr('200 OK', TEXT);
          setTimeout(() => results.async!.push(lateRead(environ, 'HTTP_X_SECRET', mine)), 15);
          return ['late'];
        })();
      }
      const read = environ.PATH_INFO.startsWith('/read/') ? environ.HTTP_X_SECRET : undefined;
      sr('200 OK', TEXT);
      setTimeout(() => {
        if (read !== undefined) results.read!.push(lateRead(environ, 'HTTP_X_SECRET', mine));
        else results.unread!.push(lateRead(environ, 'HTTP_X_SECRET', mine));
        results.path!.push(lateRead(environ, 'PATH_INFO', environ.PATH_INFO as string));
        results.errors!.push(environ['wsgi.errors'] ? 'own' : 'missing');
        try { void { ...environ }; results.spread!.push('listed'); } catch (error) { results.spread!.push((error as HeadExpiredError).code); }
      }, 10);
      return ['ok'];
    };
    const server = await start(app, engine, {}, { validate: false });
    const ask = (kind: string, i: number): Promise<unknown> =>
      exchangeRaw(server.port, `GET /${kind}/s${i}x HTTP/1.1\r\nHost: h\r\nX-Secret: s${i}x\r\nX-Pad: ${'p'.repeat(i * 7)}\r\nConnection: close\r\n\r\n`);
    // Overlapping requests: late reads happen while other heads arrive.
    for (let i = 0; i < ROUNDS; i += 4) {
      await Promise.all([ask('unread', i), ask('read', i + 1), ask('async', i + 2), ask('unread', i + 3), new Promise((r) => setTimeout(r, 3))]);
    }
    await eventually(() => results.unread!.length === ROUNDS / 2 && results.read!.length === ROUNDS / 4 && results.async!.length === ROUNDS / 4, 'every late read');
    expect(new Set(results.unread)).toEqual(new Set(['TSGI_ERR_HEAD_EXPIRED']));
    expect(new Set(results.read)).toEqual(new Set(['own']));
    expect(new Set(results.path)).toEqual(new Set(['own']));
    expect(new Set(results.errors)).toEqual(new Set(['own']));
    expect(new Set(results.spread)).toEqual(new Set(['TSGI_ERR_HEAD_EXPIRED']));
    expect(new Set(results.async)).toEqual(new Set(['own']));
  });

  it('the error says what to do', async () => {
    let message = '';
    let kept: Environ | undefined;
    const server = await start((environ, sr) => { kept = environ; sr('200 OK', TEXT); return ['ok']; }, engine, {}, { validate: false });
    await exchangeRaw(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nX-Secret: a\r\nConnection: close\r\n\r\n');
    try { void kept!.HTTP_X_SECRET; } catch (error) { message = (error as Error).message; expect(error).toBeInstanceOf(HeadExpiredError); }
    expect(message).toContain('environ["HTTP_X_SECRET"] was first read after the response ended');
    expect(message).toContain('read the keys you need while handling the request');
  });
});
