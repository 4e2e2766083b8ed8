// Pipelining (RFC 9112 §9.3.2): responses in request order, whatever order the
// application finishes them in; requests split at every byte boundary.
import { describe, expect, it } from 'vitest';
import { RawConnection } from '../helpers/raw-http.js';
import type { Exchange } from '../../src/contract.js';
import { echoBody, echoTarget, head, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';

/** `count` GET requests for /0, /1, … in one string, to send in one write. */
const pipelined = (count: number): string => Array.from({ length: count }, (_, i) => `GET /${i} HTTP/1.1\r\n${H}\r\n`).join('');
/** The bodies echoTarget answers to pipelined(count), in order. */
const echoed = (count: number): string[] => Array.from({ length: count }, (_, i) => `GET /${i}`);

describe('native engine: pipelining', () => {
  it('answers 100 pipelined requests sent in one write, in order', async () => {
    const server = await startNative(echoTarget);
    const c = new RawConnection(server.port);
    await c.write(pipelined(100));
    const responses = await c.responses(100);
    expect(responses.map((r) => r.body.toString())).toEqual(echoed(100));
    c.close();
  });

  it('halts reading at 128 requests in flight and resumes: 1000 async pipelined requests', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const server = await startNative((ex) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      ex.head.detach();
      setImmediate(() => {
        inFlight--;
        echoTarget(ex);
      });
    });
    const c = new RawConnection(server.port);
    await c.write(pipelined(1000));
    const responses = await c.responses(1000);
    expect(responses.map((r) => r.body.toString())).toEqual(echoed(1000));
    expect(maxInFlight).toBeLessThanOrEqual(128);
    c.close();
  });

  it('keeps order when asynchronous responses finish in reverse order', async () => {
    const pending: Exchange[] = [];
    const server = await startNative((ex) => {
      ex.head.detach();
      pending.push(ex);
      if (pending.length === 20) {
        // Finish the last request first, the first one last, across several ticks.
        const order = pending.slice().reverse();
        order.forEach((e, k) => setTimeout(() => echoTarget(e), k % 4));
      }
    });
    const c = new RawConnection(server.port);
    await c.write(pipelined(20));
    const responses = await c.responses(20);
    expect(responses.map((r) => r.body.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `GET /${i}`));
    c.close();
  });

  it('keeps order for streamed (chunked) async responses interleaved with bodies', async () => {
    const server = await startNative((ex) => {
      ex.head.detach();
      const target = ex.head.target;
      const delay = Number(target.slice(1)) % 3 === 0 ? 5 : 0;
      const parts: Buffer[] = [];
      ex.readBody((chunk, last) => {
        parts.push(Buffer.from(chunk));
        if (!last) return;
        setTimeout(() => {
          ex.writeHead(head('200 OK', 0, { framing: 1 }));
          ex.write(`${target}:`);
          setTimeout(() => ex.end(Buffer.concat(parts)), delay);
        }, delay);
      });
    });
    const c = new RawConnection(server.port);
    let bytes = '';
    for (let i = 0; i < 12; i++) bytes += `POST /${i} HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nb${i % 10}!`;
    await c.write(bytes);
    const responses = await c.responses(12);
    expect(responses.map((r) => r.body.toString())).toEqual(Array.from({ length: 12 }, (_, i) => `/${i}:b${i % 10}!`));
    c.close();
  });

  it('parses a request split at every byte boundary', async () => {
    const server = await startNative(echoBody);
    const c = new RawConnection(server.port);
    c.socket.setNoDelay(true);
    const request = `POST /split?x=1 HTTP/1.1\r\n${H}X-Long: ${'v'.repeat(40)}\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n6\r\n world\r\n0\r\nT: x\r\n\r\n`;
    for (let cut = 1; cut < request.length; cut++) {
      await c.write(request.slice(0, cut));
      await new Promise((resolve) => setImmediate(resolve));
      await c.write(request.slice(cut));
      const responses = await c.responses(cut);
      expect(responses[cut - 1]!.body.toString()).toBe('11:hello world');
    }
    c.close();
  });

  it('parses a request sent one byte per write', async () => {
    const server = await startNative(echoBody);
    const c = new RawConnection(server.port);
    c.socket.setNoDelay(true);
    const request = `POST /bytes HTTP/1.1\r\n${H}Content-Length: 4\r\n\r\nabcd`;
    for (const ch of request) await c.write(ch);
    const [r] = await c.responses(1);
    expect(r!.body.toString()).toBe('4:abcd');
    c.close();
  });

  it('answers HTTP/1.0 with close by default and keep-alive when asked', async () => {
    const server = await startNative(echoTarget);
    const c = new RawConnection(server.port);
    await c.write(`GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\nGET /c HTTP/1.0\r\n\r\n`);
    await c.waitClosed();
    const text = c.data.toString('latin1');
    expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(text).toContain('Connection: keep-alive');
    expect(text).toContain('Connection: close');
    expect(text).not.toContain('GET /c');
  });
});
