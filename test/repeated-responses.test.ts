// Responses that repeat: the gateway remembers the last validated status and header list
// (headers.ts) and engines cache the head bytes built from them. Whatever repeats or
// changes between responses, each one must carry exactly its own status and fields.
import { describe, expect, it } from 'vitest';
import type { App, EngineName } from '../src/types.js';
import { header, RawConnection, type RawResponse } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

const GET = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';

/** Sends `count` requests one after the other on one connection; returns the responses. */
async function sequential(port: number, count: number): Promise<RawResponse[]> {
  const c = new RawConnection(port);
  try {
    for (let i = 1; i <= count; i++) {
      await c.write(GET);
      await c.responses(i);
    }
    return await c.responses(count);
  } finally {
    c.close();
  }
}

/** Names of the fields of a response in order, lower case, as received. */
function fieldNames(r: RawResponse): string[] {
  return r.head.split('\r\n').slice(1).filter(Boolean).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

describe.each(engines)('repeated responses on %s', (engine: EngineName) => {
  it('gives each response exactly its own fields while the header list repeats and changes', async () => {
    const plan: [string, [string, string][], string][] = [
      ['200 OK', [['Content-Type', 'text/plain'], ['X-A', '1']], 'one'],
      ['200 OK', [['Content-Type', 'text/plain'], ['X-A', '1']], 'two'],
      ['201 Created', [['Content-Type', 'text/plain'], ['Content-Length', '5']], 'three'],
      ['201 Created', [['Content-Type', 'text/plain'], ['Content-Length', '5']], 'four!'],
      ['200 OK', [['Content-Type', 'text/plain'], ['X-A', '2']], 'five'],
      ['200 OK', [['Content-Type', 'text/plain'], ['X-A', '1']], 'six'],
    ];
    let n = 0;
    const s = await start((_env, sr) => {
      const [status, headers, body] = plan[n++ % plan.length]!;
      sr(status, headers.map(([k, v]) => [k, v])); // a fresh array each time, as apps do
      return [body];
    }, engine, { serverHeader: 'memo-test' });
    const responses = await sequential(s.port, plan.length);
    responses.forEach((r, i) => {
      const [status, headers, body] = plan[i]!;
      expect(`${r.status} ${r.reason}`).toBe(status);
      expect(r.body.toString()).toBe(body);
      expect(header(r, 'content-length')).toBe(String(body.length));
      expect(header(r, 'x-a')).toBe(headers.find(([k]) => k === 'X-A')?.[1]);
      expect(header(r, 'server')).toBe('memo-test');
      // No field is repeated: nothing an engine added to one response leaks into the next.
      const names = fieldNames(r);
      expect(new Set(names).size).toBe(names.length);
    });
  });

  it('still refuses an invalid value right after the same names passed', async () => {
    const errors = memoryLogger();
    const values = ['ok', 'ok', 'bad\r\nX-Evil: 1', 'ok'];
    let n = 0;
    const s = await start((_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain'], ['X-A', values[n++]!]]);
      return ['body'];
    }, engine, { logger: errors }, { validate: false });
    const responses = await sequential(s.port, values.length);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 500, 200]);
    expect(responses.map((r) => header(r, 'x-a'))).toEqual(['ok', 'ok', undefined, 'ok']);
    expect(Buffer.concat(responses.map((r) => Buffer.from(r.head))).toString()).not.toMatch(/X-Evil/);
    expect(errors.lines.join('\n')).toMatch(/InvalidHeaderError|TSGI_ERR_INVALID_HEADER/);
  });

  it('still refuses an invalid status right after a valid one', async () => {
    const errors = memoryLogger();
    const statuses = ['200 OK', '200 OK\r\nX-Evil: 1', '200 OK'];
    let n = 0;
    const s = await start((_env, sr) => {
      sr(statuses[n++]!, [['Content-Type', 'text/plain']]);
      return ['body'];
    }, engine, { logger: errors }, { validate: false });
    const responses = await sequential(s.port, statuses.length);
    expect(responses.map((r) => r.status)).toEqual([200, 500, 200]);
    expect(Buffer.concat(responses.map((r) => Buffer.from(r.head))).toString()).not.toMatch(/X-Evil/);
  });

  it('sees a value changed in a header array the app keeps and reuses', async () => {
    const headers: [string, string][] = [['Content-Type', 'text/plain'], ['X-Count', '0']];
    let n = 0;
    const app: App = (_env, sr) => {
      headers[1]![1] = String(++n);
      sr('200 OK', headers);
      return ['x'];
    };
    const s = await start(app, engine);
    const responses = await sequential(s.port, 3);
    expect(responses.map((r) => header(r, 'x-count'))).toEqual(['1', '2', '3']);
  });

  it('keeps each server its own Server header when two run in one process', async () => {
    const app: App = (_env, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['x']; };
    const a = await start(app, engine, { serverHeader: 'server-a' });
    const b = await start(app, engine, { serverHeader: 'server-b' });
    for (let i = 0; i < 2; i++) {
      const [ra] = await sequential(a.port, 1);
      const [rb] = await sequential(b.port, 1);
      expect(header(ra!, 'server')).toBe('server-a');
      expect(header(rb!, 'server')).toBe('server-b');
    }
  });
});
