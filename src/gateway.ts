// The gateway: turns each engine Exchange into one PEP 3333 call of the app.
// Requests without a body run the app synchronously inside the engine's callback, so a
// synchronous app answers before the engine's request memory dies and nothing of the
// request is copied. Requests with a body are detached, received in full (memory or
// spool file), then run.

import { receiveBody, BodyFailure } from './body-receiver.js';
import { environFor, type EnvironDefaults } from './environ.js';
import type { Exchange, RequestHandler } from './engines/types.js';
import { BodyInput } from './input.js';
import { WsgiResponse, type ResponseContext } from './response.js';
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

  return (exchange: Exchange): void => {
    const head = exchange.head;
    const keepAlive = head.keepAlive;
    const bodyLength = exchange.bodyLength;

    if (bodyLength === 0) {
      const response = runApp(exchange, BodyInput.empty(), keepAlive);
      if (!response.finished) {
        // The app answers later: keep what environ may still read, and learn of aborts.
        head.detach();
        exchange.onAborted(() => response.abort());
      }
      return;
    }

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

    head.detach();
    let response: WsgiResponse | undefined;
    const abortReceive = receiveBody(
      exchange,
      limits,
      (input) => { response = runApp(exchange, input, keepAlive); },
      (reason, error) => {
        if (reason === BodyFailure.TooLarge) {
          sendSimple(exchange, '413 Content Too Large', 'Content Too Large', false, context.serverHeader);
        } else if (reason === BodyFailure.SpoolError) {
          context.errors.write(`tsgi: could not spool a request body: ${error?.message}\n`);
          sendSimple(exchange, '500 Internal Server Error', 'Internal Server Error', false, context.serverHeader);
        }
      },
    );
    exchange.onAborted(() => (response ? response.abort() : abortReceive()));
  };
}
