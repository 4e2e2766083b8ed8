// Server::close() is graceful: connections in the backlog are accepted, requests not yet
// received get a grace period, in-flight requests finish, idle keep-alive connections get
// a FIN (never a RST), and every request sent is answered with "Connection: close".
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Exchange } from '../../src/contract.js';
import { echoTarget, startNative } from './native-helpers.js';

const H = 'Host: a\r\n';

interface Client {
  socket: Socket;
  data: string;
  error?: string;
  closed: Promise<void>;
}

function open(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let done!: () => void;
    const client: Client = { socket, data: '', closed: new Promise((r) => (done = r)) };
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (client.data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (client.error = e.code ?? e.message));
    socket.on('close', () => done());
    socket.once('connect', () => resolve(client));
    socket.once('error', reject);
  });
}

/** The responses in `data`: [status line, connection header, body]. */
function responses(data: string): { body: string; close: boolean }[] {
  const out: { body: string; close: boolean }[] = [];
  let at = 0;
  while (at < data.length) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const headText = data.slice(at, end);
    const length = Number(/content-length: *(\d+)/i.exec(headText)?.[1] ?? 0);
    out.push({ body: data.slice(end + 4, end + 4 + length), close: /\r\nconnection: *close/i.test(headText) });
    at = end + 4 + length;
  }
  return out;
}

describe('native engine: graceful close', () => {
  it('answers every request sent before or just after close(), and no client sees ECONNRESET', async () => {
    const pending: Exchange[] = [];
    const server = await startNative((ex) => {
      if (ex.head.target.startsWith('/slow')) { ex.head.detach(); pending.push(ex); } else echoTarget(ex);
    });
    const N = 6;
    const ready = async (): Promise<Client[]> => Promise.all(Array.from({ length: N }, () => open(server.port)));
    // Idle keep-alive after one response.
    const idle = await ready();
    for (const c of idle) c.socket.write(`GET /first HTTP/1.1\r\n${H}\r\n`);
    await Promise.all(idle.map((c) => new Promise<void>((resolve) => {
      const check = (): void => { if (responses(c.data).length === 1) resolve(); else setTimeout(check, 5); };
      check();
    })));
    // Idle keep-alive whose next request is already in the server's socket buffer.
    const reused = await ready();
    for (const c of reused) c.socket.write(`GET /r0 HTTP/1.1\r\n${H}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Mid-request: the application has not answered yet.
    const busy = await ready();
    busy.forEach((c, i) => c.socket.write(`GET /slow${i} HTTP/1.1\r\n${H}\r\n`));
    // Partial head before close, the rest after.
    const partial = await ready();
    for (const c of partial) c.socket.write('GET /partial HTTP/1.1\r\n');
    // Connected, nothing sent yet (some possibly still in the kernel backlog).
    const fresh = await ready();
    const late = Array.from({ length: N }, () => open(server.port));
    while (pending.length < N) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Written synchronously (loopback): in the server's socket buffer when close() runs.
    for (const c of reused) c.socket.write(`GET /r1 HTTP/1.1\r\n${H}\r\n`);
    let closed = false;
    const closing = server.close().then(() => { closed = true; });
    for (const c of partial) c.socket.write(`${H}\r\n`);
    for (const c of fresh) c.socket.write(`GET /fresh HTTP/1.1\r\n${H}\r\n`);
    const lateClients = await Promise.all(late);
    for (const c of lateClients) c.socket.write(`GET /late HTTP/1.1\r\n${H}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    pending.forEach((ex) => echoTarget(ex));
    const all = [...idle, ...reused, ...busy, ...partial, ...fresh, ...lateClients];
    await Promise.all(all.map((c) => c.closed));
    await closing;

    for (const c of all) expect(c.error).toBeUndefined();
    for (const c of idle) expect(responses(c.data).map((r) => r.body)).toEqual(['GET /first']);
    for (const c of reused) {
      const rs = responses(c.data);
      expect(rs.map((r) => r.body)).toEqual(['GET /r0', 'GET /r1']);
      expect(rs[1]!.close).toBe(true);
    }
    busy.forEach((c, i) => expect(responses(c.data)).toEqual([{ body: `GET /slow${i}`, close: true }]));
    for (const c of partial) expect(responses(c.data)).toEqual([{ body: 'GET /partial', close: true }]);
    for (const c of fresh) expect(responses(c.data)).toEqual([{ body: 'GET /fresh', close: true }]);
    for (const c of lateClients) expect(responses(c.data)).toEqual([{ body: 'GET /late', close: true }]);
  }, 20000);
});
