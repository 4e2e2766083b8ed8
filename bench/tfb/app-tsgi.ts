// The TechEmpower test types as a tsgi user writes them: PEP 3333 apps (async where they
// wait on the database) in a table of exact paths looked up by PATH_INFO, the query
// string read with queryParams(). tsgi adds Server and Date itself; the answers carry
// Content-Type and tsgi frames them (Content-Length for a one-chunk body). The toolkit's
// mount() is for prefixes (sub-apps); TFB's routes are exact paths, and mount's two
// environ writes per request measured 5 µs per request on tfb-db (docs/benchmarks.md).
// /db answers in a `.then` of the driver's promise, the shape of the raw uWebSockets.js
// and node:http baselines: as an async function awaiting db.world() it measured 30–33 µs
// of CPU per request against 24–26 µs, on every tsgi engine alike, because V8 then
// promoted ~1.7 MB per scavenge (docs/benchmarks.md, "db"). Which shape V8 treats well is
// not a rule (fortunes is the other way round), so the other routes stay async.

import type { App, StartResponse } from '../../src/types.js';
import { queryParams } from '../../src/util/query.js';
import { FORTUNES_CONTENT_TYPE, fortunesPage } from './fortunes.js';
import { queryCount, randomId, type TfbDb, type WorldCache } from './world.js';

const HELLO = 'Hello, World!';
const JSON_TYPE: [string, string] = ['Content-Type', 'application/json'];

function json(startResponse: StartResponse, value: unknown): [string] {
  startResponse('200 OK', [JSON_TYPE]);
  return [JSON.stringify(value)];
}

function notFound(startResponse: StartResponse): [string] {
  startResponse('404 Not Found', [['Content-Type', 'text/plain']]);
  return ['Not Found'];
}

export function tfbTsgiApp(db: TfbDb, cache: WorldCache): App {
  const routes: Record<string, App> = {
    '/json': (_environ, startResponse) => json(startResponse, { message: HELLO }),
    '/plaintext': (_environ, startResponse) => {
      startResponse('200 OK', [['Content-Type', 'text/plain']]);
      return [HELLO];
    },
    '/db': (_environ, startResponse) => db.world(randomId()).then((row) => json(startResponse, row)),
    '/queries': async (environ, startResponse) =>
      json(startResponse, await db.worlds(queryCount(queryParams(environ).get('queries')))),
    '/updates': async (environ, startResponse) =>
      json(startResponse, await db.updateWorlds(queryCount(queryParams(environ).get('queries')))),
    '/cached-queries': (environ, startResponse) =>
      json(startResponse, cache.pick(queryCount(queryParams(environ).get('count')))),
    '/fortunes': async (_environ, startResponse) => {
      const page = Buffer.from(fortunesPage(await db.fortunes()), 'utf8');
      startResponse('200 OK', [['Content-Type', FORTUNES_CONTENT_TYPE]]);
      return [page];
    },
  };
  return (environ, startResponse) => {
    const route = Object.hasOwn(routes, environ.PATH_INFO) ? routes[environ.PATH_INFO] : undefined;
    return route ? route(environ, startResponse) : notFound(startResponse);
  };
}
