// Chaotic clients for a few seconds: random pipelines, random splits, bodies (fixed and
// chunked), bad requests, resets mid-request and mid-response, slow readers. The server
// must keep serving (and, under npm run test:asan, never touch freed memory).
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/contract.js';
import { RawConnection } from '../helpers/raw-http.js';
import { echoTarget, head, startNative } from './native-helpers.js';

let seed = 12345;
const random = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

function request(i: number): string {
  switch (random(6)) {
    case 0: return `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    case 1: return `POST /${i} HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789`;
    case 2: return `POST /${i} HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n`;
    case 3: return `GET /big/${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    case 4: return `GET /slow/${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    default: return random(4) === 0 ? `GET / HTTP/1.1\r\n\r\n` : `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
  }
}

const big = Buffer.alloc(300 * 1024, 'b');

function handler(ex: Exchange): void {
  const target = ex.head.target;
  ex.head.detach();
  ex.readBody((_chunk, last) => {
    if (!last) return;
    if (target.startsWith('/big/')) {
      ex.writeHead(head('200 OK', big.length * 4));
      let n = 0;
      const pump = (): void => {
        while (n < 4) {
          n++;
          if (n === 4) return ex.end(big);
          if (!ex.write(big)) return ex.onWritable(pump);
        }
      };
      pump();
    } else if (target.startsWith('/slow/')) {
      setTimeout(() => echoTarget(ex), random(5));
    } else {
      echoTarget(ex);
    }
  });
}

describe('native engine: chaotic clients', () => {
  it('keeps serving through resets, splits and bad requests', async () => {
    const server = await startNative(handler);
    const sockets: Socket[] = [];
    const until = Date.now() + 2500;
    let opened = 0;
    while (Date.now() < until) {
      const batch: Promise<void>[] = [];
      for (let k = 0; k < 20; k++) {
        opened++;
        batch.push(new Promise<void>((resolve) => {
          const s = connect(server.port, '127.0.0.1');
          sockets.push(s);
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.on('data', () => { if (random(8) === 0) s.destroy(); });
          if (random(3) === 0) s.pause();
          s.on('connect', () => {
            let bytes = '';
            const count = 1 + random(20);
            for (let i = 0; i < count; i++) bytes += request(i);
            const cut = random(bytes.length);
            s.write(bytes.slice(0, cut));
            setTimeout(() => {
              if (random(5) === 0) { s.resetAndDestroy(); return; }
              s.write(bytes.slice(cut));
              setTimeout(() => s.destroy(), random(30));
            }, random(3));
          });
        }));
      }
      await Promise.all(batch);
    }
    for (const s of sockets) s.destroy();
    expect(opened).toBeGreaterThan(100);
    const c = new RawConnection(server.port);
    await c.write('GET /still-alive HTTP/1.1\r\nHost: a\r\n\r\n');
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('GET /still-alive');
    c.close();
  });
});
