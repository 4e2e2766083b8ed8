// A RequestHead (src/contract.ts) over plain values: the request head of the memory
// engine (src/engines/memory.ts), on which the test client, the adapters and compress
// run the servers' own gateway (same environ keys, latin-1 rules, HTTP_* mapping).

import { joinHeader, type RequestHead, type TlsFacts } from '../contract.js';
import { requestKeepAlive } from '../keep-alive.js';

export interface PlainRequest {
  method: string;
  /** request-target as sent: origin-form path and query, percent-encoded, latin-1. */
  target: string;
  /** Flat [name, value, name, value, …] as received; latin-1 strings. */
  headers: string[];
  versionMinor?: number;
  remoteAddress?: string;
  remotePort?: number;
  localPort?: number;
}

const LATIN1 = /^[\x00-\xff]*$/;

export class PlainRequestHead implements RequestHead {
  readonly method: string;
  readonly target: string;
  readonly versionMinor: number;
  readonly keepAlive: boolean;
  readonly isHead: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly tls: TlsFacts | undefined = undefined;
  private readonly raw: string[];

  constructor(request: PlainRequest) {
    this.method = request.method;
    this.target = request.target;
    this.isHead = this.method === 'HEAD';
    this.versionMinor = request.versionMinor ?? 1;
    this.raw = request.headers;
    for (let i = 0; i < this.raw.length; i++) {
      const text = this.raw[i]!;
      // RFC 9110 §5.5: field values are octets; environ carries them as latin-1.
      if (!LATIN1.test(text) || /[\r\n\0]/.test(text)) {
        throw new TypeError(`request header ${i % 2 === 0 ? 'name' : 'value'} must be latin-1 without CR, LF or NUL: ${JSON.stringify(text)}`);
      }
    }
    this.keepAlive = requestKeepAlive(this.versionMinor, this.header('connection'));
    this.remoteAddress = request.remoteAddress ?? '127.0.0.1';
    this.remotePort = request.remotePort ?? 0;
    this.localPort = request.localPort ?? 80;
  }

  headerCount(): number { return this.raw.length >> 1; }
  headerName(i: number): string { return this.raw[2 * i]!; }
  headerValue(i: number): string { return this.raw[2 * i + 1]!; }
  headerNameIs(i: number, lowerName: string): boolean {
    const name = this.raw[2 * i]!;
    return name.length === lowerName.length && name.toLowerCase() === lowerName;
  }
  header(lowerName: string): string | undefined { return joinHeader(this, lowerName); }
  detach(): void { /* plain strings already */ }
}

