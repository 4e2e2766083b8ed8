// A RequestHead (src/engines/types.ts) over plain values, so that the test client and
// the adapters build their environ with the servers' own createEnviron: same keys,
// same latin-1 rules, same HTTP_* mapping (PEP 3333 "environ Variables").

import { wantsKeepAlive } from '../engines/http-rules.js';
import type { RequestHead } from '../engines/types.js';
import { createEnviron, type EnvironDefaults } from '../environ.js';
import type { BodyInput } from '../input.js';
import type { Environ } from '../types.js';

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
    this.keepAlive = wantsKeepAlive(this.versionMinor, this.header('connection'));
    this.remoteAddress = request.remoteAddress ?? '127.0.0.1';
    this.remotePort = request.remotePort ?? 0;
    this.localPort = request.localPort ?? 80;
  }

  headerCount(): number { return this.raw.length >> 1; }
  headerName(i: number): string { return this.raw[2 * i]!; }
  headerValue(i: number): string { return this.raw[2 * i + 1]!; }
  header(lowerName: string): string | undefined {
    let out: string | undefined;
    for (let i = 0; i < this.raw.length; i += 2) {
      if (this.raw[i]!.toLowerCase() === lowerName) out = out === undefined ? this.raw[i + 1]! : out + ', ' + this.raw[i + 1]!;
    }
    return out;
  }
  detach(): void { /* plain strings already */ }
}

/** The environ a tsgi server would build for this request. */
export function buildEnviron(request: PlainRequest, input: BodyInput, defaults: EnvironDefaults): Environ {
  return createEnviron({ head: new PlainRequestHead(request), defaults, input });
}
