// Baseline: the TechEmpower test types by hand on node:http, as its users write them: one
// request listener switching on the path, the query read with URLSearchParams. node:http
// adds Date; Server and Content-Length are the app's.

import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FORTUNES_CONTENT_TYPE, fortunesPage } from './fortunes.js';
import { queryCount, randomId, type TfbDb, type WorldCache } from './world.js';

const HELLO = 'Hello, World!';
const SERVER = 'node';

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { Server: SERVER, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const json = (res: ServerResponse, value: unknown): void => send(res, 200, 'application/json', JSON.stringify(value));

function later<T>(res: ServerResponse, work: Promise<T>, answer: (value: T) => void): void {
  work.then(answer, () => send(res, 500, 'text/plain', 'Internal Server Error'));
}

export function serveTfbNodeRaw(db: TfbDb, cache: WorldCache, keepAliveSeconds: number): Promise<number> {
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = (key: string): string | null => (q === -1 ? null : new URLSearchParams(url.slice(q + 1)).get(key));
    switch (path) {
      case '/json': return json(res, { message: HELLO });
      case '/plaintext': return send(res, 200, 'text/plain', HELLO);
      case '/db': return later(res, db.world(randomId()), (row) => json(res, row));
      case '/queries': return later(res, db.worlds(queryCount(query('queries'))), (rows) => json(res, rows));
      case '/updates': return later(res, db.updateWorlds(queryCount(query('queries'))), (rows) => json(res, rows));
      case '/cached-queries': return json(res, cache.pick(queryCount(query('count'))));
      case '/fortunes': return later(res, db.fortunes(), (rows) => send(res, 200, FORTUNES_CONTENT_TYPE, Buffer.from(fortunesPage(rows), 'utf8')));
      default: return send(res, 404, 'text/plain', 'Not Found');
    }
  });
  server.keepAliveTimeout = keepAliveSeconds * 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
