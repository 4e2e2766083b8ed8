// The attackers of the attack soak (run.ts --attack), in their own process so that their
// sockets do not slow the well-behaved client's event loop. Usage:
//   node dist/test/stress/attack.js <port> <per-class> [class,class]
// Runs every class of attacker, <per-class> connections each, from 127.6.6.6, until a line
// "stop" arrives on stdin; then prints one JSON line of what each class did and exits.
// An attacker the server cuts reconnects after 100 ms and starts over.

import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { FAULTS } from './attack-app.js';

const FROM = '127.6.6.6';
const PACE_MS = 300;

interface ClassStats { connections: number; cut: number; requests: number; errors: number }
const stats: Record<string, ClassStats> = {};
let stopping = false;
const live = new Set<Socket>();

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', localAddress: FROM });
    s.once('connect', () => { live.add(s); resolve(s); });
    s.once('error', reject);
    s.once('close', () => live.delete(s));
  });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves true when the server ends `s` (FIN, reset or close), false after `ms`. */
function ended(s: Socket, ms = Infinity): Promise<boolean> {
  return new Promise((resolve) => {
    if (s.destroyed || s.readableEnded) { resolve(true); return; }
    const t = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
    const done = () => { clearTimeout(t); resolve(true); };
    s.once('end', done);
    s.once('close', done);
  });
}

/** Paced bytes: `first`, then `next(i)` every PACE_MS until the server cuts. */
function dribbler(first: string, next: (i: number) => string, read = true) {
  return async (s: Socket, st: ClassStats): Promise<boolean> => {
    if (read) s.on('data', () => {});
    s.write(first);
    st.requests++;
    let i = 0;
    const t = setInterval(() => { if (!s.destroyed && s.writable) s.write(next(i++)); }, PACE_MS);
    await ended(s);
    clearInterval(t);
    return !stopping;
  };
}

const HEAD100 = (() => {
  let h = 'Host: 6.6.6.6\r\nX-Forwarded-For: 6.6.6.6\r\n';
  for (let i = 0; i < 97; i++) h += 'a:6.6.6.6\r\n';
  return h;
})();

/** Resolves true when the server ended the connection, false when the attacker left. */
type Attack = (s: Socket, st: ClassStats, port: number) => Promise<boolean>;

export const CLASSES: Record<string, Attack> = {
  'slowloris head': dribbler('GET /hello HTTP/1.1\r\nHost: h\r\nX-Slow: ', () => 'a'),
  'CRLF dribbler': dribbler('GET /hello?crlf HTTP/1.1\r\nHost: h\r\n\r\n', (i) => (i % 2 ? '\n' : '\r')),
  'body trickler': dribbler('POST /attack/upload HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n', () => 'b'),
  'chunk-extension dribbler': dribbler('POST /attack/upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=', () => 'x'),
  'non-reading pipeliner': async (s, st) => {
    s.pause();
    s.write('GET /attack/4k HTTP/1.1\r\nHost: h\r\n\r\n'.repeat(4000));
    st.requests += 4000;
    // A paused socket may not see the server's FIN; rotate after 10 s either way.
    return ended(s, 10_000);
  },
  'non-reader of an endless body': async (s, st) => {
    s.pause();
    s.write('GET /attack/endless HTTP/1.1\r\nHost: h\r\n\r\n');
    st.requests++;
    return ended(s, 10_000);
  },
  'mid-stream disconnecter': async (s, st) => {
    const sse = st.requests % 2 === 1;
    let got = 0;
    s.write(`GET /attack/${sse ? 'sse' : 'endless'} HTTP/1.1\r\nHost: h\r\n\r\n`);
    st.requests++;
    await new Promise<void>((resolve) => {
      s.on('data', (d: Buffer) => { got += d.length; if (got >= (sse ? 200 : 64 * 1024)) resolve(); });
      s.once('close', () => resolve());
    });
    const cut = s.destroyed;
    s.destroy();
    await wait(50);
    return cut;
  },
  'fault trigger': async (s, st) => {
    // Keep-alive: one fault after another until the server closes (a fault after headers).
    let data = '';
    s.on('data', (d: Buffer) => { data += d.toString('latin1'); });
    const closed = ended(s);
    let isClosed = false;
    void closed.then(() => { isClosed = true; });
    while (!isClosed && !stopping) {
      data = '';
      s.write(`GET /attack/fault/${st.requests % FAULTS.length} HTTP/1.1\r\nHost: h\r\n\r\n`);
      st.requests++;
      const t0 = Date.now();
      while (!isClosed && !/\r\n\r\n/.test(data) && Date.now() - t0 < 5000) await wait(10);
      if (/^HTTP\/1\.1 5/.test(data)) await wait(20); else await Promise.race([closed, wait(200)]);
      await wait(50);
    }
    return isClosed && !stopping;
  },
  'event-area flooder': async (s, st) => {
    let got = 0;
    s.on('data', (d: Buffer) => { got += d.length; });
    const closed = ended(s);
    let isClosed = false;
    void closed.then(() => { isClosed = true; });
    while (!isClosed && !stopping) {
      let batch = '';
      for (let i = 0; i < 20; i++) batch += `GET /attack/retain?f${st.requests + i} HTTP/1.1\r\nX-Id: 6.6.6.6-${i}\r\n${HEAD100}\r\n`;
      s.write(batch);
      st.requests += 20;
      await wait(500);
    }
    void got;
    return isClosed && !stopping;
  },
};

async function attacker(name: string, port: number): Promise<void> {
  const st = (stats[name] ??= { connections: 0, cut: 0, requests: 0, errors: 0 });
  while (!stopping) {
    let s: Socket;
    try {
      s = await open(port);
    } catch {
      st.errors++;
      await wait(200);
      continue;
    }
    st.connections++;
    s.on('error', () => { st.errors++; });
    if (await CLASSES[name]!(s, st, port)) st.cut++;
    s.destroy();
    await wait(100);
  }
}

if (process.argv[1]?.endsWith('attack.js')) {
  const port = Number(process.argv[2]);
  const perClass = Number(process.argv[3] ?? '30');
  // Optional: only the classes whose names contain one of these words (comma-separated).
  const only = process.argv[4]?.split(',').filter(Boolean);
  const running = Object.keys(CLASSES).filter((n) => !only || only.some((w) => n.includes(w))).flatMap((name) => Array.from({ length: perClass }, () => attacker(name, port)));
  process.stdout.write(JSON.stringify({ attackers: running.length }) + '\n');
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'stop') return;
    stopping = true;
    for (const s of live) s.destroy();
    process.stdout.write(JSON.stringify({ stats }) + '\n');
    setTimeout(() => process.exit(0), 200);
  });
}
