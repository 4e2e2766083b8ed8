// Headers: a case-insensitive, order-preserving list of [name, value] pairs, in the
// manner of wsgiref.headers.Headers. It is the shape start_response takes (PEP 3333
// "The start_response() Callable": "a list of (header_name, header_value) tuples"), so
// `startResponse(status, headers.toList())` hands it over unchanged.

export type HeaderPair = [string, string];
/** Parameters for addHeader: `true` or null writes the bare key (`; inline`). */
export type HeaderParams = Record<string, string | number | true | null | undefined>;

/** RFC 9110 §5.5: a field value never holds CR, LF or NUL. */
function checkPart(kind: 'name' | 'value', text: unknown): string {
  if (typeof text !== 'string') throw new TypeError(`Headers: header ${kind} must be a string, got ${typeof text}`);
  if (/[\r\n\0]/.test(text)) throw new TypeError(`Headers: header ${kind} must not contain CR, LF or NUL: ${JSON.stringify(text)}`);
  return text;
}

/** RFC 9110 §5.6.6 parameter value: a token, else a quoted-string (\ and " escaped). */
function formatParam(key: string, value: string | number | true | null | undefined): string | undefined {
  if (value === undefined) return undefined;
  const name = key.replace(/_/g, '-');
  if (value === null || value === true) return name;
  const text = String(value);
  if (/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(text)) return `${name}=${text}`;
  return `${name}="${text.replace(/["\\]/g, '\\$&')}"`;
}

export class Headers implements Iterable<HeaderPair> {
  private readonly list: HeaderPair[];

  constructor(init?: Iterable<readonly [string, string]> | Headers) {
    this.list = [];
    if (init) for (const [name, value] of init) this.add(name, value);
  }

  get length(): number {
    return this.list.length;
  }

  /** First value of `name`, or undefined (wsgiref Headers.get). */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [k, v] of this.list) if (k.toLowerCase() === lower) return v;
    return undefined;
  }

  /** Every value of `name`, in order (wsgiref Headers.get_all). */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    return this.list.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replace every `name` with one field at the end (wsgiref __setitem__). */
  set(name: string, value: string): this {
    this.delete(name);
    return this.add(name, value);
  }

  /** Append a field, keeping earlier ones (several Set-Cookie, Vary, …). */
  add(name: string, value: string): this {
    this.list.push([checkPart('name', name), checkPart('value', value)]);
    return this;
  }

  /** Remove every field called `name`; true if one was there. */
  delete(name: string): boolean {
    const lower = name.toLowerCase();
    const before = this.list.length;
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]![0].toLowerCase() === lower) this.list.splice(i, 1);
    return this.list.length !== before;
  }

  /** The existing value, or add `value` and return it (wsgiref Headers.setdefault). */
  setdefault(name: string, value: string): string {
    const existing = this.get(name);
    if (existing !== undefined) return existing;
    this.add(name, value);
    return value;
  }

  /** wsgiref add_header: `addHeader('Content-Disposition', 'attachment', { filename: 'a b.txt' })`
   * appends `attachment; filename="a b.txt"`. Underscores in keys become dashes. */
  addHeader(name: string, value: string | null, params: HeaderParams = {}): this {
    const parts: string[] = value === null ? [] : [value];
    for (const [key, v] of Object.entries(params)) {
      const formatted = formatParam(key, v);
      if (formatted !== undefined) parts.push(formatted);
    }
    return this.add(name, parts.join('; '));
  }

  keys(): string[] {
    return this.list.map(([k]) => k);
  }

  values(): string[] {
    return this.list.map(([, v]) => v);
  }

  entries(): IterableIterator<HeaderPair> {
    return this.toList()[Symbol.iterator]();
  }

  [Symbol.iterator](): IterableIterator<HeaderPair> {
    return this.entries();
  }

  /** A fresh list for start_response. */
  toList(): HeaderPair[] {
    return this.list.map(([k, v]) => [k, v]);
  }

  /** The header block as it appears on the wire (RFC 9112 §5), ending in a blank line. */
  toString(): string {
    return this.list.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
  }
}
