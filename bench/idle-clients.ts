// Holds N idle keep-alive connections to a server, in its own process so that the
// server's numbers include none of the client's work:
//   node dist/bench/idle-clients.js <port> <count> <refreshSeconds>
// Each connection makes one request, then stays open. Every refreshSeconds each one
// sends one more request (spread evenly over the interval), so that servers with a
// fixed idle timeout (uWebSockets.js: 10 s) keep it; that is count/refreshSeconds
// requests per second of background load. Prints "IDLE_READY <open>" once all are
// open; on SIGUSR2 prints "IDLE_ALIVE <open>"; SIGTERM ends it.

import { connect, type Socket } from 'node:net';
import { HELLO_BODY } from './scenario-data.js';

const [portArg = '', countArg = '', refreshArg = '5'] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const refreshMs = Number(refreshArg) * 1000;
const REQUEST = `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
/** Connections opened at once while setting up. */
const OPEN_CONCURRENCY = 256;

const sockets: Socket[] = [];
let alive = 0;

function openOne(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.on('connect', () => socket.write(REQUEST));
    const onData = (d: Buffer): void => {
      text += d.toString('latin1');
      if (!text.includes(HELLO_BODY)) return;
      socket.off('data', onData);
      socket.removeListener('error', reject);
      // Later answers (to the refresh requests) are read and dropped.
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.once('close', () => { alive--; });
      alive++;
      sockets.push(socket);
      resolve();
    };
    socket.on('data', onData);
  });
}

async function openAll(): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await openOne();
    }
  };
  await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
}

function refreshForever(): void {
  const slices = 50;
  let slice = 0;
  setInterval(() => {
    for (let i = slice; i < sockets.length; i += slices) {
      const s = sockets[i]!;
      if (!s.destroyed) s.write(REQUEST);
    }
    slice = (slice + 1) % slices;
  }, refreshMs / slices);
}

process.on('SIGUSR2', () => process.stdout.write(`IDLE_ALIVE ${alive}\n`));
process.on('SIGTERM', () => process.exit(0));
try {
  await openAll();
  refreshForever();
  process.stdout.write(`IDLE_READY ${alive}\n`);
} catch (error) {
  process.stdout.write(`IDLE_FAILED ${(error as Error).message} (${alive} open)\n`);
  process.exit(1);
}
