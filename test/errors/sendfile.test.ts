// Sending a wsgi.file_wrapper body that fails in the kernel (here: a directory's
// descriptor, which neither sendfile(2) nor read(2) can send) is one error on every
// engine: SendFileError (TSGI_ERR_SENDFILE), logged once, with the OS error as cause;
// the client never gets a complete 200.
import { closeSync, mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { exchangeRaw } from '../helpers/raw-http.js';
import { eventually } from '../faults/harness.js';
import { engines, memoryLogger, start } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tsgi-sendfile-'));

describe.each(engines)('a failing file body on %s', (engine) => {
  it('is SendFileError with the OS error as cause, logged once', async () => {
    const logger = memoryLogger();
    const app: App = (environ, sr) => {
      const fd = openSync(dir, 'r');
      sr('200 OK', [['Content-Type', 'application/octet-stream']]);
      return environ['wsgi.file_wrapper']!({ fd, close: () => closeSync(fd) });
    };
    const server = await start(app, engine, { logger }, { validate: false });
    const { responses, raw } = await exchangeRaw(server.port, 'GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    const r = responses[0];
    const complete200 = r !== undefined && r.status === 200 && r.body.length === Number(r.headers.get('content-length')?.[0] ?? -1);
    expect(complete200, raw.toString('latin1').slice(0, 200)).toBe(false);
    await eventually(() => logger.lines.some((l) => l.startsWith('tsgi: error')), 'the error log line');
    const errors = logger.lines.filter((l) => l.startsWith('tsgi: error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/SendFileError: sending the file failed: (sendfile EINVAL|EISDIR)/);
  });
});
