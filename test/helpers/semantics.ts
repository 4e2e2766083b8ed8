// One request, the same on every engine, the in-memory one included: suites about PEP
// 3333 semantics (not sockets) opt in with enginesForSemantics() and serveFor(), and get
// the response as the client saw it: status, headers, body, and whether the connection
// stayed open or was cut before the response was complete.

import { createMemoryServer } from '../../src/engines/memory-server.js';
import type { App, EngineName, ServeOptions } from '../../src/types.js';
import { RawConnection } from './raw-http.js';
import { engines, start } from './server.js';

export type SemanticsEngine = EngineName | 'memory';

/** Every socket engine that loads here, and `memory` (TSGI_TEST_ENGINES narrows both). */
export function enginesForSemantics(): SemanticsEngine[] {
  const only = process.env.TSGI_TEST_ENGINES?.split(',').filter(Boolean);
  return only && !only.includes('memory') ? [...engines] : [...engines, 'memory'];
}

export interface SemanticsRequest {
  method?: string;
  /** request-target; default "/". */
  target?: string;
  /** Besides Host (added unless given) and Content-Length (added for a body). */
  headers?: [string, string][];
  body?: string | Buffer;
  /** 0 for HTTP/1.0; default 1. */
  versionMinor?: 0 | 1;
}

export interface Outcome {
  /** 0 when no head came. */
  status: number;
  reason: string;
  /** Lower-case name → values in order. */
  headers: Map<string, string[]>;
  body: Buffer;
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** A "100 Continue" came first. */
  continued: boolean;
  /** The connection stays open after a complete response. */
  keepAlive: boolean;
  /** The connection closed before the response was complete. */
  cut: boolean;
}

export interface SemanticsServer {
  request(request?: SemanticsRequest): Promise<Outcome>;
}

/** Serve `app` on `engine` (no validator: tests of misuse need the server's own answer). */
export async function serveFor(app: App, engine: SemanticsEngine, options: ServeOptions = {}): Promise<SemanticsServer> {
  if (engine === 'memory') {
    const server = createMemoryServer(app, { logger: options.logger, serverHeader: options.serverHeader ?? 'tsgi', maxBodySize: options.maxBodySize, bodyMemoryLimit: options.bodyMemoryLimit });
    return {
      async request(req = {}) {
        const r = await server.request({ method: req.method ?? 'GET', target: req.target ?? '/', headers: requestHeaders(req).flat(), body: bodyOf(req), versionMinor: req.versionMinor ?? 1, remoteAddress: '127.0.0.1' });
        const headers = new Map<string, string[]>();
        for (const [name, value] of r.head?.headers ?? []) headers.set(name.toLowerCase(), [...(headers.get(name.toLowerCase()) ?? []), value]);
        const framing = !r.head || r.head.noBody || r.head.framing === 3 ? 'none' : (['length', 'chunked', 'close'] as const)[r.head.framing]!;
        return { status: r.head?.code ?? 0, reason: r.head?.status.slice(4) ?? '', headers, body: r.body, framing, continued: r.continued, keepAlive: r.keepAlive, cut: r.cut };
      },
    };
  }
  const server = await start(app, engine, options, { validate: false });
  return { request: (req = {}) => overSocket(server.port, req) };
}

const bodyOf = (req: SemanticsRequest): Buffer | undefined => (req.body === undefined ? undefined : Buffer.from(req.body));

function requestHeaders(req: SemanticsRequest): [string, string][] {
  const headers = [...(req.headers ?? [])];
  const has = (name: string): boolean => headers.some(([k]) => k.toLowerCase() === name);
  if (!has('host')) headers.unshift(['Host', 'example.test']);
  const body = bodyOf(req);
  if (body !== undefined && !has('content-length') && !has('transfer-encoding')) headers.push(['Content-Length', String(body.length)]);
  return headers;
}

/** Raw bytes on a fresh connection; the response read strictly, also when cut. */
async function overSocket(port: number, req: SemanticsRequest): Promise<Outcome> {
  const method = req.method ?? 'GET';
  const head = `${method} ${req.target ?? '/'} HTTP/1.${req.versionMinor ?? 1}\r\n${requestHeaders(req).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const expectContinue = (req.headers ?? []).some(([k, v]) => k.toLowerCase() === 'expect' && v.toLowerCase() === '100-continue');
  const c = new RawConnection(port);
  try {
    await c.write(Buffer.from(head, 'latin1'));
    if (expectContinue) await c.until((x) => x.data.includes('\r\n\r\n'));
    const body = bodyOf(req);
    if (body !== undefined && body.length > 0) await c.write(body).catch(() => undefined);
    let parsed: Outcome | undefined;
    await c.until((x) => (parsed = readResponse(x.data, method, x.closed)) !== undefined, 10_000);
    parsed = readResponse(c.data, method, c.closed) ?? readResponse(c.data, method, true)!;
    // A response that announces close is followed by the close itself.
    if (!parsed.keepAlive && !c.closed) await c.waitClosed();
    return parsed;
  } finally {
    c.close();
  }
}

/** The first final response in `data`; undefined while more may come. */
function readResponse(data: Buffer, method: string, closed: boolean): Outcome | undefined {
  let at = 0;
  let continued = false;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end === -1) return closed ? cutOutcome(continued) : undefined;
    const lines = data.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    if (status >= 100 && status < 200) { continued ||= status === 100; at = end + 4; continue; }
    const headers = new Map<string, string[]>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const keepAlive = !/close/i.test(headers.get('connection')?.join(',') ?? '');
    const base = { status, reason: m[2]!, headers, continued };
    const rest = data.subarray(end + 4);
    if (method === 'HEAD' || status === 204 || status === 304) return { ...base, body: Buffer.alloc(0), framing: 'none', keepAlive, cut: false };
    if (headers.has('transfer-encoding')) {
      const { body, complete } = dechunk(rest);
      if (!complete && !closed) return undefined;
      return { ...base, body, framing: 'chunked', keepAlive: complete && keepAlive, cut: !complete };
    }
    const length = headers.get('content-length');
    if (length) {
      const n = Number(length[0]);
      if (rest.length < n && !closed) return undefined;
      return { ...base, body: Buffer.from(rest.subarray(0, n)), framing: 'length', keepAlive: rest.length >= n && keepAlive, cut: rest.length < n };
    }
    if (!closed) return undefined;
    return { ...base, body: Buffer.from(rest), framing: 'close', keepAlive: false, cut: false };
  }
}

function cutOutcome(continued: boolean): Outcome {
  return { status: 0, reason: '', headers: new Map(), body: Buffer.alloc(0), framing: 'none', continued, keepAlive: false, cut: true };
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', pos);
    if (lineEnd === -1) return { body: Buffer.concat(parts), complete: false };
    const size = parseInt(data.subarray(pos, lineEnd).toString('latin1'), 16);
    pos = lineEnd + 2;
    if (size === 0) return { body: Buffer.concat(parts), complete: data.indexOf('\r\n', pos) !== -1 };
    parts.push(data.subarray(pos, Math.min(pos + size, data.length)));
    if (pos + size + 2 > data.length) return { body: Buffer.concat(parts), complete: false };
    pos += size + 2;
  }
}
