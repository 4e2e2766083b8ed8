// PEP 3333 "The start_response() Callable": validation, call order, excInfo, write().
import { describe, expect, it } from 'vitest';
import type { App, EngineName, ServeOptions, StartResponse } from '../src/types.js';
import { exchangeRaw, header, RawConnection } from './helpers/raw-http.js';
import { engines, memoryLogger, start } from './helpers/server.js';

/** Every 200 names its type: the validator (wsgiref.validate's rules) insists. */
/** These tests are about what the server does with exactly the body types and misuses
 * they name; the validator would wrap the body (hiding an array) or reject the misuse first. */
const startRaw = (app: App, engine: EngineName, options: ServeOptions = {}) => start(app, engine, options, { validate: false });
const TEXT: [string, string][] = [['Content-Type', 'text/plain']];

const GET = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';

/** Runs `misuse` inside the app; answers with the error class and code it threw. */
function probe(misuse: (sr: StartResponse) => void): App {
  return (_env, startResponse) => {
    let outcome = 'no error';
    try {
      misuse(startResponse);
    } catch (error) {
      outcome = `${(error as Error).name}:${(error as { code?: string }).code}:${error instanceof TypeError}`;
    }
    try { startResponse('200 OK', [['Content-Type', 'text/plain']], [new Error('reset')]); } catch { /* committed */ }
    return [outcome];
  };
}

describe.each(engines)('start_response on %s', (engine) => {
  const cases: [string, (sr: StartResponse) => void, string][] = [
    ['status without reason code', (sr) => sr('ok', []), 'InvalidStatusError:TSGI_ERR_INVALID_STATUS:true'],
    ['status with CRLF', (sr) => sr('200 OK\r\nX-Evil: 1', []), 'InvalidStatusError:TSGI_ERR_INVALID_STATUS:true'],
    ['interim status', (sr) => sr('100 Continue', []), 'InvalidStatusError:TSGI_ERR_INVALID_STATUS:true'],
    ['header value with CRLF (injection)', (sr) => sr('200 OK', [['X-A', 'v\r\nSet-Cookie: evil=1']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['header value with LF', (sr) => sr('200 OK', [['X-A', 'v\nw']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['header value with NUL', (sr) => sr('200 OK', [['X-A', 'v\0']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['header value beyond latin-1', (sr) => sr('200 OK', [['X-A', 'snow \u2603']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['header name with space', (sr) => sr('200 OK', [['X A', 'v']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['header name with colon', (sr) => sr('200 OK', [['X-A:', 'v']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['hop-by-hop Connection', (sr) => sr('200 OK', [['Connection', 'close']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['hop-by-hop Transfer-Encoding', (sr) => sr('200 OK', [['Transfer-Encoding', 'chunked']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['hop-by-hop Keep-Alive', (sr) => sr('200 OK', [['keep-alive', 'timeout=5']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['hop-by-hop Upgrade', (sr) => sr('200 OK', [['Upgrade', 'h2c']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['non-numeric Content-Length', (sr) => sr('200 OK', [['Content-Length', '1x']]), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['headers not an array', (sr) => sr('200 OK', {} as never), 'InvalidHeaderError:TSGI_ERR_INVALID_HEADER:true'],
    ['second call without excInfo', (sr) => { sr('200 OK', TEXT); sr('200 OK', TEXT); }, 'StartResponseTwiceError:TSGI_ERR_START_RESPONSE_TWICE:true'],
  ];
  it.each(cases)('refuses %s with a TypeError naming the rule', async (_name, misuse, expected) => {
    const s = await startRaw(probe(misuse), engine);
    const { responses, raw } = await exchangeRaw(s.port, GET);
    expect(responses[0]!.body.toString()).toBe(expected);
    expect(raw.toString('latin1')).not.toMatch(/X-Evil|evil=1/);
  });

  it('lets excInfo replace headers that were not sent yet', async () => {
    const s = await startRaw((_env, sr) => {
      sr('200 OK', [['X-First', '1']]);
      sr('500 Oops', [['X-Second', '2']], [new Error('boom')]);
      return ['replaced'];
    }, engine);
    const { responses } = await exchangeRaw(s.port, GET);
    expect(responses[0]!.status).toBe(500);
    expect(responses[0]!.reason).toBe('Oops');
    expect(header(responses[0]!, 'x-second')).toBe('2');
    expect(header(responses[0]!, 'x-first')).toBeUndefined();
  });

  it('re-raises excInfo once headers are sent, then closes the connection', async () => {
    const log = memoryLogger();
    const marker = new Error('original failure');
    let rethrown: unknown;
    const s = await startRaw((_env, sr) => {
      const write = sr('200 OK', TEXT);
      write('partial');
      try { sr('500 Err', [], marker); } catch (e) { rethrown = e; }
      throw rethrown;
    }, engine, { logger: log });
    const c = new RawConnection(s.port);
    await c.write(GET);
    await c.waitClosed();
    expect(rethrown).toBe(marker);
    expect(c.data.toString()).toContain('partial');
    expect(c.data.toString()).not.toContain('500');
    expect(log.lines.join('\n')).toContain('original failure');
  });

  it('write() sends at once, before the app returns, then the iterable follows', async () => {
    const s = await startRaw((_env, sr) => {
      const write = sr('200 OK', [['Content-Type', 'text/plain']]);
      write('one,');
      write(new TextEncoder().encode('two,'));
      return ['three'];
    }, engine);
    const { responses } = await exchangeRaw(s.port, GET);
    expect(responses[0]!.body.toString()).toBe('one,two,three');
    expect(responses[0]!.framing).toBe('chunked');
  });

  it('write() before start_response is a TypeError', async () => {
    const s = await startRaw(probe(() => { (undefined as unknown as () => void)(); }), engine);
    const { responses } = await exchangeRaw(s.port, GET);
    expect(responses[0]!.body.toString()).toMatch(/TypeError/);
  });

  it('adds Date and Server unless the app set them', async () => {
    const s = await startRaw((env, sr) => {
      sr('200 OK', env.PATH_INFO === '/own' ? [['Server', 'mine'], ['Date', 'Tue, 01 Jan 2030 00:00:00 GMT']] : []);
      return ['x'];
    }, engine);
    const a = (await exchangeRaw(s.port, GET)).responses[0]!;
    expect(header(a, 'server')).toBe('tsgi');
    expect(new Date(header(a, 'date')!).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const b = (await exchangeRaw(s.port, 'GET /own HTTP/1.1\r\nHost: h\r\n\r\n')).responses[0]!;
    expect(b.headers.get('server')).toEqual(['mine']);
    if (engine !== 'uws') expect(b.headers.get('date')).toEqual(['Tue, 01 Jan 2030 00:00:00 GMT']);
  });
});
