// What the stress server answers under /attack/ (the attack soak, run.ts --attack):
// bodies attackers abuse (4 KiB answers to pipeline without reading, endless and
// SSE-like streams to leave mid-way or never read), faults an attacker can trigger
// (every shape of throw and rejection between the engine and the app), and a retained
// environ read late, whose answers are counted: `foreign` must stay 0.

import type { App, Body, StartResponse } from '../../src/index.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];
const FOUR_K = Buffer.alloc(4096, 0x61);
const CHUNK = Buffer.alloc(16 * 1024, 0x65);
const BIG = Buffer.alloc(1024 * 1024, 0x62);

/** Late reads of a retained environ: own value, expired (TSGI_ERR_HEAD_EXPIRED), or foreign. */
export const retained = { own: 0, expired: 0, foreign: 0, other: 0 };

const iterable = (next: () => IteratorResult<unknown>, extra: object = {}): Body =>
  ({ [Symbol.iterator]: () => ({ next }), ...extra }) as unknown as Body;
const asyncIterable = (next: () => Promise<IteratorResult<unknown>>): Body =>
  ({ [Symbol.asyncIterator]: () => ({ next }) }) as unknown as Body;

/** Faults by index (GET /attack/fault/<i>); FAULTS.length tells the client how many. */
export const FAULTS: ((sr: StartResponse) => unknown)[] = [
  () => { throw new Error('attack: throws'); },
  async () => { await null; throw new Error('attack: rejects'); },
  (sr) => { sr('200 OK', TEXT); return undefined; },
  (sr) => { sr('200 OK', TEXT); return 42; },
  (sr) => { sr('200 OK', TEXT); return Buffer.from('bare'); },
  (sr) => { sr('200 OK', TEXT); return (async function* () { yield CHUNK; await null; throw new Error('attack: mid-stream'); })(); },
  (sr) => { sr('200 OK', TEXT); return (function* () { yield CHUNK; yield CHUNK; throw new Error('attack: mid-stream sync'); })(); },
  (sr) => { sr('200 OK', TEXT); let n = 0; return asyncIterable(async () => { await null; if (n++ < 1) return { value: CHUNK, done: false }; throw new Error('attack: next rejects'); }); },
  (sr) => { sr('200 OK', TEXT); return iterable(() => ({ value: 'x', done: true }), { close: () => { throw new Error('attack: close throws'); } }); },
  (sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); return ['twice']; },
  (sr) => { sr('200 OK', [['X-A', 'a\r\nb']]); return ['injection']; },
  (sr) => { sr('200 OK', TEXT); return (async function* () { yield BIG; yield BIG; throw new Error('attack: on writable'); })(); },
];

export const attackApp: App = (environ, startResponse) => {
  const path = environ.PATH_INFO;
  if (path === '/attack/4k') { startResponse('200 OK', TEXT); return [FOUR_K]; }
  if (path === '/attack/endless') {
    startResponse('200 OK', TEXT);
    return (async function* () { for (;;) yield CHUNK; })();
  }
  if (path === '/attack/sse') {
    startResponse('200 OK', [['Content-Type', 'text/event-stream']]);
    return (async function* () { for (let i = 0; ; i++) { yield `data: ${i}\n\n`; await new Promise((r) => setTimeout(r, 200)); } })();
  }
  if (path === '/attack/upload') {
    const n = environ['wsgi.input'].read().length;
    startResponse('200 OK', TEXT);
    return [`${n}`];
  }
  if (path === '/attack/retain') {
    const id = environ.QUERY_STRING; // read now; X-Id later
    setTimeout(() => {
      try {
        if (environ.HTTP_X_ID === id) retained.own++; else retained.foreign++;
      } catch (e) {
        if ((e as { code?: string }).code === 'TSGI_ERR_HEAD_EXPIRED') retained.expired++; else retained.other++;
      }
    }, 5);
    startResponse('200 OK', TEXT);
    return ['kept'];
  }
  if (path.startsWith('/attack/fault/')) {
    const fault = FAULTS[Number(path.slice('/attack/fault/'.length)) % FAULTS.length]!;
    return fault(startResponse) as Body;
  }
  startResponse('404 Not Found', TEXT);
  return ['no such attack'];
};
