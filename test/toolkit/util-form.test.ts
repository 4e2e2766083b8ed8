import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BodyInput } from '../../src/input.js';
import type { InputStream } from '../../src/types.js';
import {
  encodeQuery, FormError, parseContentType, parseForm, parseMultipart, parseQueryString, queryParams, setupTestingDefaults, utf8ToLatin1,
} from '../../src/util/index.js';
import { testClient } from '../../src/testing/index.js';
import { engines, rawRequest, serve } from './helpers.js';

const B = 'XyZ123boundary';
function multipartBody(parts: { name: string; filename?: string; type?: string; data: string | Buffer }[], boundary = B): Buffer {
  const out: Buffer[] = [Buffer.from('preamble ignored\r\n')];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    out.push(Buffer.from(head + '\r\n'), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${boundary}--\r\nepilogue`));
  return Buffer.concat(out);
}

/** wsgi.input that records how much each read() asked for and returned. */
function meteredInput(body: Buffer): InputStream & { largestRead: number; reads: number } {
  const inner = new BodyInput(body);
  const metered = Object.assign(Object.create(inner) as InputStream, { largestRead: 0, reads: 0 });
  metered.read = (size?: number | null) => {
    const out = inner.read(size);
    metered.reads++;
    metered.largestRead = Math.max(metered.largestRead, out.length);
    return out;
  };
  return metered as InputStream & { largestRead: number; reads: number };
}

describe('query strings', () => {
  it('decodes UTF-8 percent escapes and + from a latin-1 QUERY_STRING', () => {
    const q = parseQueryString('a=1&b=caf%C3%A9+au+lait&a=2&empty=&flag&&x=%zz');
    expect(q.getAll('a')).toEqual(['1', '2']);
    expect(q.get('b')).toBe('café au lait');
    expect(q.get('empty')).toBe('');
    expect(q.get('flag')).toBe('');
    expect(q.get('x')).toBe('%zz');
  });

  it('reads raw non-ASCII bytes in QUERY_STRING as UTF-8', () => {
    const e = setupTestingDefaults({ QUERY_STRING: utf8ToLatin1('name=José') });
    expect(queryParams(e).get('name')).toBe('José');
  });

  it('encodeQuery round-trips through parseQueryString', () => {
    const text = encodeQuery({ q: 'a b&c', n: 3, list: ['x', 'é'], skip: undefined });
    expect(text).toBe('q=a%20b%26c&n=3&list=x&list=%C3%A9');
    const back = parseQueryString(text);
    expect([...back]).toEqual([['q', 'a b&c'], ['n', '3'], ['list', 'x'], ['list', 'é']]);
  });

  it('limits the number of fields', () => {
    expect(() => parseQueryString('a&b&c', { maxFields: 2 })).toThrow(RangeError);
  });

  it('parses Content-Type parameters, quoted or not', () => {
    expect(parseContentType('Multipart/Form-Data; boundary="a;b"; charset=utf-8')).toEqual({
      type: 'multipart/form-data', params: { boundary: 'a;b', charset: 'utf-8' },
    });
  });
});

describe('parseForm', () => {
  it('urlencoded bodies', async () => {
    const res = await testClient((env, sr) => {
      const form = parseForm(env);
      sr('200 OK', [['Content-Type', 'application/json']]);
      return [JSON.stringify([...form.fields])];
    }).post('/', { form: { name: 'Zoë', tags: 'a+b' } });
    expect(res.json()).toEqual([['name', 'Zoë'], ['tags', 'a+b']]);
  });

  it('urlencoded over the limit is a 413 FormError', () => {
    const e = setupTestingDefaults({ CONTENT_TYPE: 'application/x-www-form-urlencoded', 'wsgi.input': new BodyInput(Buffer.from('a='.padEnd(100, 'x'))) });
    expect(() => parseForm(e, { maxUrlencodedSize: 50 })).toThrow(expect.objectContaining({ status: 413 }));
  });

  it('other content types give an empty form and leave wsgi.input unread', () => {
    const input = new BodyInput(Buffer.from('{"a":1}'));
    const form = parseForm(setupTestingDefaults({ CONTENT_TYPE: 'application/json', 'wsgi.input': input }));
    expect([...form.fields]).toEqual([]);
    expect(input.remaining).toBe(7);
  });
});

describe('multipart/form-data, streamed with read(size)', () => {
  const big = Buffer.alloc(300_000, 0);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 8)) & 0xff;
  // Runs that look like the start of a delimiter must not end the part (a real
  // delimiter cannot occur in the data: RFC 2046 §5.1.1).
  big.write(`\r\n--${B.slice(0, -1)}`, 1000, 'latin1');
  big.write('\r\n--', 299_990, 'latin1');

  it('parses fields and writes files to temporary files, reading in small windows', () => {
    const body = multipartBody([
      { name: 'title', data: 'Grüße' },
      { name: 'upload', filename: 'blob.bin', type: 'application/octet-stream', data: big },
      { name: 'empty', filename: '', data: '' },
    ]);
    const input = meteredInput(body);
    const form = parseMultipart(input, B, { readSize: 4096 });
    try {
      expect(form.fields.get('title')).toBe('Grüße');
      expect(form.files.map((f) => [f.field, f.filename, f.size])).toEqual([['upload', 'blob.bin', big.length], ['empty', '', 0]]);
      expect(readFileSync(form.files[0]!.path!).equals(big)).toBe(true);
      expect(form.files[0]!.contentType).toBe('application/octet-stream');
      expect(input.largestRead).toBeLessThanOrEqual(4096);
      expect(input.reads).toBeGreaterThan(body.length / 4096);
    } finally {
      form.cleanup();
    }
    expect(existsSync(form.files[0]!.path!)).toBe(false);
  });

  it('gives the same result at every read size (delimiters split across reads)', () => {
    const body = multipartBody([{ name: 'a', data: 'first\r\n--almost' }, { name: 'f', filename: 'x.txt', data: 'line1\r\nline2' }]);
    for (let size = 1; size <= 64; size++) {
      const chunks: Buffer[] = [];
      const form = parseMultipart(new BodyInput(body), B, {
        readSize: size,
        onFile: () => ({ write: (c) => { chunks.push(Buffer.from(c)); }, end: () => {} }),
      });
      expect(form.fields.get('a'), `readSize ${size}`).toBe('first\r\n--almost');
      expect(Buffer.concat(chunks).toString(), `readSize ${size}`).toBe('line1\r\nline2');
      expect(form.files[0]!.path).toBeUndefined();
    }
  });

  it('refuses a field over maxFieldSize and a file over maxFileSize (413), removing temp files', () => {
    const body = multipartBody([{ name: 'f', filename: 'a', data: big }, { name: 'big', data: 'x'.repeat(100) }]);
    let caught: unknown;
    try { parseMultipart(new BodyInput(body), B, { maxFieldSize: 10 }); } catch (error) { caught = error; }
    expect(caught).toBeInstanceOf(FormError);
    expect((caught as FormError).status).toBe(413);
    expect(() => parseMultipart(new BodyInput(body), B, { maxFileSize: 1000 })).toThrow(/larger than 1000/);
  });

  it('rejects malformed bodies with 400', () => {
    const truncated = multipartBody([{ name: 'a', data: 'x' }]).subarray(0, 60);
    expect(() => parseMultipart(new BodyInput(truncated), B)).toThrow(FormError);
    expect(() => parseMultipart(new BodyInput(Buffer.from('no boundary here')), B)).toThrow(/no boundary/);
    const noName = Buffer.from(`--${B}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${B}--`);
    expect(() => parseMultipart(new BodyInput(noName), B)).toThrow(/RFC 7578/);
    expect(() => parseMultipart(new BodyInput(noName), 'bad\nboundary')).toThrow(/invalid boundary/);
  });

  it.each(engines)('parses an upload spooled to disk by the server (%s)', async (engine) => {
    const body = multipartBody([{ name: 'note', data: 'hi' }, { name: 'file', filename: 'big.bin', data: big }]);
    const server = await serve((env, sr) => {
      const form = parseForm(env, { readSize: 8192 });
      const file = form.files[0]!;
      const same = readFileSync(file.path!).equals(big);
      form.cleanup();
      sr('200 OK', [['Content-Type', 'application/json']]);
      return [JSON.stringify({ note: form.fields.get('note'), size: file.size, same })];
    }, engine, { bodyMemoryLimit: 16 * 1024 });
    const res = await rawRequest(server.port, 'POST', '/', { 'Content-Type': `multipart/form-data; boundary=${B}` }, body);
    expect(JSON.parse(res.body.toString())).toEqual({ note: 'hi', size: big.length, same: true });
  });
});
