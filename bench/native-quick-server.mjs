// Hello-world servers for bench/native-quick.mjs: `node native-quick-server.mjs <kind> <port>`
// kind: native (engine, no gateway) | native-gw (serveFast engine native) | uws-gw (serveFast
// engine uws) | uws (raw uWebSockets.js)
import { createRequire } from 'node:module';
const [kind, port] = [process.argv[2], Number(process.argv[3])];
const body = 'Hello, World!';
if (kind === 'uws') {
  const require = createRequire(import.meta.url);
  const uws = require('../node_modules/@trufflesuite/uws-js-unofficial/binaries/uws_linux_x64_115.node');
  uws.App().get('/*', (res) => { res.writeHeader('Content-Type', 'text/plain').end(body); })
    .listen('127.0.0.1', port, (t) => { if (!t) process.exit(1); process.send?.('ready'); });
} else if (kind === 'native') {
  const { loadNativeEngine } = await import('../dist/src/engines/native.js');
  const head = { status: '200 OK', headers: ['Content-Type', 'text/plain'], framing: 0, contentLength: body.length, connection: 0, noBody: false, hasDate: false };
  await loadNativeEngine().listen({ host: '127.0.0.1', port, reusePort: false, maxRequestLine: 8190, maxHeaderCount: 100, maxHeaderSize: 16384, keepAliveTimeout: 5, headersTimeout: 30, bodyTimeout: 30, logger: console },
    (ex) => { ex.writeHead(head); ex.end(body); });
  process.send?.('ready');
} else {
  const { serveFast } = await import('../dist/src/index.js');
  const engine = kind === 'uws-gw' ? 'uws' : 'native';
  await serveFast((environ, start) => { start('200 OK', [['Content-Type', 'text/plain']]); return [body]; }, { engine, host: '127.0.0.1', port });
  process.send?.('ready');
}
