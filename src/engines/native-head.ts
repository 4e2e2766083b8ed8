// Reading a request head that the C++ engine left in shared memory: a record of offsets
// in `meta` (the event ints) into `buf` (the input bytes). A string is cut only when the
// gateway asks for it. NativeExchange holds the record and calls these functions; they
// live here so that the exchange stays one flat object (one allocation per request).
import { INTS_PER_HEADER, REQUEST_FIXED_INTS } from './native-protocol.js';

export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** What a head needs from its server: the shared buffers and the batch counter. */
export interface HeadSource {
  readonly input: Buffer;
  readonly events: Int32Array;
  batch: number;
}

/** Index in meta of header field i of the record at m. */
export function fieldIndex(meta: Int32Array, m: number, i: number): number {
  if (!(i >= 0 && i < meta[m + 11])) throw new RangeError(`header index ${i} out of range`);
  return m + REQUEST_FIXED_INTS + i * INTS_PER_HEADER;
}

/** RequestHead.header(): every field whose name matches `lowerName` (compared byte by
 * byte, ASCII case-insensitively, so other names are never cut), joined with ", "
 * (RFC 9110 §5.3). */
export function findHeader(buf: Latin1Buffer, meta: Int32Array, m: number, base: number, lowerName: string): string | undefined {
  const length = lowerName.length;
  const count = meta[m + 11];
  let f = m + REQUEST_FIXED_INTS;
  let result: string | undefined;
  for (let i = 0; i < count; i++, f += INTS_PER_HEADER) {
    if (meta[f + 1] !== length) continue;
    const at = base + meta[f];
    let j = 0;
    for (; j < length; j++) {
      let c = buf[at + j];
      if (c >= 65 && c <= 90) c |= 32;
      if (c !== lowerName.charCodeAt(j)) break;
    }
    if (j !== length) continue;
    const start = base + meta[f + 2];
    const value = buf.latin1Slice(start, start + meta[f + 3]);
    result = result === undefined ? value : result + ', ' + value;
  }
  return result;
}

/** Copies of the record and of the head bytes, owned by one exchange (detach()). */
export function copyRecord(meta: Int32Array, m: number): Int32Array {
  return meta.slice(m, m + REQUEST_FIXED_INTS + meta[m + 11] * INTS_PER_HEADER);
}
export function copyHead(buf: Latin1Buffer, base: number, length: number): Latin1Buffer {
  return Buffer.from(buf.subarray(base, base + length)) as Latin1Buffer;
}

export const EXPIRED_MESSAGE =
  'TSGI_ERR_HEAD_EXPIRED: a native RequestHead was read after its request callback returned; call detach() first';
