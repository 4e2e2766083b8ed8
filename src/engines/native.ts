// The `native` engine: tsgi's own C++17 HTTP/1.1 server (native/src) on Node's libuv
// loop. This file loads the addon, allocates the memory it shares with C++, and
// implements the Engine contract of ./types.ts on top of native-server.ts.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

import type { Engine, EngineOptions, EngineServer, RequestHandler } from '../contract.js';
import { systemError } from '../error-text.js';
import { ListenError, TlsConfigError } from '../errors.js';
import type { EngineTls } from '../tls-options.js';
import { loadNativeAddon } from './native-loader.js';
import { CONTROL_BLOCKED_IDS, INTS_PER_OP, READ_SIZE, type NativeAddon, type NativeTlsConfig } from './native-protocol.js';
import { NativeServer } from './native-server.js';

const OUTPUT_SIZE = 256 * 1024;
const INPUT_BATCH = 256 * 1024;
const OPS = 8192;
const BLOCKED_IDS = 1024;

/** Loads the native engine; throws an Error saying why when the addon is missing (no
 * compiler at install time: build/UNAVAILABLE), fails to load, or has the wrong ABI. */
export function loadNativeEngine(): Engine {
  const addon = loadNativeAddon();
  return {
    name: 'native',
    servesTls: true,
    listen: (options, handler) => listenNative(addon, options, handler),
  };
}

/** EngineTls as the addon takes it (Addon.cc tlsConfigOf). */
function nativeTls(tls: EngineTls): NativeTlsConfig {
  return {
    cert: tls.cert,
    key: tls.key,
    ca: tls.ca,
    ciphers: tls.ciphers,
    minVersion: tls.minVersion,
    requestCert: tls.requestCert,
    rejectUnauthorized: tls.rejectUnauthorized,
    handshakeMs: Math.round(tls.handshakeTimeout * 1000),
  };
}

async function listenNative(addon: NativeAddon, options: EngineOptions, handler: RequestHandler): Promise<EngineServer> {
  let host = options.host;
  if (!options.path && isIP(host) === 0) {
    host = (await lookup(host).catch((error: Error) => { throw new ListenError(`${host}:${options.port}`, error); })).address;
  }
  const maxHead = options.maxRequestLine + options.maxHeaderSize + 64;
  const buffers = {
    // Room for the reads of one loop iteration (several connections share a batch).
    input: Buffer.allocUnsafeSlow(INPUT_BATCH + READ_SIZE + 2 * maxHead + 4096),
    events: new Int32Array(Math.max(65536, 1024 + 8 * options.maxHeaderCount)),
    output: Buffer.allocUnsafeSlow(OUTPUT_SIZE),
    ops: new Int32Array(OPS * INTS_PER_OP),
    control: new Int32Array(CONTROL_BLOCKED_IDS + BLOCKED_IDS),
    date: Buffer.alloc(32),
  };
  const server = new NativeServer(addon, buffers, handler, options.logger, options.tls !== undefined);
  const handle = addon.listen(
    {
      host,
      port: options.port,
      path: options.path,
      reusePort: options.reusePort,
      maxRequestLine: options.maxRequestLine,
      maxHeaderCount: options.maxHeaderCount,
      maxHeaderSize: options.maxHeaderSize,
      keepAliveMs: Math.round(options.keepAliveTimeout * 1000),
      headersMs: Math.round(options.headersTimeout * 1000),
      bodyMs: Math.round(options.bodyTimeout * 1000),
      sendMs: Math.round(options.sendTimeout * 1000),
      tls: options.tls && nativeTls(options.tls),
    },
    buffers.input,
    buffers.events,
    buffers.output,
    buffers.ops,
    buffers.control,
    buffers.date,
    server.dispatch,
  );
  if ('syscall' in handle) {
    if (handle.syscall === 'tls') throw new TlsConfigError(`tls: OpenSSL refused the options: ${handle.message}`);
    const target = options.path ?? `${host}:${options.port}`;
    throw new ListenError(target, handle.errno === 0 ? new Error(handle.message) : systemError(handle.errno, handle.syscall, target));
  }
  server.handle = handle;
  const port = options.path ? 0 : addon.port(handle);
  return {
    host: options.path ?? host,
    port,
    close: () => server.close(),
    updateTls: options.tls && ((tls: EngineTls): void => {
      const refused = server.handle ? addon.updateTls(server.handle, nativeTls(tls)) : 'the server is closed';
      if (refused !== undefined) throw new TlsConfigError(`reloadTls: OpenSSL refused the options: ${refused}`);
    }),
  };
}
