// Issue 13: no exception from code on the request path reaches the process. Each case
// throws from one place the engine calls into (the request handler, the body callback,
// onWritable, onAborted) with a raw handler, so the engine boundary itself is tested
// (the gateway catches most app errors before they get here). Expected: a 500 when
// nothing was sent yet, else the connection closes; one log line; the next client is
// served; nothing reaches uncaughtException. uWebSockets.js would also terminate the
// process if a handler returned without a response or onAborted: these cases cover that.
import { describe, expect, it } from 'vitest';
import { ConnectionToken, Framing, type Exchange, type ResponseHead } from '../../src/contract.js';
import { bounded, client, crashes, engines, eventually, expectNoCrash, listenEngine, servesNext } from './lab.js';

function head(framing: Framing, contentLength = -1): ResponseHead {
  return { status: '200 OK', headers: ['Content-Type', 'text/plain'], framing, contentLength, connection: ConnectionToken.Default, noBody: false, hasDate: false, ascii: true };
}

/** /next answers 200 "next"; every other path runs `attack`. */
function handler(attack: (ex: Exchange) => void) {
  return (ex: Exchange): void => {
    if (ex.head.target === '/next') {
      ex.writeHead({ ...head(Framing.Length, 4), connection: ConnectionToken.Close });
      ex.end('next');
      return;
    }
    attack(ex);
  };
}

const only = (log: string[], tag: string): number => log.filter((l) => l.includes(tag)).length;

describe.each(engines)('exceptions on the request path, engine %s', (engine) => {
  it('a throw before any output: 500, one log line, the next client is served', async () => {
    const mark = crashes.length;
    const lab = await listenEngine(engine, handler(() => { throw new Error('boom-handler'); }));
    const c = await client(lab.port);
    c.socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n');
    await bounded(c.ended, 5000, 'the 500 and close');
    expect(c.text()).toMatch(/^HTTP\/1\.1 500 /);
    expect(c.text()).toMatch(/\r\nConnection: close\r\n/i);
    expect(only(lab.log, 'boom-handler')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });

  it('a thrown value whose stack getter throws: still a 500 and a log line, the next client is served', async () => {
    const mark = crashes.length;
    const hostile = new Error('boom-hostile');
    Object.defineProperty(hostile, 'stack', { get() { throw new Error('stack getter'); } });
    const lab = await listenEngine(engine, handler(() => { throw hostile; }));
    const c = await client(lab.port);
    c.socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n');
    await bounded(c.ended, 5000, 'the 500 and close');
    expect(c.text()).toMatch(/^HTTP\/1\.1 500 /);
    expect(only(lab.log, 'exception on the request path')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });

  it('a throw after the head and a chunk went out: the connection closes, the body stays unterminated', async () => {
    const mark = crashes.length;
    const lab = await listenEngine(engine, handler((ex) => {
      ex.writeHead(head(Framing.Chunked));
      ex.write('partial');
      throw new Error('boom-midway');
    }));
    const c = await client(lab.port);
    c.socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n');
    await bounded(c.ended, 5000, 'the close');
    expect(c.text()).toMatch(/^HTTP\/1\.1 200 /);
    expect(c.text()).toContain('partial');
    // RFC 9112 §7.1: without the last-chunk the client knows the body is incomplete.
    expect(c.text()).not.toMatch(/\r\n0\r\n\r\n$/);
    expect(only(lab.log, 'boom-midway')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });

  it('a throw from the body callback: 500 and close', async () => {
    const mark = crashes.length;
    const lab = await listenEngine(engine, handler((ex) => {
      ex.readBody(() => { throw new Error('boom-body'); });
    }));
    const c = await client(lab.port);
    c.socket.write('POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello');
    await bounded(c.ended, 5000, 'the 500 and close');
    expect(c.text()).toMatch(/^HTTP\/1\.1 500 /);
    expect(only(lab.log, 'boom-body')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });

  it('a throw from an onWritable callback: the connection closes', async () => {
    const mark = crashes.length;
    const block = Buffer.alloc(256 * 1024, 0x61);
    let blocked = false;
    const lab = await listenEngine(engine, handler((ex) => {
      ex.writeHead(head(Framing.Chunked));
      // Fill the socket until the engine says stop, then fail when it may go on.
      for (let i = 0; i < 4096 && ex.write(block); i++);
      blocked = true;
      ex.onWritable(() => { throw new Error('boom-writable'); });
    }));
    const c = await client(lab.port, { read: false });
    c.socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => blocked, 'the engine to refuse a write');
    c.socket.on('data', () => {});
    c.socket.resume();
    await bounded(c.ended, 5000, 'the close');
    expect(only(lab.log, 'boom-writable')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });

  it('a throw from the onAborted callback is logged; the server serves on', async () => {
    const mark = crashes.length;
    let pending = false;
    const lab = await listenEngine(engine, handler((ex) => {
      // Never answers: only the client leaving ends this exchange.
      ex.onAborted(() => { throw new Error('boom-aborted'); });
      pending = true;
    }));
    const c = await client(lab.port);
    c.socket.write('GET /x HTTP/1.1\r\nHost: h\r\n\r\n');
    await eventually(() => pending, 'the request to reach the handler');
    c.socket.destroy();
    await eventually(() => only(lab.log, 'boom-aborted') > 0, 'the abort callback to run', 3000);
    expect(only(lab.log, 'boom-aborted')).toBe(1);
    await servesNext(lab.port, 'next');
    expectNoCrash(mark);
  });
});
