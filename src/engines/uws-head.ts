// The request head of engine `uws` (uWS's HttpRequest, copied out on detach()) and the
// header text helpers of its responses.

import { joinHeader, type RequestHead, type TlsFacts } from '../contract.js';
import { requestKeepAlive } from '../keep-alive.js';
import { factsOf, requestBodyLength, requestStatus, type RequestFacts } from './http-rules.js';
import type { UwsHttpRequest, UwsHttpResponse } from './uws-loader.js';

const NON_ASCII = /[^\x00-\x7f]/;

/** uWS encodes JS strings as UTF-8; header text is latin-1 (PEP 3333), so any text
 * with bytes above 0x7f goes as a Buffer of those bytes. */
export function latin1(text: string): string | Buffer {
  return NON_ASCII.test(text) ? Buffer.from(text, 'latin1') : text;
}

/** The value that carries every header after the first in one writeHeader call; the
 * last one is kept, since the gateway hands the same array for a repeated header list. */
let blockFor: string[] | null = null;
let blockAscii = true;
let blockValue: string | Buffer = '';
export function headerBlock(flat: string[], ascii: boolean): string | Buffer {
  if (flat !== blockFor || ascii !== blockAscii) {
    let block = flat[1]!;
    for (let i = 2; i < flat.length; i += 2) block += '\r\n' + flat[i]! + ': ' + flat[i + 1]!;
    blockValue = ascii ? block : latin1(block);
    blockFor = flat;
    blockAscii = ascii;
  }
  return blockValue;
}

export class UwsHead implements RequestHead {
  private req: UwsHttpRequest | undefined;
  private _method: string | undefined;
  private _target: string | undefined;
  private _remote: string | undefined;
  private names: string[] | undefined;
  private values: string[] | undefined;
  readonly versionMinor = 1;
  readonly remotePort = 0;

  /** `method` is known when uWS routed by it (GET, HEAD): one N-API call saved. `tls`:
   * the same facts for every request of a TLS listener (uws-tls.ts: uWS shows no more). */
  constructor(req: UwsHttpRequest, private readonly res: UwsHttpResponse, readonly localPort: number, method: string | undefined,
    readonly tls: TlsFacts | undefined) {
    this.req = req;
    this._method = method;
  }

  get method(): string {
    return (this._method ??= this.req!.getCaseSensitiveMethod());
  }
  get isHead(): boolean {
    return this.method === 'HEAD';
  }
  get target(): string {
    if (this._target === undefined) {
      const query = this.req!.getQuery();
      const target = query ? this.req!.getUrl() + '?' + query : this.req!.getUrl();
      // uWS decodes the target's bytes as UTF-8; PEP 3333 wants one code unit per byte,
      // so non-ASCII text goes back to its bytes. Bytes that were not UTF-8 came through
      // as U+FFFD and are lost: targetLost, and checkRequest refuses the request.
      if (NON_ASCII.test(target)) {
        this.targetLost = target.indexOf('\ufffd') !== -1;
        this._target = Buffer.from(target, 'utf8').toString('latin1');
      } else this._target = target;
    }
    return this._target;
  }
  /** The target had bytes that were not UTF-8, which uWS replaced (see target). */
  targetLost = false;
  /** uWS v20.30 does not honour `Connection: close` itself, so it is read here
   * (RFC 9112 §9.6: close after the response; process no further requests). */
  get keepAlive(): boolean {
    if (this._keepAlive === undefined) {
      // getHeader shows the first Connection field only: with one present, every field
      // is read (RFC 9110 §7.6.1: the options of all of them count).
      const first = this.req!.getHeader('connection');
      // uWS v20.30 marks a response "close" itself when the first Connection value is 5
      // bytes long (its test for "close"), and then omits the Connection field from it.
      this.uwsMarkedClose = first.length === 5;
      this._keepAlive = requestKeepAlive(1, first === '' ? undefined : this.header('connection'));
    }
    return this._keepAlive;
  }
  private _keepAlive: boolean | undefined;
  /** See keepAlive: uWS will not write `Connection: close` for this request's response. */
  uwsMarkedClose = false;
  get remoteAddress(): string {
    if (this._remote === undefined) {
      // The HttpResponse dies with the response, and reading the address costs uWS a
      // getpeername(2) call, too much to pay on every request just in case: read after
      // the response ended (and never before), REMOTE_ADDR is '' on uws (docs/engines.md).
      if (this.resDone) return '';
      // An address is at most 45 ASCII bytes: fromCharCode beats a TextDecoder here.
      this._remote = String.fromCharCode.apply(null, new Uint8Array(this.res.getRemoteAddressAsText()) as unknown as number[]);
    }
    return this._remote;
  }
  /** Set by the exchange once uWS's HttpResponse may no longer be touched. */
  resDone = false;

  /** uWS exposes headers only as strings: the first header read collects them all
   * (one forEach), so that repeated fields can be joined. */
  private collect(): void {
    const names: string[] = [];
    const values: string[] = [];
    this.req!.forEach((k, v) => { names.push(k); values.push(v); });
    this.names = names;
    this.values = values;
  }
  headerCount(): number {
    if (!this.names) this.collect();
    return this.names!.length;
  }
  headerName(i: number): string {
    if (!this.names) this.collect();
    return this.names![i]!;
  }
  headerValue(i: number): string {
    if (!this.values) this.collect();
    return this.values![i]!;
  }
  /** uWS lowercases field names already. */
  headerNameIs(i: number, lowerName: string): boolean {
    if (!this.names) this.collect();
    return this.names![i] === lowerName;
  }
  header(lowerName: string): string | undefined {
    return joinHeader(this, lowerName);
  }
  /** Every field as flat [name, value, …] (names lowercase, as uWS gives them). */
  fieldList(): string[] {
    if (!this.names) this.collect();
    const flat: string[] = [];
    for (let i = 0; i < this.names!.length; i++) flat.push(this.names![i]!, this.values![i]!);
    return flat;
  }
  detach(): void {
    if (!this.req) return;
    void this.method;
    void this.target;
    // REMOTE_ADDR stays lazy: the HttpResponse lives on until the response ends.
    void this.keepAlive;
    if (!this.names) this.collect();
    this.req = undefined;
  }
}

/** Reused for the common request (a Host field, no body framing fields): the rules below
 * then allocate nothing. */
const common: RequestFacts = {
  method: '', target: '', versionMajor: 1, versionMinor: 1, hostCount: 1, host: '', transferEncoding: undefined, contentLengthCount: 0, contentLength: undefined,
};

/** The request rules (http-rules.ts) on what uWS v20.30 lets through: it accepts any
 * Host, Transfer-Encoding values other than a final "chunked" and duplicate
 * Content-Length fields. uWS routes HTTP/1.1 only, and shows only the first of several
 * Host fields (docs/engines.md). Returns the body length (-1 for chunked), or minus the
 * status (400, 501) that refuses the request and closes the connection. */
export function checkRequest(head: UwsHead, req: UwsHttpRequest): number {
  const host = req.getHeader('host');
  let facts: RequestFacts;
  if (host !== '' && req.getHeader('transfer-encoding') === '' && req.getHeader('content-length') === '') {
    facts = common;
    facts.method = head.method;
    facts.target = head.target;
    facts.host = host;
  } else {
    // An empty or missing Host, or a body: every field counts (repeats, lists).
    facts = factsOf(head.method, head.target, 1, 1, head.fieldList());
  }
  // Bytes of the target that uWS could not decode are lost: refused rather than served
  // with another path (RFC 9112 §3.2: a request-target is ASCII; a server may answer 400).
  const status = head.targetLost ? 400 : requestStatus(facts);
  return status !== 0 ? -status : requestBodyLength(facts);
}
