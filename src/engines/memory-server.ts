// An app behind the one gateway (gateway.ts) on the memory engine: what serveFast does
// for a socket engine, for callers that have a request in hand instead of a connection
// (tsgi/testing, tsgi/adapters, compress). open() streams the response into a sink;
// request() collects it.

import { createErrorStream } from '../error-stream.js';
import { fileWrapper } from '../file-wrapper.js';
import { createGateway } from '../gateway.js';
import { PlainRequestHead } from '../util/request-head.js';
import type { App, ErrorStream, Logger } from '../types.js';
import { factsOf, requestBodyLength, requestStatus } from './http-rules.js';
import { LIMIT_DEFAULTS } from '../limits.js';
import { MemoryExchange, type RequestBody, type ResponseSink, type WireHead } from './memory.js';
import { ConnectionToken, Framing, type RequestHandler } from '../contract.js';

export interface MemoryRequest {
  method: string;
  /** request-target as sent: origin-form path and query, percent-encoded, latin-1. */
  target: string;
  /** Flat [name, value, name, value, …] as received; latin-1 strings. */
  headers?: string[];
  /** With no Content-Length or Transfer-Encoding among the headers, a body is framed as
   * chunked would be (its length unknown to the server until it ends). */
  body?: RequestBody;
  /** 0 for HTTP/1.0, 1 (default) for HTTP/1.1. */
  versionMinor?: number;
  remoteAddress?: string;
  remotePort?: number;
  /** The port the request was received on (SERVER_PORT). Default 80. */
  localPort?: number;
}

export interface MemoryServerOptions {
  /** A request body larger than this gets 413. Default 1 GiB. */
  maxBodySize?: number;
  /** Bodies larger than this spool to a temporary file. Default 1 MiB. */
  bodyMemoryLimit?: number;
  /** Value of the Server header; undefined: none is added (middleware inside a server). */
  serverHeader?: string | undefined;
  /** wsgi.url_scheme. Default 'http'. */
  urlScheme?: string;
  /** wsgi.errors and the gateway's own log lines; default from `logger`, else stderr. */
  errors?: ErrorStream;
  logger?: Logger;
  /** SERVER_NAME when the request has no Host. Default 'localhost'. */
  serverName?: string;
  multiprocess?: boolean;
  /** Told of an application failure instead of logging it (see ResponseContext). */
  onFailure?: (error: unknown) => void;
}

/** A response as a client would have read it. */
export interface MemoryResponse {
  /** The head; undefined when the connection was cut before one was sent. */
  head: WireHead | undefined;
  /** "HTTP/1.1 100 Continue" came first. */
  continued: boolean;
  body: Buffer;
  /** The connection stays open after the response. */
  keepAlive: boolean;
  /** The connection closed before the response was complete. */
  cut: boolean;
}

export interface MemoryServer {
  /** Start one exchange; the response goes to `sink` as it is produced. */
  open(request: MemoryRequest, sink: ResponseSink): MemoryExchange;
  /** One exchange, collected. `window`: bytes the client takes before it stops reading
   * until the next turn of the event loop (exercises backpressure); default unlimited. */
  request(request: MemoryRequest, options?: { window?: number }): Promise<MemoryResponse>;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 501: 'Not Implemented', 505: 'HTTP Version Not Supported' };

export function createMemoryServer(app: App, options: MemoryServerOptions = {}): MemoryServer {
  const errors = options.errors ?? createErrorStream(options.logger);
  const handler: RequestHandler = createGateway(app, {
    maxBodySize: options.maxBodySize ?? LIMIT_DEFAULTS.maxBodySize,
    bodyMemoryLimit: options.bodyMemoryLimit ?? LIMIT_DEFAULTS.bodyMemoryLimit,
    context: { serverHeader: 'serverHeader' in options ? options.serverHeader : 'tsgi', errors, closing: false, onFailure: options.onFailure },
    defaults: {
      urlScheme: options.urlScheme ?? 'http',
      multiprocess: options.multiprocess ?? false,
      errors,
      fileWrapper,
      serverName: options.serverName ?? 'localhost',
    },
  });

  const open = (request: MemoryRequest, sink: ResponseSink): MemoryExchange => {
    const head = new PlainRequestHead({ ...request, headers: request.headers ?? [] });
    const { status, bodyLength } = requestRule(head, request.body !== undefined);
    const exchange = new MemoryExchange(head, bodyLength, request.body, sink);
    if (status !== 0) {
      // As the socket engines' parsers do: refused before the gateway, connection closed.
      const text = STATUS_TEXT[status] ?? 'Bad Request';
      exchange.writeHead({ status: `${status} ${text}`, headers: ['Content-Type', 'text/plain'], framing: Framing.Length, contentLength: text.length + 1, connection: ConnectionToken.Close, noBody: head.isHead, hasDate: false, ascii: true });
      exchange.end(text + '\n');
      return exchange;
    }
    handler(exchange);
    return exchange;
  };

  const request = (req: MemoryRequest, { window = Infinity }: { window?: number } = {}): Promise<MemoryResponse> => new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const out: MemoryResponse = { head: undefined, continued: false, body: Buffer.alloc(0), keepAlive: false, cut: false };
    let taken = 0;
    let exchange: MemoryExchange | undefined;
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      out.body = Buffer.concat(chunks);
      resolve(out);
    };
    exchange = open(req, {
      continued: () => { out.continued = true; },
      head: (head) => { out.head = head; },
      data: (chunk) => {
        chunks.push(Buffer.from(chunk));
        taken += chunk.length;
        if (taken < window) return true;
        taken = 0;
        setImmediate(() => exchange?.drained());
        return false;
      },
      end: (keepAlive) => { out.keepAlive = keepAlive && out.head?.framing !== Framing.Close; finish(); },
      cut: () => { out.cut = true; finish(); },
      // The request body ended early (the client closed): no answer comes.
      left: () => { out.cut = true; finish(); },
    });
  });

  return { open, request };
}

/** The checks the socket engines' parsers make before the gateway sees a request
 * (RFC 9112 §3.2, §6.1, §6.3): `status` to refuse it with (0: none), and the body
 * framing (Exchange.bodyLength). */
function requestRule(head: PlainRequestHead, hasBody: boolean): { status: number; bodyLength: number } {
  const flat: string[] = [];
  for (let i = 0; i < head.headerCount(); i++) flat.push(head.headerName(i), head.headerValue(i));
  const facts = factsOf(head.method, head.target, 1, head.versionMinor, flat);
  const status = requestStatus(facts);
  if (status !== 0) return { status, bodyLength: 0 };
  // A body given without a framing field is delivered as a chunked one would be.
  const framed = facts.transferEncoding !== undefined || facts.contentLength !== undefined;
  return { status: 0, bodyLength: framed ? requestBodyLength(facts) : hasBody ? -1 : 0 };
}
