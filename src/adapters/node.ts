// toNodeListener(app): a (req, res) listener for node:http, https, http2 compat or
// express, running a tsgi app with the servers' environ and start_response rules. The
// request body is received first (spooled above bodyMemoryLimit); the response streams
// with backpressure (write() returning false waits for 'drain'); a client that goes away
// ends the body and calls close() once.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createErrorStream } from '../error-stream.js';
import { fileWrapper } from '../file-wrapper.js';
import { BodyInput } from '../input.js';
import { decodePathInfo } from '../request-target.js';
import type { App, ErrorStream } from '../types.js';
import { driveApp } from '../util/drive-app.js';
import { buildEnviron } from '../util/request-head.js';
import { receiveStream, type BodyLimits } from './receive.js';

export interface NodeListenerOptions extends BodyLimits {
  /** wsgi.url_scheme; default from the socket (TLS → https). */
  urlScheme?: 'http' | 'https';
  /** wsgi.errors; default process.stderr. */
  errors?: ErrorStream;
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A short answer of our own; the connection closes after it, since unread request
 * bytes may follow (RFC 9112 §9.6). */
function simple(res: ServerResponse, code: number, text: string): void {
  if (res.headersSent) { res.destroy(); return; }
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) + 1, Connection: 'close' });
  res.end(text + '\n');
}

export function toNodeListener(app: App, options: NodeListenerOptions = {}): NodeListener {
  const errors = options.errors ?? createErrorStream(undefined);
  return (req, res) => {
    void handle(app, req, res, options, errors).catch((error: unknown) => {
      errors.write(`tsgi: error in application: ${error instanceof Error ? error.stack : String(error)}\n`);
      simple(res, (error as { status?: number }).status === 413 ? 413 : 500, (error as { status?: number }).status === 413 ? 'Content Too Large' : 'Internal Server Error');
    });
  };
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse, options: NodeListenerOptions, errors: ErrorStream): Promise<void> {
  const declared = req.headers['content-length'];
  const bodyLength = req.headers['transfer-encoding'] !== undefined ? -1 : declared !== undefined ? Number(declared) : 0;
  const input = bodyLength === 0 ? BodyInput.empty() : await receiveStream(req, bodyLength, options);
  const socket = req.socket as TLSSocket;
  const urlScheme = options.urlScheme ?? (socket.encrypted ? 'https' : 'http');
  const environ = buildEnviron({
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers: req.rawHeaders,
    versionMinor: req.httpVersionMinor,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localPort: socket.localPort ?? 0,
  }, input, { urlScheme, multiprocess: false, errors, fileWrapper, serverName: socket.localAddress ?? 'localhost' });
  // express: a listener mounted with app.use('/prefix', …) sees req.url without the prefix.
  const baseUrl = (req as { baseUrl?: unknown }).baseUrl;
  if (typeof baseUrl === 'string' && baseUrl !== '') environ.SCRIPT_NAME = decodePathInfo(baseUrl);

  let aborted = false;
  let wake: (() => void) | undefined;
  res.once('close', () => { aborted = !res.writableFinished; wake?.(); });
  const response = await driveApp(app, environ, { method: req.method, enforceLength: true, input, errors });
  try {
    const flat: string[] = response.headers.flat();
    if (response.contentLength < 0 && response.knownLength >= 0 && response.code !== 204) flat.push('Content-Length', String(response.knownLength));
    res.writeHead(response.code, response.status.slice(4), flat);
    for await (const chunk of response.body) {
      if (aborted) break;
      // Buffering and Streaming: never pull more than the socket takes.
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => { wake = resolve; res.once('drain', resolve); });
        wake = undefined;
      }
    }
    if (!aborted) res.end();
  } catch (error) {
    // Headers are sent: the client must see a broken response, not a short one.
    errors.write(`tsgi: error in application: ${error instanceof Error ? error.stack : String(error)}\n`);
    res.destroy();
  } finally {
    response.close();
  }
}
