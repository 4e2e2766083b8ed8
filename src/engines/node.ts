// Engine `node`: node:http, the portable fallback. llhttp parses; the gateway decides
// everything else. Node's own framing is steered through the headers we pass.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { httpDate } from '../http-date.js';
import { hostIsValid, requestProblem, wantsKeepAlive } from './http-rules.js';
import { Framing, type Engine, type EngineOptions, type EngineServer, type Exchange, type RequestHandler, type RequestHead, type ResponseHead } from './types.js';

const EMPTY = new Uint8Array(0);

class NodeHead implements RequestHead {
  readonly method: string;
  readonly target: string;
  readonly versionMinor: number;
  readonly keepAlive: boolean;
  readonly isHead: boolean;
  private readonly raw: string[];
  constructor(req: IncomingMessage, readonly localPort: number) {
    this.method = req.method!;
    this.isHead = this.method === 'HEAD';
    this.target = req.url!;
    this.versionMinor = req.httpVersionMinor;
    this.raw = req.rawHeaders;
    this.keepAlive = wantsKeepAlive(this.versionMinor, this.header('connection'));
    const socket = req.socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
  }
  readonly remoteAddress: string;
  readonly remotePort: number;
  headerCount(): number { return this.raw.length >> 1; }
  headerName(i: number): string { return this.raw[2 * i]!; }
  headerValue(i: number): string { return this.raw[2 * i + 1]!; }
  header(lowerName: string): string | undefined {
    let out: string | undefined;
    const raw = this.raw;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === lowerName.length && name.toLowerCase() === lowerName) {
        out = out === undefined ? raw[i + 1]! : out + ', ' + raw[i + 1]!;
      }
    }
    return out;
  }
  detach(): void { /* strings already */ }
}

class NodeExchange implements Exchange {
  readonly head: NodeHead;
  readonly bodyLength: number;
  private ended = false;
  private aborted = false;
  private abortCallback: (() => void) | undefined;
  private response: ResponseHead | undefined;
  private headWritten = false;

  /** Fires when the body pauses longer than bodyTimeout (restarted by every chunk). */
  private bodyTimer: NodeJS.Timeout | undefined;

  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse, localPort: number,
    private readonly bodyTimeoutMs: number) {
    this.head = new NodeHead(req, localPort);
    const cl = req.headers['content-length'];
    this.bodyLength = req.headers['transfer-encoding'] !== undefined ? -1 : cl !== undefined ? Number(cl) : 0;
    res.once('close', () => {
      if (this.ended) return;
      this.aborted = true;
      this.abortCallback?.();
    });
  }

  readBody(onChunk: (chunk: Uint8Array, last: boolean) => void): void {
    this.req.on('data', (chunk: Buffer) => {
      this.bodyTimer?.refresh();
      onChunk(chunk, false);
    });
    this.req.on('end', () => {
      this.stopBodyTimer();
      onChunk(EMPTY, true);
    });
    this.req.once('close', () => this.stopBodyTimer());
    this.startBodyTimer();
  }
  pauseBody(): void {
    this.stopBodyTimer(); // our own pause is not the client's delay
    this.req.pause();
  }
  resumeBody(): void {
    this.startBodyTimer();
    this.req.resume();
  }

  private startBodyTimer(): void {
    if (this.bodyTimeoutMs <= 0 || this.req.complete || this.bodyTimer) return;
    this.bodyTimer = setTimeout(() => this.bodyTimedOut(), this.bodyTimeoutMs);
  }
  private stopBodyTimer(): void {
    clearTimeout(this.bodyTimer);
    this.bodyTimer = undefined;
  }
  /** RFC 9110 §15.5.9: 408 if nothing of the response went out yet, then close. */
  private bodyTimedOut(): void {
    this.bodyTimer = undefined;
    if (this.req.complete || this.aborted) return;
    if (!this.headWritten && !this.res.headersSent) {
      this.headWritten = true;
      refuse(this.res, 408, 'Request Timeout');
      this.res.once('finish', () => this.req.socket.destroy());
    } else this.req.socket.destroy();
  }
  writeContinue(): void { if (!this.aborted) this.res.writeContinue(); }

  writeHead(head: ResponseHead): void { this.response = head; }

  private writeHeadNow(): void {
    const h = this.response!;
    const headers = h.headers.slice(); // shared between responses (headers.ts): never mutated
    if (!h.hasDate) headers.push('Date', httpDate());
    if (h.framing === Framing.Length) headers.push('Content-Length', String(h.contentLength));
    if (!h.keepAlive) headers.push('Connection', 'close');
    const space = h.status.indexOf(' ');
    this.res.writeHead(Number(h.status.slice(0, 3)), space === -1 ? '' : h.status.slice(space + 1), headers);
    this.headWritten = true;
  }

  write(chunk: Uint8Array | string): boolean {
    if (this.aborted) return true;
    if (!this.headWritten) this.writeHeadNow();
    if (this.response!.noBody) return true;
    return this.res.write(chunk);
  }
  end(chunk?: Uint8Array | string): void {
    if (this.aborted || this.ended) return;
    this.ended = true;
    if (!this.headWritten) this.writeHeadNow();
    if (chunk === undefined || this.response!.noBody) this.res.end();
    else this.res.end(chunk);
  }
  onWritable(callback: () => void): void { this.res.once('drain', callback); }
  onAborted(callback: () => void): void { this.abortCallback = callback; }
  abort(): void {
    if (this.ended) return;
    // Flush what was written, then FIN: the client sees a truncated response.
    const socket = this.res.socket;
    if (socket) socket.destroySoon();
    else this.res.destroy();
  }
}

class NodeServer implements EngineServer {
  constructor(readonly host: string, readonly port: number, private readonly server: Server) {}
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}

export function loadNodeEngine(): Engine {
  return {
    name: 'node',
    listen(options: EngineOptions, handler: RequestHandler): Promise<EngineServer> {
      const server = createServer({
        maxHeaderSize: options.maxHeaderSize,
        keepAliveTimeout: options.keepAliveTimeout * 1000,
        headersTimeout: options.headersTimeout * 1000,
        requestTimeout: 0,
        // node:http checks the header deadline on this interval (default 30 s): check
        // often enough that a slowloris client is cut close to headersTimeout.
        connectionsCheckingInterval: Math.max(250, Math.min(30_000, (options.headersTimeout * 1000) / 4)),
      });
      // Node truncates silently past maxHeadersCount: allow one more and refuse it.
      server.maxHeadersCount = options.maxHeaderCount + 1;
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        res.sendDate = false;
        if (req.url!.length > options.maxRequestLine) return refuse(res, 414, 'URI Too Long');
        if (req.rawHeaders.length / 2 > options.maxHeaderCount) return refuse(res, 431, 'Request Header Fields Too Large');
        if (!hostIsValid(req.httpVersionMinor, hostLines(req.rawHeaders))) return refuse(res, 400, 'Bad Request');
        const problem = requestProblem(req.method!, req.url!, req.httpVersionMajor, req.headers['transfer-encoding']);
        if (problem !== 0) return refuse(res, problem, STATUS_TEXT[problem]!);
        handler(new NodeExchange(req, res, (req.socket as Socket).localPort ?? 0, options.bodyTimeout * 1000));
      };
      server.on('request', onRequest);
      // Our gateway answers Expect itself (100 or 413/417).
      server.on('checkContinue', onRequest);
      server.on('checkExpectation', onRequest);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        const ready = (): void => {
          server.off('error', reject);
          const addr = server.address();
          const port = typeof addr === 'object' && addr ? addr.port : 0;
          resolve(new NodeServer(options.path ?? options.host, port, server));
        };
        if (options.path) server.listen(options.path, ready);
        else server.listen(options.port, options.host, ready);
      });
    },
  };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 501: 'Not Implemented', 505: 'HTTP Version Not Supported' };

function hostLines(raw: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'host') out.push(raw[i + 1]!);
  return out;
}

function refuse(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain', 'Content-Length': text.length + 1, Connection: 'close', Date: httpDate() });
  res.end(text + '\n');
}
