// PEP 3333 "Unicode Issues": header names and values are latin-1 strings, one code unit
// per byte. A value such as 'café' (é = U+00E9) must leave every engine as the single
// byte 0xE9, never as UTF-8 (0xC3 0xA9); the body stays UTF-8. Checked on raw bytes, for
// a body sent whole, streamed, empty, and for a latin-1 reason phrase.
import { describe, expect, it } from 'vitest';
import { exchangeRaw } from './helpers/raw-http.js';
import { engines, start } from './helpers/server.js';
import type { App } from '../src/types.js';

const VALUE = 'caf\u00e9 \u00ff';
const LATIN1_BYTES = Buffer.from(`X-Word: ${VALUE}\r\n`, 'latin1');
const UTF8_BYTES = Buffer.from(`X-Word: ${VALUE}\r\n`, 'utf8');

function app(body: 'whole' | 'stream' | 'empty', status = '200 OK'): App {
  return (_environ, startResponse) => {
    startResponse(status, [['Content-Type', 'text/plain; charset=utf-8'], ['X-Word', VALUE]]);
    if (body === 'empty') return [];
    if (body === 'whole') return ['\u00e9t\u00e9'];
    return (function* () { yield '\u00e9'; yield 't\u00e9'; })();
  };
}

describe.each(engines)('latin-1 response header values on engine %s', (engine) => {
  it.each(['whole', 'stream', 'empty'] as const)('body %s: the value goes as one byte per code unit', async (body) => {
    const server = await start(app(body), engine);
    const { raw } = await exchangeRaw(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const head = raw.subarray(0, raw.indexOf('\r\n\r\n') + 4);
    expect(head.includes(LATIN1_BYTES)).toBe(true);
    expect(head.includes(UTF8_BYTES)).toBe(false);
    // The body is still UTF-8 text (PEP 3333: bytes the app chose; tsgi encodes str as UTF-8).
    if (body !== 'empty') expect(raw.subarray(head.length).includes(Buffer.from('t\u00e9', 'utf8'))).toBe(true);
  });

  it('a latin-1 reason phrase goes as one byte per code unit', async () => {
    const server = await start(app('whole', '200 D\u00e9j\u00e0 vu'), engine);
    const { raw } = await exchangeRaw(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const line = raw.subarray(0, raw.indexOf('\r\n'));
    expect(line.equals(Buffer.from('HTTP/1.1 200 D\u00e9j\u00e0 vu', 'latin1'))).toBe(true);
  });
});
