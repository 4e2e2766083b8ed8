// The stress server, run as a child process so its RSS and descriptors are its own.
// Usage: node build/stress/test/stress/server.js <engine>; prints {"port":N} when ready,
// closes gracefully on SIGTERM.

import { serveFast } from '../../src/index.js';
import type { App, EngineName } from '../../src/index.js';
import { helloBody, streamChunk, uploadAnswer } from './workload.js';

const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const app: App = (environ, startResponse) => {
  const path = environ.PATH_INFO;
  const query = environ.QUERY_STRING;
  if (path === '/upload') {
    const body = environ['wsgi.input'].read();
    startResponse('200 OK', TEXT);
    return [uploadAnswer(body)];
  }
  if (path === '/stream') {
    const n = Number(query);
    startResponse('200 OK', TEXT);
    return (async function* () {
      for (let i = 0; i < n; i++) {
        if (i % 4 === 3) await null; // interleave with other connections
        yield streamChunk(i);
      }
    })();
  }
  startResponse('200 OK', TEXT);
  return [helloBody(query)];
};

const engine = process.argv[2] as EngineName;
const server = await serveFast(app, { host: '127.0.0.1', port: 0, engine, logger: { error: (m) => process.stderr.write(m + '\n') } });
process.stdout.write(JSON.stringify({ port: server.port, engine: server.engine, pid: process.pid }) + '\n');
process.once('SIGTERM', () => { void server.close().then(() => process.exit(0)); });
