// toNodeListener(app): a (req, res) listener for node:http, https, http2 compat or
// express, running a tsgi app through the servers' own gateway on the memory engine
// (src/engines/memory.ts): the request body is received first (spooled above
// bodyMemoryLimit, 413 above maxBodySize); the response streams with backpressure
// (res.write() returning false waits for 'drain'); a client that goes away ends the body
// and calls close() once.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createMemoryServer, type MemoryServer } from '../engines/memory-server.js';
import { createErrorStream } from '../error-stream.js';
import { finWhenFlushed } from '../node-response-cut.js';
import { decodePathInfo } from '../request-target.js';
import type { App, ErrorStream } from '../types.js';
import type { BodyLimits } from './receive.js';

export interface NodeListenerOptions extends BodyLimits {
  /** wsgi.url_scheme; default from the socket (TLS → https). */
  urlScheme?: 'http' | 'https';
  /** wsgi.errors; default process.stderr. */
  errors?: ErrorStream;
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** node:http writes Date, Connection and the framing of what we hand it; we hand it the
 * app's headers and the gateway's Content-Length, and `Connection: close` when the
 * gateway closes (unread request bytes may follow, RFC 9112 §9.6). */
export function toNodeListener(app: App, options: NodeListenerOptions = {}): NodeListener {
  const errors = options.errors ?? createErrorStream(undefined);
  const serve = (target: App, urlScheme: string, serverName: string): MemoryServer =>
    createMemoryServer(target, { ...options, serverHeader: undefined, urlScheme, errors, serverName });
  const servers = new Map<string, MemoryServer>();
  const serverFor = (urlScheme: string, serverName: string): MemoryServer => {
    const key = `${urlScheme} ${serverName}`;
    let server = servers.get(key);
    if (!server) {
      server = serve(app, urlScheme, serverName);
      if (servers.size < 64) servers.set(key, server);
    }
    return server;
  };

  return (req, res) => {
    const socket = req.socket as TLSSocket;
    const urlScheme = options.urlScheme ?? (socket.encrypted ? 'https' : 'http');
    const serverName = socket.localAddress ?? 'localhost';
    // express: a listener mounted with app.use('/prefix', …) sees req.url without the
    // prefix, which belongs in SCRIPT_NAME (PEP 3333 "URL Reconstruction").
    const baseUrl = (req as { baseUrl?: unknown }).baseUrl;
    const server = typeof baseUrl === 'string' && baseUrl !== ''
      ? serve((environ, startResponse) => { environ.SCRIPT_NAME = decodePathInfo(baseUrl); return app(environ, startResponse); }, urlScheme, serverName)
      : serverFor(urlScheme, serverName);
    const exchange = server.open({
      method: req.method ?? 'GET',
      target: req.url ?? '/',
      headers: req.rawHeaders,
      body: req,
      versionMinor: req.httpVersionMinor,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
      localPort: socket.localPort ?? 0,
    }, {
      // node:http answers Expect: 100-continue itself unless the server listens for
      // 'checkContinue' (then that listener decides): never a second 100.
      continued: () => {},
      head: (head) => {
        const flat: string[] = [];
        for (const [name, value] of head.appHeaders) flat.push(name, value);
        if (head.contentLength >= 0) flat.push('Content-Length', String(head.contentLength));
        if (head.headers.some(([name, value]) => name === 'Connection' && value === 'close')) flat.push('Connection', 'close');
        res.writeHead(head.code, head.status.slice(4), flat);
      },
      data: (chunk) => res.write(chunk),
      end: () => res.end(),
      // Headers are sent: the client must see a broken response, not a short one. What
      // was written goes out first (node corks writes until the next tick), then FIN, as
      // engine `node` does: a chunked body without its last chunk reads as truncated.
      cut: () => finWhenFlushed(res),
      left: () => { if (!res.headersSent) res.destroy(); },
    });
    res.on('drain', () => exchange.drained());
    res.once('close', () => { if (!res.writableFinished) exchange.leave(); });
  };
}
