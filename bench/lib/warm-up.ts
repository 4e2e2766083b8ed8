// Count-based warm-up for --quick runs: wrk runs whole seconds only, so a quick row
// would spend as long warming up as measuring. This sends `total` requests of the
// scenario's exact shape over `connections` keep-alive sockets and returns when all
// were answered (or after `maxMs`). Answers are counted by their status lines, which the
// bench bodies (text, JSON, letters, zeros) never contain.

import { connect } from 'node:net';
import type { Scenario } from '../scenarios.js';
import { BROWSER_HEADERS, PIPELINE_DEPTH, UPLOAD_SIZE } from '../scenario-data.js';

/** The bytes one wrk write sends for this scenario. */
export function rawRequest(scenario: Scenario, port: number): { bytes: Buffer; requests: number } {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  switch (scenario.check) {
    case 'pipelined':
      return { bytes: Buffer.from(`GET ${scenario.path} HTTP/1.1\r\n${host}\r\n`.repeat(PIPELINE_DEPTH)), requests: PIPELINE_DEPTH };
    case 'headers': {
      const fields = BROWSER_HEADERS.map(([k, v]) => `${k}: ${v}\r\n`).join('');
      return { bytes: Buffer.from(`GET ${scenario.path} HTTP/1.1\r\n${host}${fields}\r\n`), requests: 1 };
    }
    case 'upload': {
      const head = `POST ${scenario.path} HTTP/1.1\r\n${host}Content-Type: application/octet-stream\r\nContent-Length: ${UPLOAD_SIZE}\r\n\r\n`;
      return { bytes: Buffer.concat([Buffer.from(head), Buffer.alloc(UPLOAD_SIZE, 120)]), requests: 1 };
    }
    default:
      return { bytes: Buffer.from(`GET ${scenario.path} HTTP/1.1\r\n${host}\r\n`), requests: 1 };
  }
}

export function warmUp(scenario: Scenario, port: number, total: number, maxMs: number): Promise<void> {
  const { bytes, requests } = rawRequest(scenario, port);
  const marker = 'HTTP/1.1 ';
  let sent = 0;
  let answered = 0;
  return new Promise((resolve) => {
    const sockets = new Set<ReturnType<typeof connect>>();
    const finish = (): void => {
      clearTimeout(timer);
      for (const s of sockets) s.destroy();
      resolve();
    };
    const timer = setTimeout(finish, maxMs);
    for (let c = 0; c < scenario.connections; c++) {
      const socket = connect(port, '127.0.0.1');
      sockets.add(socket);
      let pending = 0;
      let tail = '';
      const send = (): void => {
        if (sent >= total) return;
        sent += requests;
        pending += requests;
        socket.write(bytes);
      };
      socket.on('connect', send);
      socket.on('data', (d: Buffer) => {
        // Keep a few bytes across reads so a status line split in two is still seen.
        const text = tail + d.toString('latin1');
        const seen = text.split(marker).length - 1;
        tail = text.slice(-marker.length + 1);
        if (seen === 0) return;
        pending -= seen;
        answered += seen;
        if (answered >= total) return finish();
        if (pending <= 0) send();
      });
      socket.on('error', () => sockets.delete(socket));
      socket.on('close', () => { sockets.delete(socket); if (sockets.size === 0) finish(); });
    }
  });
}
