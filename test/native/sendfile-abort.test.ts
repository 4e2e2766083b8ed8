// A client that aborts during a sendFile response: C++ cancels the sendfile before it
// reports the close, and the callback runs once, after C++ is done with the descriptor.
import { closeSync, mkdtempSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { head, logLines, startNative } from './native-helpers.js';

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('native engine: sendFile and aborting clients', () => {
  it('never uses a descriptor after the connection died; every fd is closed exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-sendfile-abort-'));
    const file = join(dir, 'big.bin');
    writeFileSync(file, Buffer.alloc(8 * 1024 * 1024, 'z'));
    const errors: string[] = [];
    let opened = 0;
    let closed = 0;
    let doneTwice = 0;
    const finished: Promise<void>[] = [];
    const server = await startNative((ex) => {
      const fd = openSync(file, 'r');
      opened++;
      let calls = 0;
      finished.push(new Promise((resolve) => {
        ex.writeHead(head('200 OK', 8 * 1024 * 1024));
        ex.sendFile!(fd, 0, 8 * 1024 * 1024, (error) => {
          if (++calls > 1) { doneTwice++; return; }
          if (error) errors.push(error.message);
          closeSync(fd);
          closed++;
          if (error) ex.abort();
          else ex.end();
          resolve();
        });
      }));
    });
    const before = openFds();
    const logStart = logLines.length;
    for (let i = 0; i < 50; i++) {
      await new Promise<void>((resolve) => {
        const socket = connect({ port: server.port, host: '127.0.0.1' });
        socket.on('connect', () => {
          socket.setNoDelay(true);
          socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        });
        let got = 0;
        socket.on('data', (d: Buffer) => {
          got += d.length;
          if (got > 64 * 1024) socket.resetAndDestroy();
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve());
      });
    }
    await Promise.all(finished);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(opened).toBe(50);
    expect(closed).toBe(50);
    expect(doneTwice).toBe(0);
    expect(errors.filter((m) => /errno 9\b/.test(m))).toEqual([]);
    expect(logLines.slice(logStart).filter((m) => /errno 9\b/.test(m))).toEqual([]);
    expect(openFds()).toBe(before);
  }, 30000);
});
