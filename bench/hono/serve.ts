// The two servers of the hono-* rows, each serving the same honoApp():
//   hono-node: @hono/node-server with its defaults (what the Hono docs start a Node app with);
//   hono-tsgi: tsgi's native engine through fromFetch(app.fetch), the way a Hono user switches.

import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { serveFast } from '../../src/index.js';
import { fromFetch } from '../../src/adapters/index.js';
import { honoApp } from './app.js';

export const HONO_SERVERS = ['hono-node', 'hono-tsgi'] as const;
export type HonoServer = typeof HONO_SERVERS[number];

export async function serveHono(server: HonoServer, keepAliveSeconds: number): Promise<number> {
  const app = honoApp();
  if (server === 'hono-node') {
    return new Promise((resolve, reject) => {
      const running = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port)) as Server;
      // Same keep-alive as every other row (node:http's default would close idle wrk links at 5 s).
      running.keepAliveTimeout = keepAliveSeconds * 1000;
      running.on('error', reject);
    });
  }
  const running = await serveFast(fromFetch(app.fetch), { host: '127.0.0.1', port: 0, engine: 'native', keepAliveTimeout: keepAliveSeconds });
  if (running.engine !== 'native') throw new Error(`asked for engine native, got ${running.engine}`);
  return running.port;
}

