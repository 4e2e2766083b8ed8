// RequestHead over the engine's shared input memory: offsets only, a string is cut when
// a getter is read. Valid during the dispatch call that delivered it, unless detached.
// NativeExchange extends it (exchange.head === exchange): one object per request.
import type { RequestHead } from './types.js';
import { REQUEST_FIXED_INTS, INTS_PER_HEADER, REQUEST_FLAG_KEEP_ALIVE } from './native-protocol.js';

/** What a head needs from its server: the shared buffers and the batch counter. */
export interface HeadSource {
  readonly input: Buffer;
  readonly events: Int32Array;
  batch: number;
}

export interface PeerInfo {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

export class NativeHead implements RequestHead {
  private buf: Latin1Buffer;
  private meta: Int32Array;
  private m: number; // index of the request record in meta
  private base: number; // byte offset of the head in buf
  private source: HeadSource | null; // null once detached
  private readonly batch: number;
  private readonly requestFlags: number;
  private readonly peer: PeerInfo;
  private methodCache: string | undefined;
  private targetCache: string | undefined;

  constructor(source: HeadSource, recordIndex: number, peer: PeerInfo) {
    this.source = source;
    this.buf = source.input as Latin1Buffer;
    this.meta = source.events;
    this.m = recordIndex;
    this.base = source.events[recordIndex + 2];
    this.batch = source.batch;
    this.requestFlags = source.events[recordIndex + 8];
    this.peer = peer;
    this.methodCache = undefined;
    this.targetCache = undefined;
  }

  private live(): void {
    if (this.source !== null && this.source.batch !== this.batch) {
      throw new Error(
        'TSGI_ERR_HEAD_EXPIRED: a native RequestHead was read after its request callback returned; call detach() first',
      );
    }
  }

  private cut(rel: number, length: number): string {
    const start = this.base + rel;
    return this.buf.latin1Slice(start, start + length);
  }

  get method(): string {
    if (this.methodCache === undefined) {
      this.live();
      this.methodCache = this.cut(this.meta[this.m + 4], this.meta[this.m + 5]);
    }
    return this.methodCache;
  }

  get target(): string {
    if (this.targetCache === undefined) {
      this.live();
      this.targetCache = this.cut(this.meta[this.m + 6], this.meta[this.m + 7]);
    }
    return this.targetCache;
  }

  get versionMinor(): number {
    return this.requestFlags & 0xff;
  }

  get keepAlive(): boolean {
    return (this.requestFlags & REQUEST_FLAG_KEEP_ALIVE) !== 0;
  }

  headerCount(): number {
    this.live();
    return this.meta[this.m + 11];
  }

  headerName(i: number): string {
    this.live();
    const f = this.field(i);
    return this.cut(this.meta[f], this.meta[f + 1]);
  }

  headerValue(i: number): string {
    this.live();
    const f = this.field(i);
    return this.cut(this.meta[f + 2], this.meta[f + 3]);
  }

  header(lowerName: string): string | undefined {
    this.live();
    const meta = this.meta;
    const buf = this.buf;
    const length = lowerName.length;
    const count = meta[this.m + 11];
    let f = this.m + REQUEST_FIXED_INTS;
    let result: string | undefined;
    for (let i = 0; i < count; i++, f += INTS_PER_HEADER) {
      if (meta[f + 1] !== length) continue;
      const at = this.base + meta[f];
      let j = 0;
      for (; j < length; j++) {
        let c = buf[at + j];
        if (c >= 65 && c <= 90) c |= 32;
        if (c !== lowerName.charCodeAt(j)) break;
      }
      if (j !== length) continue;
      const value = this.cut(meta[f + 2], meta[f + 3]);
      result = result === undefined ? value : result + ', ' + value;
    }
    return result;
  }

  get remoteAddress(): string {
    return this.peer.remoteAddress;
  }
  get remotePort(): number {
    return this.peer.remotePort;
  }
  get localPort(): number {
    return this.peer.localPort;
  }

  detach(): void {
    if (this.source === null) return;
    this.live();
    const count = this.meta[this.m + 11];
    const length = this.meta[this.m + 3];
    this.meta = this.meta.slice(this.m, this.m + REQUEST_FIXED_INTS + count * INTS_PER_HEADER);
    this.m = 0;
    this.buf = Buffer.from(this.buf.subarray(this.base, this.base + length)) as Latin1Buffer;
    this.base = 0;
    this.source = null;
  }

  private field(i: number): number {
    if (!(i >= 0 && i < this.meta[this.m + 11])) throw new RangeError(`header index ${i} out of range`);
    return this.m + REQUEST_FIXED_INTS + i * INTS_PER_HEADER;
  }
}
