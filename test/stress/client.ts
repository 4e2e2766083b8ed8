// A keep-alive stress client connection: sends one request (or a pipelined batch) and
// resolves with exactly the responses it expects, strictly parsed.

import { connect, type Socket } from 'node:net';
import { parseResponses, type RawResponse } from '../helpers/raw-http.js';

export class StressConnection {
  private socket: Socket;
  private data: Buffer = Buffer.alloc(0);
  private want = 0;
  private done: ((r: RawResponse[]) => void) | undefined;
  private fail: ((e: Error) => void) | undefined;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => { this.data = this.data.length ? Buffer.concat([this.data, d]) : d; this.check(); });
    socket.on('error', (e) => this.fail?.(e));
    socket.on('close', () => { this.closed = true; this.fail?.(new Error(`connection closed with ${this.data.length} bytes pending`)); });
  }

  static open(port: number): Promise<StressConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new StressConnection(s)));
      s.once('error', reject);
    });
  }

  private check(): void {
    if (!this.done) return;
    const { responses, rest } = parseResponses(this.data, [], false);
    if (responses.length < this.want) return;
    if (responses.length > this.want || rest.length > 0) {
      this.fail?.(new Error(`${responses.length} responses and ${rest.length} stray bytes for ${this.want} requests`));
      return;
    }
    const done = this.done;
    this.done = this.fail = undefined;
    this.data = Buffer.alloc(0);
    done(responses);
  }

  /** Send `bytes` (holding `count` requests) and wait for `count` complete responses. */
  exchange(bytes: Buffer | string, count: number, timeoutMs = 10_000): Promise<RawResponse[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no complete answer in ${timeoutMs} ms`)), timeoutMs);
      this.want = count;
      this.done = (r) => { clearTimeout(timer); resolve(r); };
      this.fail = (e) => { clearTimeout(timer); this.done = this.fail = undefined; reject(e); };
      this.socket.write(bytes);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
