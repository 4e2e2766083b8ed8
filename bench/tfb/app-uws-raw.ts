// Baseline: the TechEmpower test types by hand on uWebSockets.js, as its users (and its
// TFB entry) write them: app.get() per route, onAborted before the first await, the
// answer written inside cork(). uWS adds Date and Content-Length; Server is the app's.

import { loadUwsBinary, type RawUwsRequest, type RawUwsResponse } from '../apps/uws-binary.js';
import { FORTUNES_CONTENT_TYPE, fortunesPage } from './fortunes.js';
import { queryCount, randomId, type TfbDb, type WorldCache } from './world.js';

const HELLO = 'Hello, World!';
const SERVER = 'uWebSockets.js';

interface Request extends RawUwsRequest { getQuery(): string | undefined; getQuery(key: string): string | undefined }
interface UwsApp {
  get(pattern: string, handler: (res: RawUwsResponse, req: Request) => void): UwsApp;
  any(pattern: string, handler: (res: RawUwsResponse, req: Request) => void): UwsApp;
  listen(host: string, port: number, cb: (socket: unknown) => void): UwsApp;
}

function send(res: RawUwsResponse, type: string, body: string | Buffer, status?: string): void {
  if (status) res.writeStatus(status);
  res.writeHeader('Server', SERVER).writeHeader('Content-Type', type).end(body);
}

/** Runs `work` after onAborted is registered; answers in one corked write unless the client left. */
function later<T>(res: RawUwsResponse, work: Promise<T>, answer: (value: T) => void): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  work.then(
    (value) => { if (!aborted) res.cork(() => answer(value)); },
    () => { if (!aborted) res.cork(() => send(res, 'text/plain', 'Internal Server Error', '500 Internal Server Error')); },
  );
}

const json = (res: RawUwsResponse, value: unknown): void => send(res, 'application/json', JSON.stringify(value));

export function serveTfbUwsRaw(db: TfbDb, cache: WorldCache): Promise<number> {
  const uws = loadUwsBinary();
  const app = (uws.App() as unknown as UwsApp)
    .get('/json', (res) => json(res, { message: HELLO }))
    .get('/plaintext', (res) => send(res, 'text/plain', HELLO))
    .get('/db', (res) => later(res, db.world(randomId()), (row) => json(res, row)))
    .get('/queries', (res, req) => later(res, db.worlds(queryCount(req.getQuery('queries'))), (rows) => json(res, rows)))
    .get('/updates', (res, req) => later(res, db.updateWorlds(queryCount(req.getQuery('queries'))), (rows) => json(res, rows)))
    .get('/cached-queries', (res, req) => json(res, cache.pick(queryCount(req.getQuery('count')))))
    .get('/fortunes', (res) => later(res, db.fortunes(), (rows) => {
      send(res, FORTUNES_CONTENT_TYPE, Buffer.from(fortunesPage(rows), 'utf8'));
    }))
    .any('/*', (res) => send(res, 'text/plain', 'Not Found', '404 Not Found'));
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (!socket) reject(new Error('uws-raw: cannot listen'));
      else resolve(uws.us_socket_local_port(socket));
    });
  });
}
