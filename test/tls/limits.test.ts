// Parser limits and timeouts over TLS answer exactly as on plain connections: the same
// bytes sent to a plain and a TLS server of the same engine get the same status line.

import { describe, expect, it } from 'vitest';
import type { App, EngineName, ServeOptions } from '../../src/types.js';
import { start, UWS_LIMITS } from '../helpers/server.js';
import { startTls, tcp, TEXT, tls, tlsEngines, why, type Conn } from './lab.js';

const echoBody: App = (e, sr) => { const b = e['wsgi.input'].read(); sr('200 OK', TEXT); return [`got ${b.length}`]; };
const OPTIONS: ServeOptions = { maxBodySize: 1000, maxHeaderCount: 20, headersTimeout: 1 };

/** `uws`: why its plain server does not give `status` (docs/engines.md); over TLS it must
 * then still answer exactly as on plain. */
const CASES: { name: string; bytes: string; status: number; uws?: string }[] = [
  { name: 'too many header fields → 431', status: 431, uws: 'uWS v20.30 has no header count limit below its compiled-in 49 (200 on plain too)',
    bytes: `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('')}\r\n` },
  { name: 'a body over maxBodySize → 413', status: 413, bytes: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n' },
  { name: 'Transfer-Encoding and Content-Length together (smuggling-shaped) → 400', status: 400, uws: 'uWS v20.30 closes this one without an answer (on plain too)',
    bytes: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n' },
  { name: 'two Content-Length values → 400', status: 400, bytes: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc' },
  { name: 'a valid POST → 200', status: 200, bytes: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc' },
];

async function statusLine(conn: Conn, bytes: string): Promise<string> {
  conn.socket.write(bytes);
  const text = await conn.until((t) => t.includes('\r\n'));
  conn.socket.destroy();
  return text.slice(0, text.indexOf('\r\n'));
}

async function both(engine: EngineName, bytes: string): Promise<[string, string]> {
  const plain = await start(echoBody, engine, OPTIONS);
  const secure = await startTls(engine, echoBody, {}, OPTIONS);
  return [await statusLine(await tcp(plain.port), bytes), await statusLine(await tls(secure.port), bytes)];
}

describe.each(tlsEngines)('limits over TLS on $engine', ({ engine, skip }) => {
  for (const c of CASES) {
    const differs = engine === 'uws' ? c.uws : undefined;
    it.skipIf(skip)(`${c.name}, as on plain${differs ? ` (uws: the same as on plain: ${differs})` : ''}${why(skip)}`, async () => {
      const [plain, secure] = await both(engine, c.bytes);
      if (!differs) expect(secure).toMatch(new RegExp(`^HTTP/1\\.1 ${c.status} `));
      expect(secure).toBe(plain);
    });
  }

  const noTimeout = skip || (engine === 'uws' ? UWS_LIMITS.headerTimeout : '');
  it.skipIf(noTimeout)(`headersTimeout over TLS: a head that stops half way gets 408 and a close within ~1 s${why(noTimeout)}`, async () => {
    const server = await startTls(engine, echoBody, {}, OPTIONS);
    const conn = await tls(server.port);
    const sent = performance.now();
    conn.socket.write('GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ');
    const ms = (await conn.closed(4000)) - (sent - conn.openedAt);
    expect(conn.text).toMatch(/^HTTP\/1\.1 408 /); // RFC 9110 §15.5.9
    expect(ms).toBeLessThan(2500);
  });
});
