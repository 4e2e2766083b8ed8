// Replays one corpus case on a live server and judges the outcome against the case's
// expectations. A probe request (GET /__probe) checks what happened to the connection:
// after a rejection it is pipelined behind the case and must never be answered (no
// desynchronization); on a persistent connection it is sent afterwards and must get the
// echo app's 200 for /__probe.

import { setTimeout as sleep } from 'node:timers/promises';
import { RawConnection, header, parseResponses, type RawResponse } from '../helpers/raw-http.js';
import type { ConformanceCase } from './corpus.js';
import type { EchoedEnviron } from './echo-app.js';

const PROBE = Buffer.from('GET /__probe HTTP/1.1\r\nHost: probe.example\r\n\r\n');
/** Pause between the parts of a split request, so the server reads them separately. */
const SPLIT_PAUSE_MS = 4;
/** How long a correct loopback server may take to answer or close (failures only wait it). */
const RESPONSE_TIMEOUT_MS = 1500;

export interface Observed {
  /** One per response received (interim 1xx excluded); 'drop' when none came at all. */
  statuses: number[];
  environs: (EchoedEnviron | undefined)[];
  closed: boolean;
  /** Status of the probe when it was answered. */
  probe: { status: number; pathInfo: string | undefined } | undefined;
  note: string | undefined;
  /** The port the case was sent to (what `<listening port>` stands for). */
  port: number;
}

/** SERVER_PORT is the port the request arrived on (RFC 3875 §4.1.15), known only once
 * the server listens. */
const LISTENING_PORT = '<listening port>';

/** Byte offsets worth splitting at: 1, inside the final CRLF of the head, the first body
 * byte, the middle, the last byte. */
export function splitPoints(bytes: Buffer): number[] {
  let headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd === -1) headEnd = bytes.indexOf('\n\n');
  const points = [1, Math.floor(bytes.length / 2), bytes.length - 1];
  if (headEnd !== -1) points.push(headEnd + 3, headEnd + 4);
  return [...new Set(points)].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
}

function echoed(r: RawResponse): EchoedEnviron | undefined {
  if (r.status !== 200 || header(r, 'x-echo') !== '1' || r.body.length === 0) return undefined;
  return JSON.parse(r.body.toString('utf8')) as EchoedEnviron;
}

function methodsOf(bytes: Buffer): string[] {
  return bytes.subarray(0, 5).toString('latin1') === 'HEAD ' ? ['HEAD'] : [];
}

/** Send the case (whole, or split at `split`) and observe what the server does. */
export async function observe(port: number, c: ConformanceCase, split?: number, timeoutMs = RESPONSE_TIMEOUT_MS): Promise<Observed> {
  const pipelineProbe = c.close === 'yes';
  const conn = new RawConnection(port);
  conn.socket.setNoDelay(true);
  const methods = methodsOf(c.bytes);
  const expected = c.statuses.length;
  try {
    const tail = pipelineProbe ? PROBE : Buffer.alloc(0);
    if (split === undefined) await conn.write(Buffer.concat([c.bytes, tail]));
    else {
      await conn.write(c.bytes.subarray(0, split));
      await sleep(SPLIT_PAUSE_MS);
      // The server may already have refused the first part and closed: that is its right.
      if (!conn.closed) await conn.write(Buffer.concat([c.bytes.subarray(split), tail])).catch(() => undefined);
    }
    const count = (): number => parseResponses(conn.data, methods, conn.closed).responses.length;
    await conn.until(() => count() >= expected, timeoutMs).catch(() => undefined);
    let responses = parseResponses(conn.data, methods, conn.closed).responses;
    const last = responses.at(-1);
    const announcedClose = last !== undefined && /close/i.test(header(last, 'connection') ?? '');
    let probe: Observed['probe'];
    if (pipelineProbe || announcedClose || c.close === 'yes') {
      // The server must close; give it time, and see whether it answered anything more.
      await conn.until((k) => k.closed, timeoutMs).catch(() => undefined);
      responses = parseResponses(conn.data, methods, conn.closed).responses;
    } else if (!conn.closed) {
      // Persistent: the connection must still carry a request.
      await conn.write(PROBE).catch(() => undefined);
      await conn.until(() => count() > responses.length, timeoutMs).catch(() => undefined);
      responses = parseResponses(conn.data, [...methods, 'GET'], conn.closed).responses;
    }
    if (responses.length > expected) {
      const p = responses[expected]!;
      probe = { status: p.status, pathInfo: echoed(p)?.PATH_INFO };
      responses = responses.slice(0, expected);
    }
    return { statuses: responses.map((r) => r.status), environs: responses.map(echoed), closed: conn.closed, probe, note: undefined, port };
  } catch (error) {
    return { statuses: [], environs: [], closed: conn.closed, probe: undefined, note: `client error: ${(error as Error).message}`, port };
  } finally {
    conn.close();
  }
}

/** Everything in `o` that disagrees with the case; empty when the server conforms. */
export function judge(c: ConformanceCase, o: Observed): string[] {
  const problems: string[] = [];
  if (o.note) problems.push(o.note);
  const want = c.statuses.map((alts) => alts.join('|')).join(' ');
  const got = o.statuses.length ? o.statuses.join(' ') : 'no response';
  if (o.statuses.length !== c.statuses.length || o.statuses.some((s, i) => !c.statuses[i]!.includes(s))) {
    problems.push(`status: want ${want}, got ${got}`);
  }
  o.environs.forEach((env, i) => {
    if (!env) return;
    for (const e of c.environ.filter((x) => x.request === i)) {
      const actual = env[e.key];
      const want = e.value === LISTENING_PORT ? String(o.port) : e.value;
      if (actual !== want) problems.push(`request ${i + 1} ${e.key}: want ${JSON.stringify(want ?? '<absent>')}, got ${JSON.stringify(actual ?? '<absent>')}`);
    }
  });
  const pipelinedProbe = c.close === 'yes';
  if (c.close === 'yes' && !o.closed) problems.push('connection: want closed, still open');
  if (c.close === 'no' && (o.closed && !o.probe)) problems.push('connection: want persistent, server closed it');
  if (o.probe) {
    if (pipelinedProbe) problems.push(`connection kept: the request pipelined after the case was answered too (${o.probe.status})`);
    else if (o.probe.status !== 200 || o.probe.pathInfo !== '/__probe') problems.push(`desync: probe got ${o.probe.status} ${o.probe.pathInfo ?? ''}`);
  } else if (c.close === 'no' && problems.length === 0) problems.push('connection: the probe after the case was not answered');
  return problems;
}
