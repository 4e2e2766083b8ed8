// Starts one server of the TFB scenarios in this process (bench/server-main.ts calls it
// for app "tfb"): connects to the database the runner started (TSGI_BENCH_PG), fills the
// World cache, listens on 127.0.0.1. Every server gets the same driver, pool and cache.

import { serveFast } from '../../src/index.js';
import type { EngineName } from '../../src/types.js';
import { tfbTsgiApp } from './app-tsgi.js';
import { serveTfbFastify } from './app-fastify.js';
import { serveTfbNodeRaw } from './app-node-raw.js';
import { serveTfbUwsRaw } from './app-uws-raw.js';
import { connectionFromEnv, openTfbDb, WorldCache } from './world.js';

export const TFB_APP = 'tfb';

export async function serveTfb(server: string, keepAliveSeconds: number, port = 0): Promise<number> {
  const db = openTfbDb(connectionFromEnv());
  const cache = await WorldCache.load(db);
  if (server === 'uws-raw') return serveTfbUwsRaw(db, cache);
  if (server === 'node-raw') return serveTfbNodeRaw(db, cache, keepAliveSeconds);
  if (server === 'fastify') return serveTfbFastify(db, cache, keepAliveSeconds);
  if (server.startsWith('tsgi-')) {
    const engine = server.slice(5) as EngineName;
    const running = await serveFast(tfbTsgiApp(db, cache), { host: '127.0.0.1', port, engine, keepAliveTimeout: keepAliveSeconds });
    if (running.engine !== engine) throw new Error(`asked for engine ${engine}, got ${running.engine}`);
    return running.port;
  }
  await db.end();
  throw new Error(`server ${JSON.stringify(server)} has no TFB app`);
}
