// PEP 3333 "Optional Platform-Specific File Handling" and wsgi.errors.
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../src/types.js';
import { exchangeRaw, header, RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const dir = mkdtempSync(join(tmpdir(), 'tsgi-fw-'));
const big = Buffer.alloc(5 * 1024 * 1024 + 7);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 0xff;
const bigPath = join(dir, 'big.bin');
writeFileSync(bigPath, big);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.each(engines)('wsgi.file_wrapper on %s', (engine) => {
  it('sends a whole file with its length, byte for byte, and closes it once', async () => {
    let closes = 0;
    const s = await start((env, sr) => {
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      const fd = openSync(bigPath, 'r');
      return env['wsgi.file_wrapper']({ fd, close: () => { closes++; } });
    }, engine);
    const res = await fetch(`http://127.0.0.1:${s.port}/`);
    expect(res.headers.get('content-length')).toBe(String(big.length));
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(sha(big));
    expect(closes).toBe(1);
  });

  it('honours an app Content-Length and HEAD', async () => {
    const s = await start((env, sr) => {
      sr('200 OK', TEXT);
      return env['wsgi.file_wrapper'](bigPath, 8192);
    }, engine);
    const c = new RawConnection(s.port);
    await c.write('HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n');
    const [head, get] = await c.responses(2, ['HEAD', 'GET']);
    expect(header(head!, 'content-length')).toBe(String(big.length));
    expect(head!.body.length).toBe(0);
    expect(sha(get!.body)).toBe(sha(big));
    c.close();
  });

  it('is a TypeError for something that is not a file', async () => {
    const log = memoryLogger();
    const s = await start((env, sr) => { sr('200 OK', TEXT); return env['wsgi.file_wrapper']({} as never); }, engine, { logger: log });
    expect((await exchangeRaw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n')).responses[0]!.status).toBe(500);
    expect(log.lines.join('\n')).toMatch(/TypeError: wsgi.file_wrapper needs/);
  });
});

describe.each(engines)('wsgi.errors on %s', (engine) => {
  it('write, writelines and flush reach the logger line by line', async () => {
    const log = memoryLogger();
    const app: App = (env, sr) => {
      const errors = env['wsgi.errors'];
      errors.write('one\ntw');
      errors.writelines(['o\n', 'three']);
      errors.flush();
      sr('200 OK', TEXT);
      return [];
    };
    const s = await start(app, engine, { logger: log });
    await exchangeRaw(s.port, 'GET / HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(log.lines).toEqual(['one', 'two', 'three']);
  });
});
