// Framing refusals an attacker drives (issue 13): an upload over maxBodySize gets a 413
// the client can actually read (10 of 10 tries, not a reset that discards it); HTTP/1.0
// with Transfer-Encoding gets 400 (RFC 9112 §6.1: chunked is not defined for 1.0, and a
// 1.0 intermediary would frame it differently: a smuggling shape); an absolute-form
// authority that is not a valid host gets 400 like a bad Host header, and is never
// reflected.
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { parseResponses, type RawResponse } from '../helpers/raw-http.js';
import { engines, TEXT, UWS_LIMITS, withServer, type Lab } from './common.js';

const LIMIT = 64 * 1024;

const echo: App = (environ, startResponse) => {
  const body = environ['wsgi.input'].read();
  startResponse('200 OK', TEXT);
  return [`${environ.SERVER_NAME} ${body.length}`];
};

/** Send `head` then `total` bytes of body as fast as the socket takes them, reading all
 * along; resolve with every response once the server has closed (or 8 s passed). */
async function oversized(lab: Lab, head: string, body: Buffer): Promise<{ responses: RawResponse[]; error: string | undefined; got: number }> {
  const s = await lab.socket();
  let data = Buffer.alloc(0);
  let error: string | undefined;
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 8000);
    s.on('data', (d: Buffer) => { data = Buffer.concat([data, d]); });
    s.on('error', (e) => { error = (e as NodeJS.ErrnoException).code ?? e.message; });
    s.once('close', () => { clearTimeout(t); resolve(); });
    s.write(head);
    s.write(body);
  });
  s.destroy();
  return { responses: parseResponses(data, [], true).responses, error, got: data.length };
}

function chunkedBody(total: number): Buffer {
  const parts: Buffer[] = [];
  const piece = Buffer.alloc(8192, 0x78);
  for (let sent = 0; sent < total; sent += piece.length) parts.push(Buffer.from('2000\r\n'), piece, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

describe.each(engines)('framing on %s', (engine) => {
  const uws = engine === 'uws';

  it.concurrent.each([
    ['chunked', 'Transfer-Encoding: chunked', chunkedBody(4 * 1024 * 1024)],
    ['Content-Length', `Content-Length: ${4 * 1024 * 1024}`, Buffer.alloc(4 * 1024 * 1024, 0x79)],
  ] as const)('a %s upload over maxBodySize gets a 413 the client reads, 10 of 10', async (_kind, framing, body) => {
    await withServer(engine, echo, { maxBodySize: LIMIT }, async (lab) => {
      const outcomes: string[] = [];
      for (let i = 0; i < 10; i++) {
        const r = await oversized(lab, `POST /upload HTTP/1.1\r\nHost: h\r\n${framing}\r\n\r\n`, body);
        outcomes.push(r.responses[0] ? String(r.responses[0].status) : `nothing readable (${r.got} bytes, ${r.error ?? 'no error'})`);
      }
      expect(outcomes.filter((o) => o === '413').length, `outcomes: ${outcomes.join(', ')}`).toBe(10);
    });
  });

  (uws ? it.skip : it.concurrent).each([
    ['Transfer-Encoding: chunked', 'Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding: chunked and Content-Length', 'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ])(`HTTP/1.0 with %s gets 400${uws ? ` (skipped: ${UWS_LIMITS.http10})` : ''}`, async (_what, rest) => {
    await withServer(engine, echo, {}, async (lab) => {
      const c = lab.raw();
      await c.write(`POST /te HTTP/1.0\r\nHost: h\r\n${rest}GET /after HTTP/1.0\r\nHost: h\r\n\r\n`);
      await c.waitClosed(5000).catch(() => undefined);
      const { responses } = parseResponses(c.data, [], true);
      expect(responses[0]?.status, JSON.stringify(c.data.toString('latin1').slice(0, 200))).toBe(400);
      expect(responses.length, 'nothing after the 400 is answered').toBe(1);
      expect(c.closed).toBe(true);
    });
  });

  // Not valid uri-host [ ":" port ] (RFC 9110 §4.2.1, RFC 3986 §3.2.2); userinfo is
  // forbidden in http URIs (RFC 9110 §4.2.4). ('h:99999' and '%00' match the grammar.)
  const badAuthorities = ['"><script>', '"><script>alert(1)</script>', 'h<x>', 'a b', 'user@h', 'h:port', '[::1'];
  (uws ? it.skip : it.concurrent).each(badAuthorities)(`absolute-form authority %s gets 400, never reflected${uws ? ` (skipped: ${UWS_LIMITS.absoluteForm})` : ''}`, async (authority) => {
    await withServer(engine, echo, {}, async (lab) => {
      const c = lab.raw();
      await c.write(`GET http://${authority}/ HTTP/1.1\r\nHost: h\r\n\r\n`);
      await c.responses(1).catch(() => []);
      const text = c.data.toString('latin1');
      const [r] = parseResponses(c.data, [], c.closed).responses;
      expect(r?.status, JSON.stringify(text.slice(0, 200))).toBe(400);
      expect(text).not.toContain('<script>');
    });
  });

  it.concurrent.each(['"><script>', 'h<x>', 'user@h', 'h:port'])('a Host header %s gets 400, never reflected', async (host) => {
    await withServer(engine, echo, {}, async (lab) => {
      const c = lab.raw();
      await c.write(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      await c.responses(1).catch(() => []);
      const text = c.data.toString('latin1');
      const [r] = parseResponses(c.data, [], c.closed).responses;
      expect(r?.status, JSON.stringify(text.slice(0, 200))).toBe(400);
      expect(text).not.toContain('<script>');
    });
  });

  (uws ? it.skip : it.concurrent)(`a request of 100 header fields (maxHeaderCount) is answered, 101 gets 431${uws ? ' (skipped: uWS v20.30 drops any request of 49 or more header fields without an answer, its compiled-in MAX_HEADERS)' : ''}`, async () => {
    await withServer(engine, echo, {}, async (lab) => {
      for (const [fields, want] of [[100, 200], [101, 431]] as const) {
        const c = lab.raw();
        let h = 'GET / HTTP/1.1\r\nHost: h\r\n';
        for (let i = 1; i < fields; i++) h += `X-F${i}: v\r\n`;
        await c.write(`${h}\r\n`);
        const [r] = await c.responses(1).catch(() => [] as RawResponse[]);
        expect(r?.status, `${fields} fields`).toBe(want);
        c.close();
      }
    });
  });
});
