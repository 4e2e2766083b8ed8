// Access log formats with gunicorn's atoms, compiled once:
//   h remote address   l '-'             u user (Basic auth)  t [date]
//   r request line     m method          U path               q query string
//   H protocol         s status          B bytes              b bytes or '-'
//   f referer          a user agent      T seconds            M milliseconds
//   D microseconds     L decimal seconds p pid
//   {name}i request header  {name}o response header  {NAME}e environment variable
// A compiled format names the environ keys it reads, so the access log copies exactly
// those when the request starts (the request as received) and renders from the copy.
//
// Request text is escaped as nginx does (escape=default): '"', '\' and bytes outside
// printable ASCII become \xHH, so no header can end a quoted field or a line. The path is
// percent-encoded again (RFC 3986 §3.3 pchar), so "%(r)s" is a request line as a client
// could have sent it.

/** What one finished request looks like to the formatter. */
export interface AccessRecord {
  /** The environ keys the format reads, copied when the request started. */
  request: Record<string, unknown>;
  status: string;
  headers: readonly (readonly [string, string])[];
  bytes: number;
  /** Date.now() when the request started. */
  startedAt: number;
  /** Microseconds from the app call to the end of the body. */
  elapsedUs: number;
}

export interface CompiledFormat {
  /** The environ keys to copy at request start. */
  keys: readonly string[];
  /** Whether the format reads the elapsed time (T, M, D, L). */
  timed: boolean;
  render(record: AccessRecord): string;
}

type Atom = (r: AccessRecord) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

let cachedSecond = -1;
let cachedDate = '';

/** Common Log Format date, "[10/Oct/2000:13:55:36 +0000]", in local time; computed once
 * per second. */
export function clfDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedDate;
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  cachedSecond = second;
  return (cachedDate = `[${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}]`);
}

const UNSAFE_TEXT = /["\\\x00-\x1f\x7f-\uffff]/;
const hex = (code: number): string => (code <= 0xff ? `\\x${code.toString(16).toUpperCase().padStart(2, '0')}` : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`);

/** Request text for a log field: '-' when absent, else escaped as nginx does. */
export function logText(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  const text = String(value);
  if (!UNSAFE_TEXT.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    out += UNSAFE_TEXT.test(ch) ? hex(text.charCodeAt(i)) : ch;
  }
  return out;
}

/** RFC 3986 §3.3: pchar and '/' need no escape in a path. */
const PATH_SAFE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;
const PATH_CHAR_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/** A latin-1 PATH_INFO (one code unit per byte) percent-encoded back into a target path. */
export function logPath(path: string): string {
  if (PATH_SAFE.test(path)) return path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    const code = path.charCodeAt(i);
    if (PATH_CHAR_SAFE.test(ch)) out += ch;
    else if (code <= 0xff) out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += encodeURIComponent(ch); // uws decodes paths as UTF-8 (docs/engines.md)
  }
  return out;
}

function basicUser(auth: unknown): string {
  if (typeof auth !== 'string' || !/^basic /i.test(auth)) return '-';
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return logText(colon === -1 ? decoded : decoded.slice(0, colon));
}

const path = (q: Record<string, unknown>): string => logPath(String(q.SCRIPT_NAME ?? '') + String(q.PATH_INFO ?? ''));

/** Each atom with the environ keys it reads. */
const ATOMS: Record<string, { keys: string[]; atom: Atom }> = {
  h: { keys: ['REMOTE_ADDR'], atom: (r) => logText(r.request.REMOTE_ADDR) },
  l: { keys: [], atom: () => '-' },
  u: { keys: ['HTTP_AUTHORIZATION'], atom: (r) => basicUser(r.request.HTTP_AUTHORIZATION) },
  t: { keys: [], atom: (r) => clfDate(r.startedAt) },
  r: {
    keys: ['REQUEST_METHOD', 'SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING', 'SERVER_PROTOCOL'],
    atom: (r) => {
      const q = r.request;
      const query = q.QUERY_STRING ? `?${logText(q.QUERY_STRING)}` : '';
      return `${logText(q.REQUEST_METHOD)} ${path(q)}${query} ${logText(q.SERVER_PROTOCOL)}`;
    },
  },
  m: { keys: ['REQUEST_METHOD'], atom: (r) => logText(r.request.REQUEST_METHOD) },
  U: { keys: ['SCRIPT_NAME', 'PATH_INFO'], atom: (r) => path(r.request) },
  q: { keys: ['QUERY_STRING'], atom: (r) => logText(r.request.QUERY_STRING) },
  H: { keys: ['SERVER_PROTOCOL'], atom: (r) => logText(r.request.SERVER_PROTOCOL) },
  s: { keys: [], atom: (r) => r.status.slice(0, 3) || '-' },
  B: { keys: [], atom: (r) => String(r.bytes) },
  b: { keys: [], atom: (r) => (r.bytes > 0 ? String(r.bytes) : '-') },
  f: { keys: ['HTTP_REFERER'], atom: (r) => logText(r.request.HTTP_REFERER) },
  a: { keys: ['HTTP_USER_AGENT'], atom: (r) => logText(r.request.HTTP_USER_AGENT) },
  T: { keys: [], atom: (r) => String(Math.floor(r.elapsedUs / 1e6)) },
  M: { keys: [], atom: (r) => String(Math.floor(r.elapsedUs / 1e3)) },
  D: { keys: [], atom: (r) => String(Math.floor(r.elapsedUs)) },
  L: { keys: [], atom: (r) => (r.elapsedUs / 1e6).toFixed(6) },
  p: { keys: [], atom: () => `<${process.pid}>` },
};
const TIMED = new Set(['T', 'M', 'D', 'L']);

/** {name}i, {name}o, {NAME}e. */
function dynamicAtom(name: string, kind: string): { keys: string[]; atom: Atom } {
  if (kind === 'i') {
    const lower = name.toLowerCase();
    // CGI (RFC 3875 §4.1.18): Content-Type and Content-Length have keys of their own.
    const key = lower === 'content-type' ? 'CONTENT_TYPE' : lower === 'content-length' ? 'CONTENT_LENGTH' : 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
    return { keys: [key], atom: (r) => logText(r.request[key]) };
  }
  if (kind === 'o') {
    const lower = name.toLowerCase();
    return { keys: [], atom: (r) => logText(r.headers.find(([k]) => k.toLowerCase() === lower)?.[1]) };
  }
  return { keys: [], atom: () => logText(process.env[name]) };
}

/** Compile a format once into pieces; unknown atoms are kept as written. */
export function compileFormat(format: string): CompiledFormat {
  const pieces: (string | Atom)[] = [];
  const keys = new Set<string>();
  let timed = false;
  const re = /%\((?:\{([^}]*)\}([ioe])|(\w))\)s/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) pieces.push(format.slice(last, m.index));
    const found = m[3] !== undefined ? ATOMS[m[3]] : dynamicAtom(m[1]!, m[2]!);
    if (found) {
      for (const key of found.keys) keys.add(key);
      if (m[3] !== undefined && TIMED.has(m[3])) timed = true;
      pieces.push(found.atom);
    } else pieces.push(m[0]);
    last = m.index + m[0].length;
  }
  if (last < format.length) pieces.push(format.slice(last));
  return {
    keys: [...keys],
    timed,
    render(r) {
      let out = '';
      for (const p of pieces) out += typeof p === 'string' ? p : p(r);
      return out;
    },
  };
}
