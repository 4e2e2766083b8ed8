// Reading a request head that the C++ engine left in shared memory: a record of offsets
// in `meta` (the event ints) into `buf` (the input bytes). A string is cut only when the
// gateway asks for it. NativeExchange holds the record and calls these functions; they
// live here so that the exchange stays one flat object (one allocation per request).
import {
  HEADER_NAME_LENGTH, HEADER_NAME_OFFSET, INTS_PER_HEADER, REQUEST_FIXED_INTS, REQUEST_HEADER_COUNT,
} from './native-protocol.js';

export type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** What a head needs from its server: the shared buffers and the batch counter. */
export interface HeadSource {
  readonly input: Buffer;
  readonly events: Int32Array;
  batch: number;
}

/** Index in meta of header field i of the record at m. */
export function fieldIndex(meta: Int32Array, m: number, i: number): number {
  if (!(i >= 0 && i < meta[m + REQUEST_HEADER_COUNT])) throw new RangeError(`header index ${i} out of range`);
  return m + REQUEST_FIXED_INTS + i * INTS_PER_HEADER;
}

/** Whether the name of the field at meta[f] equals `lowerName`, compared byte by byte,
 * ASCII case-insensitively, so that RequestHead.header() never cuts other names. */
export function fieldNameIs(buf: Latin1Buffer, meta: Int32Array, base: number, f: number, lowerName: string): boolean {
  const length = lowerName.length;
  if (meta[f + HEADER_NAME_LENGTH] !== length) return false;
  const at = base + meta[f + HEADER_NAME_OFFSET];
  for (let j = 0; j < length; j++) {
    let c = buf[at + j];
    if (c >= 65 && c <= 90) c |= 32;
    if (c !== lowerName.charCodeAt(j)) return false;
  }
  return true;
}

/** Copies of the record and of the head bytes, owned by one exchange (detach()). */
export function copyRecord(meta: Int32Array, m: number): Int32Array {
  return meta.slice(m, m + REQUEST_FIXED_INTS + meta[m + REQUEST_HEADER_COUNT] * INTS_PER_HEADER);
}
export function copyHead(buf: Latin1Buffer, base: number, length: number): Latin1Buffer {
  return Buffer.from(buf.subarray(base, base + length)) as Latin1Buffer;
}

export const EXPIRED_MESSAGE =
  'TSGI_ERR_HEAD_EXPIRED: a native RequestHead was read after its request callback returned; call detach() first';
