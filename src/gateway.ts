// The gateway: turns each engine Exchange into one PEP 3333 call of the app.
// Requests without a body run the app synchronously inside the engine's callback, so a
// synchronous app answers before the engine's request memory dies and nothing of the
// request is copied. Requests with a body are detached, received in full (memory or
// spool file), then run.

import { receiveBody, BodyFailure } from './body-receiver.js';
import { EnvironState, environFor, lazyEnviron, type EnvironDefaults } from './environ.js';
import type { Exchange, RequestHandler } from './contract.js';
import { BodyInput } from './input.js';
import { WsgiResponse, type ResponseContext } from './response.js';
import { describeThrown } from './error-text.js';
import { sendSimple } from './simple-response.js';
import type { App } from './types.js';

export interface GatewayOptions {
  maxBodySize: number;
  bodyMemoryLimit: number;
  defaults: EnvironDefaults;
  context: ResponseContext;
}

export function createGateway(app: App, options: GatewayOptions): RequestHandler {
  const { defaults, context } = options;
  const limits = { maxBodySize: options.maxBodySize, memoryLimit: options.bodyMemoryLimit };

  const runApp = (exchange: Exchange, input: BodyInput, keepAlive: boolean): WsgiResponse => {
    const response = new WsgiResponse(exchange, context, input, keepAlive);
    response.run(app, environFor(exchange.head, defaults, input));
    return response;
  };

  /** A request with a body: detached, received in full, then run. */
  const receive = (exchange: Exchange, keepAlive: boolean): void => {
    const head = exchange.head;
    const bodyLength = exchange.bodyLength;
    // RFC 9110 §15.5.14: refuse a declared body that is too large before reading it;
    // the connection closes so its bytes are never parsed as a request.
    if (bodyLength > options.maxBodySize) {
      sendSimple(exchange, '413 Content Too Large', 'Content Too Large', false, context.serverHeader);
      return;
    }
    // RFC 9110 §10.1.1: answer 100-continue (ignored for HTTP/1.0); any other
    // expectation gets 417.
    const expect = head.header('expect');
    if (expect !== undefined) {
      if (expect.trim().toLowerCase() !== '100-continue') {
        sendSimple(exchange, '417 Expectation Failed', 'Expectation Failed', false, context.serverHeader);
        return;
      }
      if (head.versionMinor >= 1) exchange.writeContinue();
    }

    // The body arrives after the engine's callback returned: copy the head first.
    head.detach();
    let response: WsgiResponse | undefined;
    const abortReceive = receiveBody(
      exchange,
      limits,
      (input) => { response = runApp(exchange, input, keepAlive); },
      (reason, error) => {
        if (reason === BodyFailure.TooLarge) {
          sendSimple(exchange, '413 Content Too Large', 'Content Too Large', false, context.serverHeader);
        } else if (reason === BodyFailure.SpoolError || reason === BodyFailure.Internal) {
          log(context, reason === BodyFailure.SpoolError ? 'tsgi: could not spool a request body: ' : 'tsgi: error while receiving a request body: ', error);
          sendSimple(exchange, '500 Internal Server Error', 'Internal Server Error', false, context.serverHeader);
        }
      },
    );
    try {
      exchange.onAborted(() => (response ? response.abort() : abortReceive()));
    } catch (error) {
      // The body may already have arrived (and the app answered) inside readBody.
      if (response) return response.fail(error, 'tsgi: internal error: ');
      abortReceive();
      failExchange(exchange, context, error);
    }
  };

  /** The engine calls this once per request. It never throws: WsgiResponse catches what
   * the app does, and anything else (an engine call that throws) ends here. (It captures
   * nothing in a closure, so a request without a body allocates no context.) */
  return (exchange: Exchange): void => {
    let response: WsgiResponse | undefined;
    try {
      const head = exchange.head;
      const keepAlive = head.keepAlive;
      if (exchange.bodyLength !== 0) return receive(exchange, keepAlive);
      const input = BodyInput.empty();
      response = new WsgiResponse(exchange, context, input, keepAlive);
      const state = new EnvironState(head, defaults, input);
      response.run(app, lazyEnviron(state));
      // The engine may reuse the head's memory once this returns: an environ the app kept
      // reads what it read before, and throws TSGI_ERR_HEAD_EXPIRED for the rest (never
      // another request's bytes; see environ.ts for why not a snapshot).
      if (response.finished) state.expire();
      else answerLater(exchange, response);
    } catch (error) {
      if (response) response.fail(error, 'tsgi: internal error: ');
      else failExchange(exchange, context, error);
    }
  };
}

/** The app answers after the engine's callback: keep what environ may still read, and
 * learn of aborts. */
function answerLater(exchange: Exchange, response: WsgiResponse): void {
  exchange.head.detach();
  exchange.onAborted(() => response.abort());
}

/** An error outside any response (an engine call threw): log it, then a 500 that closes
 * the connection, or, if that fails too, close it. Never throws. */
export function failExchange(exchange: Exchange, context: ResponseContext, error: unknown): void {
  log(context, 'tsgi: internal error: ', error);
  try {
    sendSimple(exchange, '500 Internal Server Error', 'Internal Server Error', false, context.serverHeader);
  } catch {
    try { exchange.abort(); } catch { /* nothing left to close */ }
  }
}

function log(context: ResponseContext, prefix: string, error: unknown): void {
  try {
    context.errors.write(`${prefix}${describeThrown(error)}\n`);
  } catch { /* a logger that throws must not fail the request it reports on */ }
}
