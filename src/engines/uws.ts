// Engine `uws`: uWebSockets.js moves the bytes, the gateway decides everything else.
//
// uWebSockets.js pitfalls designed around here:
// - it terminates the process when a handler returns without responding or onAborted:
//   every exchange still open when the handler returns registers onAborted, and an
//   exception from the gateway is caught and answered (500) or closed first;
// - HttpRequest dies when the handler returns: UwsHead.detach() copies it first;
// - the registry build (v20.30) answers Expect: 100-continue by itself as soon as the
//   request arrives, so writeContinue() has nothing left to do (a body we refuse is
//   then refused after the 100, which RFC 9110 §10.1.1 allows);
// - it accepts Transfer-Encoding values other than a final "chunked" and duplicate
//   Content-Length fields: checkRequest() refuses them (RFC 9112 §6.3);
// - its `end(body, true)` sends FIN and close(2) at once: with request bytes unread the
//   kernel resets the connection and the client loses the answer (RFC 9112 §9.6). A
//   close response to an unfinished upload therefore first reads and discards the rest
//   (up to LINGER_BYTES / LINGER_MS), then ends with close; past that bound it stops
//   reading, says `Connection: close` itself and ends without uWS's flag, and uWS's 10 s
//   timeout closes the quiet socket (uWS.js gives no handle once a response ended);
// - it frames chunked bodies itself and writes each chunk's closing CRLF with the next
//   chunk (or the last-chunk), and v20.30 has no raw write: a client that waits for that
//   CRLF sees each chunk one write late (docs/engines.md);
// - its idle timeout is fixed at 10 s; a write that fails arms it and a drain disarms
//   it, so sendTimeout above 10 s is cut to 10 s there and below it tsgi enforces it;
// - it adds its own Date header and cannot report the HTTP version or remote port;
//   it drops HTTP/1.0, absolute-form and asterisk-form requests without an answer;
// - TLS (SSLApp) lacks a minimum-version setting, client-certificate results, ALPN, a
//   plaintext answer to plain HTTP and certificate rotation: uws-tls.ts.

import type { Engine, EngineOptions, EngineServer, RequestHandler } from '../contract.js';
import { describeThrown, listenFailureCause } from '../error-text.js';
import { EngineUnavailableError, ListenError } from '../errors.js';
import { UwsExchange } from './uws-exchange.js';
import { loadUws, uwsUnavailableReason, type UwsHttpRequest, type UwsHttpResponse, type UwsListenSocket } from './uws-loader.js';
import { UwsServer } from './uws-server.js';
import { checkUwsTls, createSslApp, UWS_TLS_FACTS } from './uws-tls.js';

/** In-flight responses get this long after close() when sendTimeout is 0 (never). */
const CLOSE_GRACE_MS = 10_000;

export function loadUwsEngine(): Engine {
  const unavailable = uwsUnavailableReason();
  if (unavailable) throw new EngineUnavailableError(unavailable);
  let uws: ReturnType<typeof loadUws> | undefined;
  return {
    name: 'uws',
    servesTls: true,
    listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer> {
      const tls = options.tls;
      if (tls) checkUwsTls(tls);
      uws ??= loadUws(options.maxHeaderSize);
      const mod = uws;
      const app = tls ? createSslApp(mod, tls) : mod.App();
      const tlsFacts = tls ? UWS_TLS_FACTS : undefined;
      let server: UwsServer | undefined;
      let localPort = options.port;
      const onRequest = (res: UwsHttpResponse, req: UwsHttpRequest, method: string | undefined): void => {
        const s = server!;
        let exchange: UwsExchange;
        try {
          exchange = new UwsExchange(res, req, localPort, s, method, tlsFacts);
        } catch (error) {
          s.logger.error(`tsgi uws: exception on the request path: ${describeThrown(error)}`);
          res.writeStatus('500 Internal Server Error').end('Internal Server Error\n', true);
          return;
        }
        if (exchange.refusal !== undefined) {
          // The request rules refused it (http-rules.ts): 400 or 501, and close.
          res.writeStatus(exchange.refusal).writeHeader('Content-Type', 'text/plain').end(exchange.refusal.slice(4) + '\n', true);
          return;
        }
        s.link(exchange);
        try {
          handler(exchange);
        } catch (error) {
          try {
            exchange.fault(error);
          } catch (again) {
            s.logger.error(`tsgi uws: exception while answering an exception: ${describeThrown(again)}`);
          }
        }
        exchange.inHandler = false;
        // uWS terminates the process when the handler returns without a response or an
        // onAborted handler: every path below leaves one of the two. (The HttpResponse
        // throws if touched after it completed: then there is nothing to register.)
        try {
          if (exchange.closeAfterHandler) {
            let gone = false;
            res.onAborted(() => { gone = true; });
            setImmediate(() => { if (!gone) res.close(); });
          } else if (!exchange.finished && !exchange.aborted) res.onAborted(() => exchange.handleAborted());
        } catch (error) {
          s.logger.error(`tsgi uws: could not register onAborted: ${describeThrown(error)}`);
        }
      };
      // uWS routes by method already; its GET and HEAD routes tell us the method.
      app.get('/*', (res, req) => onRequest(res, req, 'GET'));
      app.head('/*', (res, req) => onRequest(res, req, 'HEAD'));
      app.any('/*', (res, req) => onRequest(res, req, undefined));
      const sendMs = options.sendTimeout * 1000;
      const graceMs = sendMs > 0 ? sendMs : CLOSE_GRACE_MS;
      return new Promise((resolve, reject) => {
        const done = (socket: UwsListenSocket | false): void => {
          if (!socket) {
            const target = options.path ?? `${options.host}:${options.port}`;
            return void listenFailureCause(options.path, options.host, options.port).then((cause) => reject(new ListenError(target, cause)));
          }
          localPort = options.path ? 0 : mod.us_socket_local_port(socket);
          server = new UwsServer(options.path ?? options.host, localPort, socket, (s) => mod.us_listen_socket_close(s), () => app.close(), options.logger, sendMs, graceMs);
          resolve(server);
        };
        if (options.path) app.listen_unix(done, options.path);
        else app.listen(options.host, options.port, done);
      });
    },
  };
}
