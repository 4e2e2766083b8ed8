// The access log: an app wrapper, applied only when --access-log is given (it costs a
// closure, a timer read and a line per request). The format uses gunicorn's atoms:
//   h remote address   l '-'             u user (Basic auth)  t [date]
//   r request line     m method          U path               q query string
//   H protocol         s status          B bytes              b bytes or '-'
//   f referer          a user agent      T seconds            M milliseconds
//   D microseconds     L decimal seconds p pid
//   {name}i request header  {name}o response header  {NAME}e environment variable

import type { App, Body, Chunk, Environ, StartResponse } from '../types.js';
import { chunkLength, tapBody } from './body-tap.js';

/** What one finished request looks like to the formatter. */
export interface AccessRecord {
  environ: Environ;
  status: string;
  headers: [string, string][];
  bytes: number;
  startedAt: Date;
  /** Nanoseconds from the app call to the end of the body. */
  elapsedNs: bigint;
}

type Piece = string | ((r: AccessRecord) => string);

const dash = (v: unknown): string => (v === undefined || v === null || v === '' ? '-' : String(v));
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

let cachedSecond = -1;
let cachedDate = '';

/** Common Log Format date, "[10/Oct/2000:13:55:36 +0000]", in local time; computed
 * once per second. */
export function clfDate(d: Date): string {
  const second = Math.floor(d.getTime() / 1000);
  if (second === cachedSecond) return cachedDate;
  cachedSecond = second;
  return (cachedDate = formatClfDate(d));
}

function formatClfDate(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `[${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}]`;
}

function basicUser(environ: Environ): string {
  const auth = environ.HTTP_AUTHORIZATION;
  if (typeof auth !== 'string' || !/^basic /i.test(auth)) return '-';
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return dash(colon === -1 ? decoded : decoded.slice(0, colon));
}

function requestLine(e: Environ): string {
  const query = e.QUERY_STRING ? `?${e.QUERY_STRING}` : '';
  return `${e.REQUEST_METHOD} ${e.PATH_INFO}${query} ${e.SERVER_PROTOCOL}`;
}

const ATOMS: Record<string, (r: AccessRecord) => string> = {
  h: (r) => dash(r.environ.REMOTE_ADDR),
  l: () => '-',
  u: (r) => basicUser(r.environ),
  t: (r) => clfDate(r.startedAt),
  r: (r) => requestLine(r.environ),
  m: (r) => r.environ.REQUEST_METHOD,
  U: (r) => r.environ.PATH_INFO,
  q: (r) => r.environ.QUERY_STRING,
  H: (r) => r.environ.SERVER_PROTOCOL,
  s: (r) => r.status.slice(0, 3) || '-',
  B: (r) => String(r.bytes),
  b: (r) => (r.bytes > 0 ? String(r.bytes) : '-'),
  f: (r) => dash(r.environ.HTTP_REFERER),
  a: (r) => dash(r.environ.HTTP_USER_AGENT),
  T: (r) => String(r.elapsedNs / 1_000_000_000n),
  M: (r) => String(r.elapsedNs / 1_000_000n),
  D: (r) => String(r.elapsedNs / 1_000n),
  L: (r) => (Number(r.elapsedNs / 1000n) / 1e6).toFixed(6),
  p: () => `<${process.pid}>`,
};

function dynamicAtom(name: string, kind: string): (r: AccessRecord) => string {
  if (kind === 'i') {
    const key = 'HTTP_' + name.toUpperCase().replace(/-/g, '_');
    const special = name.toLowerCase() === 'content-type' ? 'CONTENT_TYPE' : name.toLowerCase() === 'content-length' ? 'CONTENT_LENGTH' : key;
    return (r) => dash(r.environ[special]);
  }
  if (kind === 'o') {
    const lower = name.toLowerCase();
    return (r) => dash(r.headers.find(([k]) => k.toLowerCase() === lower)?.[1]);
  }
  return () => dash(process.env[name]);
}

/** Compile a format once into pieces; unknown atoms are kept as written. */
export function compileFormat(format: string): (r: AccessRecord) => string {
  const pieces: Piece[] = [];
  const re = /%\((?:\{([^}]*)\}([ioe])|(\w))\)s/g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    if (m.index > last) pieces.push(format.slice(last, m.index));
    const atom = m[3] !== undefined ? ATOMS[m[3]] : dynamicAtom(m[1]!, m[2]!);
    pieces.push(atom ?? m[0]);
    last = m.index + m[0].length;
  }
  if (last < format.length) pieces.push(format.slice(last));
  return (r) => {
    let out = '';
    for (const p of pieces) out += typeof p === 'string' ? p : p(r);
    return out;
  };
}

export function withAccessLog(app: App, format: string, writeLine: (line: string) => void): App {
  const render = compileFormat(format);
  return (environ, startResponse) => {
    const startedAt = new Date();
    const t0 = process.hrtime.bigint();
    // The line is written when the response is over; on uws the peer address can only
    // be read while the response is alive (README), so take it now.
    void environ.REMOTE_ADDR;
    const record: AccessRecord = { environ, status: '', headers: [], bytes: 0, startedAt, elapsedNs: 0n };
    const log = (): void => {
      record.elapsedNs = process.hrtime.bigint() - t0;
      try {
        writeLine(render(record));
      } catch { /* a log line must never fail a request */ }
    };
    const tappedStart: StartResponse = (status, headers, excInfo) => {
      const write = startResponse(status, headers, excInfo);
      record.status = status;
      record.headers = headers;
      return (chunk: Chunk) => {
        record.bytes += chunkLength(chunk);
        write(chunk);
      };
    };
    const tap = {
      onChunk: (chunk: Chunk) => { record.bytes += chunkLength(chunk); },
      onEnd: log,
      onFile: (length: number) => { record.bytes += length; },
    };
    let result: Body | Promise<Body>;
    try {
      result = app(environ, tappedStart);
    } catch (error) {
      record.status = '500';
      log();
      throw error;
    }
    if (result !== null && typeof (result as Promise<Body>).then === 'function') {
      return (result as Promise<Body>).then((body) => tapBody(body, tap), (error: unknown) => {
        record.status = '500';
        log();
        throw error;
      });
    }
    return tapBody(result as Body, tap);
  };
}
