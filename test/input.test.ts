// wsgi.input (PEP 3333 "Input and Error Streams"): body received in full, de-chunked,
// spooled when large, limited by maxBodySize, Expect: 100-continue answered.
import { describe, expect, it } from 'vitest';
import { BodyInput } from '../src/input.js';
import type { App } from '../src/types.js';
import { exchangeRaw, RawConnection } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const enc = (s: string) => Buffer.from(s);
const dec = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** Reports how the body looked through each wsgi.input method. */
const inspect: App = (environ, startResponse) => {
  const input = environ['wsgi.input'];
  const first = input.read(3);
  const line = input.readline();
  const rest = input.readlines();
  startResponse('200 OK', [['Content-Type', 'application/json']]);
  return [JSON.stringify({ first: dec(first), line: dec(line), rest: rest.map(dec), eof: input.read().length, cl: environ.CONTENT_LENGTH ?? null })];
};

/** Answers with the sha of the body and its size, read in odd-sized pieces. */
const digest: App = async (environ, startResponse) => {
  const { createHash } = await import('node:crypto');
  const h = createHash('sha256');
  const input = environ['wsgi.input'];
  let n = 0;
  for (let piece = input.read(9999); piece.length > 0; piece = input.read(9999)) { h.update(piece); n += piece.length; }
  startResponse('200 OK', TEXT);
  return [`${n} ${h.digest('hex')}`];
};

describe.each(engines)('wsgi.input on %s', (engine) => {
  it('read, readline, readlines on a Content-Length body', async () => {
    const s = await start(inspect, engine);
    const { responses } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\nabcdef\nline2\nend');
    expect(JSON.parse(responses[0]!.body.toString())).toEqual({ first: 'abc', line: 'def\n', rest: ['line2\n', 'end'], eof: 0, cl: '16' });
  });

  it('de-chunks a chunked body', async () => {
    const s = await start(inspect, engine);
    const { responses } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n5\r\nef\nxy\r\n0\r\n\r\n');
    expect(JSON.parse(responses[0]!.body.toString())).toEqual({ first: 'abc', line: 'def\n', rest: ['xy'], eof: 0, cl: null });
  });

  it('de-chunks a chunked body with extensions and trailers (RFC 9112 §7.1.1, §7.1.2)', async ({ skip }) => {
    if (engine === 'uws') skip('uWS v20.30 drops chunk extensions without an answer');
    const s = await start(inspect, engine);
    const { responses } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n5\r\nef\nxy\r\n0\r\nX-Trailer: 1\r\n\r\n');
    expect(JSON.parse(responses[0]!.body.toString())).toEqual({ first: 'abc', line: 'def\n', rest: ['xy'], eof: 0, cl: null });
  });

  it('spools a body above bodyMemoryLimit to a file and reads it back exactly', async () => {
    const s = await start(digest, engine, { bodyMemoryLimit: 1000 });
    const body = Buffer.alloc(3_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 9)) & 0xff;
    const { createHash } = await import('node:crypto');
    const res = await fetch(`http://127.0.0.1:${s.port}/`, { method: 'POST', body });
    expect(await res.text()).toBe(`${body.length} ${createHash('sha256').update(body).digest('hex')}`);
  });

  it('answers 413 without calling the app when Content-Length is over maxBodySize', async () => {
    let called = false;
    const s = await start(() => { called = true; return []; }, engine, { maxBodySize: 10 });
    const { responses, closed } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n01234567890');
    expect(responses[0]!.status).toBe(413);
    expect(closed).toBe(true);
    expect(called).toBe(false);
  });

  it('answers 413 when a chunked body grows over maxBodySize', async () => {
    let called = false;
    const s = await start(() => { called = true; return []; }, engine, { maxBodySize: 10 });
    const { responses } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n');
    expect(responses[0]!.status).toBe(413);
    expect(called).toBe(false);
  });

  it('answers Expect: 100-continue once, then the final response', async () => {
    const s = await start(inspect, engine);
    const c = new RawConnection(s.port);
    await c.write('POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
    await c.until((x) => x.data.includes('100 Continue'));
    expect(c.data.toString()).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    await c.write('ab\nc');
    const [r] = await c.responses(1);
    expect(r!.status).toBe(200);
    expect(c.data.toString().match(/100 Continue/g)).toHaveLength(1);
    c.close();
  });

  it('refuses Expect: 100-continue with 413 when the body is too large', async () => {
    const s = await start(inspect, engine, { maxBodySize: 3 });
    const { responses } = await exchangeRaw(s.port, 'POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n');
    expect(responses[0]!.status).toBe(413);
  });
});

describe('BodyInput', () => {
  const body = enc('first line\nsecond\n\nlast');
  const both = (): BodyInput[] => {
    const fs = require('node:fs') as typeof import('node:fs');
    const os = require('node:os') as typeof import('node:os');
    const path = `${os.tmpdir()}/tsgi-input-test-${process.pid}-${Math.random()}`;
    fs.writeFileSync(path, body);
    const fd = fs.openSync(path, 'r');
    fs.unlinkSync(path);
    return [new BodyInput(body), new BodyInput(new Uint8Array(0), fd, body.length)];
  };

  it('gives the same answers from memory and from a spool file', () => {
    for (const input of both()) {
      expect(dec(input.readline(5))).toBe('first');
      expect(dec(input.readline())).toBe(' line\n');
      expect([...input].map(dec)).toEqual(['second\n', '\n', 'last']);
      expect(input.read().length).toBe(0);
      expect(input.readline().length).toBe(0);
      input.close();
    }
  });

  it('readlines(hint) stops once the hint is reached; read(n) never over-reads', () => {
    for (const input of both()) {
      expect(input.readlines(3).map(dec)).toEqual(['first line\n']);
      expect(dec(input.read(2))).toBe('se');
      expect(input.remaining).toBe(body.length - 13);
      expect(dec(input.read(-1))).toBe('cond\n\nlast');
      input.close();
    }
  });

  it('rejects a non-integer size with a TypeError', () => {
    expect(() => new BodyInput(body).read(1.5)).toThrow(TypeError);
  });
});
