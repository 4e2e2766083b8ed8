// Response heads as wire bytes. Hello-world style traffic repeats the same status and
// headers, so the bytes up to the Content-Length digits are cached (one entry, checked
// field by field, refreshed when the Date second changes): a cache hit is one memcpy and
// a few digit stores instead of string concatenation, flattening and encoding.
import { ConnectionToken, Framing, type ResponseHead } from '../contract.js';

/** The Connection line of each ConnectionToken (decided by the gateway, keep-alive.ts). */
const CONNECTION_LINES: readonly string[] = ['', 'Connection: keep-alive\r\n', 'Connection: close\r\n'];

/** Everything before the Content-Length digits (or before the final CRLF). */
export function headPrefix(r: ResponseHead, dateLine: string): string {
  let s = 'HTTP/1.1 ' + r.status + '\r\n';
  const h = r.headers;
  for (let i = 0; i + 1 < h.length; i += 2) s += h[i] + ': ' + h[i + 1] + '\r\n';
  s += dateLine + CONNECTION_LINES[r.connection];
  // Transfer-Encoding is named even for HEAD (noBody): it says how a GET would be framed.
  if (r.framing === Framing.Chunked) s += 'Transfer-Encoding: chunked\r\n';
  else if (r.framing === Framing.Length) s += 'Content-Length: ';
  return s;
}

/** The whole head as latin-1 text (for exchanges that hold their output). */
export function headText(r: ResponseHead, dateLine: string): string {
  const prefix = headPrefix(r, dateLine);
  return r.framing === Framing.Length ? prefix + r.contentLength + '\r\n\r\n' : prefix + '\r\n';
}

export class HeadCache {
  private status = '';
  private headers: string[] = [];
  private framing = -1;
  private connection: ConnectionToken | -1 = -1;
  private hasDate = false;
  private dateGeneration = -1;
  private bytes: Uint8Array = new Uint8Array(0);
  private withLength = false;

  /** The head's bytes up to the Content-Length digits (or the final CRLF), from the
   * cache when status, headers, framing, Connection and Date second are unchanged. */
  prefix(r: ResponseHead, dateGeneration: number, dateLine: () => string): Uint8Array {
    if (!this.matches(r, dateGeneration)) {
      this.status = r.status;
      this.headers = r.headers; // read-only (ResponseHead.headers)
      this.framing = r.framing;
      this.connection = r.connection;
      this.hasDate = r.hasDate;
      this.dateGeneration = dateGeneration;
      this.bytes = Buffer.from(headPrefix(r, r.hasDate ? '' : dateLine()), 'latin1');
      this.withLength = r.framing === Framing.Length;
    }
    return this.bytes;
  }

  /** Bytes finish() adds after the prefix, at most. */
  static readonly TAIL_ROOM = 24;

  /** Writes the rest of the head after the prefix at out[p...]; returns the end offset. */
  finish(out: Uint8Array, p: number, contentLength: number): number {
    if (this.withLength) {
      p = writeDecimal(out, p, contentLength);
      out[p++] = 13;
      out[p++] = 10;
    }
    out[p++] = 13;
    out[p++] = 10;
    return p;
  }

  private matches(r: ResponseHead, dateGeneration: number): boolean {
    if (r.status !== this.status || r.framing !== this.framing || r.connection !== this.connection ||
      r.hasDate !== this.hasDate || (!r.hasDate && dateGeneration !== this.dateGeneration)) return false;
    const a = r.headers;
    const b = this.headers;
    if (a === b) return true;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/** Writes a non-negative integer in decimal; returns the end offset. */
function writeDecimal(out: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    out[at] = 48 + n;
    return at + 1;
  }
  if (n > 0x7fffffff) {
    const s = String(n);
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
    return at + s.length;
  }
  let digits = 1;
  for (let v = n; v >= 10; v = (v / 10) | 0) digits++;
  let p = at + digits;
  for (let v = n; p > at; v = (v / 10) | 0) out[--p] = 48 + (v % 10);
  return at + digits;
}
