// Raw HTTP/1.1 over node:net for tests where framing matters: send exact bytes, read
// exact bytes, and parse the responses strictly (status line, fields, CL / chunked /
// close-delimited bodies), so a framing bug cannot hide behind a lenient client.

import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  reason: string;
  /** Lower-case name → values in order. */
  headers: Map<string, string[]>;
  body: Buffer;
  /** How the body was delimited. */
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** The head exactly as received. */
  head: string;
}

export function header(r: RawResponse, name: string): string | undefined {
  return r.headers.get(name.toLowerCase())?.join(', ');
}

/** Parse every complete response in `data`. `methods` lists the request methods in
 * order (HEAD responses have no body). `ended`: the server closed the connection. */
export function parseResponses(data: Buffer, methods: string[] = [], ended = true): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd === -1) break;
    const head = data.subarray(at, headEnd).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(statusLine!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers = new Map<string, string[]>();
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`bad header line ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).toLowerCase();
      headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
    }
    const status = Number(m[1]);
    let pos = headEnd + 4;
    if (status >= 100 && status < 200) { at = pos; continue; } // interim
    const isHead = methods[responses.length] === 'HEAD';
    let body: Buffer = Buffer.alloc(0);
    let framing: RawResponse['framing'];
    const te = headers.get('transfer-encoding')?.join(',');
    const cl = headers.get('content-length');
    if (isHead || status === 204 || status === 304) framing = 'none';
    else if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') throw new Error(`unexpected transfer-encoding ${te}`);
      framing = 'chunked';
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = data.indexOf('\r\n', pos);
        if (lineEnd === -1) return { responses, rest: data.subarray(at) };
        const size = parseInt(data.subarray(pos, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        pos = lineEnd + 2;
        if (size === 0) {
          const trailerEnd = data.indexOf('\r\n', pos);
          if (trailerEnd === -1) return { responses, rest: data.subarray(at) };
          pos = trailerEnd + 2;
          break;
        }
        if (pos + size + 2 > data.length) return { responses, rest: data.subarray(at) };
        parts.push(data.subarray(pos, pos + size));
        if (data.subarray(pos + size, pos + size + 2).toString() !== '\r\n') throw new Error('bad chunk terminator');
        pos += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      if (cl.length !== 1) throw new Error('several Content-Length fields');
      framing = 'length';
      const n = Number(cl[0]);
      if (pos + n > data.length) break;
      body = data.subarray(pos, pos + n);
      pos += n;
    } else {
      framing = 'close';
      if (!ended) break;
      body = data.subarray(pos);
      pos = data.length;
    }
    responses.push({ status, reason: m[2]!, headers, body: Buffer.from(body), framing, head });
    at = pos;
  }
  return { responses, rest: data.subarray(at) };
}

/** An open raw connection that collects everything the server sends. */
export class RawConnection {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  closed = false;
  private waiters: (() => void)[] = [];
  private readonly opened: Promise<void>;

  constructor(port: number, host = '127.0.0.1', path?: string) {
    this.socket = path ? connect(path) : connect(port, host);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.socket.on('data', (d) => { this.data = Buffer.concat([this.data, d]); this.wake(); });
    this.socket.on('error', () => {});
    this.socket.on('close', () => { this.closed = true; this.wake(); });
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  async write(bytes: string | Buffer): Promise<void> {
    await this.opened;
    await new Promise<void>((resolve, reject) => this.socket.write(bytes, (e) => (e ? reject(e) : resolve())));
  }
  /** Resolve when `predicate` holds on what has arrived (or the socket closed). */
  async until(predicate: (c: RawConnection) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (this.closed) return;
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.data.toString('latin1').slice(0, 300))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, Math.max(1, deadline - Date.now()));
      });
    }
  }
  /** Wait for `count` complete responses. */
  async responses(count: number, methods: string[] = []): Promise<RawResponse[]> {
    let parsed: RawResponse[] = [];
    await this.until((c) => (parsed = parseResponses(c.data, methods, c.closed).responses).length >= count);
    parsed = parseResponses(this.data, methods, this.closed).responses;
    return parsed;
  }
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until((c) => c.closed, timeoutMs);
    if (!this.closed) throw new Error('connection still open');
  }
  close(): void {
    this.socket.destroy();
  }
}

/** Send `bytes` on a fresh connection, half-close, and return all that came back. */
export async function exchangeRaw(port: number, bytes: string | Buffer, methods: string[] = [], count = 1): Promise<{ responses: RawResponse[]; closed: boolean; raw: Buffer }> {
  const c = new RawConnection(port);
  try {
    await c.write(bytes);
    const responses = await c.responses(count, methods);
    // A response that announces close must be followed by the close itself.
    if (!c.closed && responses.some((r) => /close/i.test(header(r, 'connection') ?? ''))) await c.waitClosed();
    return { responses, closed: c.closed, raw: c.data };
  } finally {
    c.close();
  }
}
