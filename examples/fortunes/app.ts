// Fortunes on PostgreSQL: an HTML page and a small JSON API, written as a tsgi user
// writes an app (environ in, start_response and a body out) with the toolkit around it:
//   GET    /                   the fortunes as an HTML table, sorted, every message escaped
//   GET    /api/fortunes?q=…   JSON list (q: case-insensitive search)
//   POST   /api/fortunes       {"message": "…"} → 201 with Location
//   GET    /api/fortunes/<id>  one fortune, or 404
//   DELETE /api/fortunes/<id>  204, or 404
//   GET    /health             200 when the database answers, else 503
import type { App, Environ, StartResponse } from 'tsgi';
import { accessLog, mount, proxyFix, requestId, requestTimeout } from 'tsgi/middleware';
import { queryParams } from 'tsgi/util';
import type { Sql } from 'postgres';
import { addFortune, deleteFortune, getFortune, listFortunes, type Fortune } from './db.js';

/** Longest message accepted (bytes of JSON body are bounded by the server's limits). */
const MAX_MESSAGE = 500;

function send(startResponse: StartResponse, status: string, type: string, text: string, extra: [string, string][] = []): [Uint8Array] {
  const body = Buffer.from(text, 'utf8');
  startResponse(status, [['Content-Type', type], ['Content-Length', String(body.length)], ...extra]);
  return [body];
}

const json = (sr: StartResponse, status: string, value: unknown, extra: [string, string][] = []): [Uint8Array] =>
  send(sr, status, 'application/json', JSON.stringify(value) + '\n', extra);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(fortunes: Fortune[]): string {
  const sorted = [...fortunes].sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  const rows = sorted.map((f) => `<tr><td>${f.id}</td><td>${escapeHtml(f.message)}</td></tr>`).join('');
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${rows}</table></body></html>`;
}

/** The body as JSON, or undefined when it is not JSON (PEP 3333: wsgi.input is the body). */
function readJson(environ: Environ): unknown {
  try {
    return JSON.parse(Buffer.from(environ['wsgi.input'].read()).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function notAllowed(sr: StartResponse, allow: string): [Uint8Array] {
  // RFC 9110 §15.5.6: a 405 names the methods the resource has.
  return json(sr, '405 Method Not Allowed', { error: 'method not allowed' }, [['Allow', allow]]);
}

function fortunesApi(sql: Sql): App {
  return async (environ, startResponse) => {
    const rest = environ.PATH_INFO.replace(/^\/+|\/+$/g, '');
    const method = environ.REQUEST_METHOD;
    if (rest === '') {
      if (method === 'GET' || method === 'HEAD') {
        const q = queryParams(environ).get('q') ?? undefined;
        return json(startResponse, '200 OK', await listFortunes(sql, q));
      }
      if (method !== 'POST') return notAllowed(startResponse, 'GET, HEAD, POST');
      const body = readJson(environ) as { message?: unknown } | undefined;
      const message = typeof body?.message === 'string' ? body.message.trim() : '';
      if (message === '' || message.length > MAX_MESSAGE) {
        return json(startResponse, '400 Bad Request', { error: `send {"message": "…"} (1 to ${MAX_MESSAGE} characters)` });
      }
      const fortune = await addFortune(sql, message);
      return json(startResponse, '201 Created', fortune, [['Location', `${environ.SCRIPT_NAME}/${fortune.id}`]]);
    }
    // PostgreSQL's serial is a 4-byte integer: larger ids cannot exist.
    const id = /^\d{1,9}$/.test(rest) ? Number(rest) : undefined;
    if (method === 'GET' || method === 'HEAD') {
      const fortune = id === undefined ? undefined : await getFortune(sql, id);
      return fortune ? json(startResponse, '200 OK', fortune) : json(startResponse, '404 Not Found', { error: `no fortune ${rest}` });
    }
    if (method !== 'DELETE') return notAllowed(startResponse, 'GET, HEAD, DELETE');
    if (id === undefined || !(await deleteFortune(sql, id))) return json(startResponse, '404 Not Found', { error: `no fortune ${rest}` });
    startResponse('204 No Content', []);
    return [];
  };
}

export interface FortunesAppOptions {
  /** Access log lines (default: stdout, Combined Log Format plus the request id). */
  log?: (line: string) => void;
  /** Seconds a request may take before it is answered 503 (default 10). */
  timeoutSeconds?: number;
}

export function createFortunesApp(sql: Sql, options: FortunesAppOptions = {}): App {
  const home: App = async (environ, startResponse) => {
    if (environ.PATH_INFO !== '/' && environ.PATH_INFO !== '') return json(startResponse, '404 Not Found', { error: 'not found' });
    if (environ.REQUEST_METHOD !== 'GET' && environ.REQUEST_METHOD !== 'HEAD') return notAllowed(startResponse, 'GET, HEAD');
    return send(startResponse, '200 OK', 'text/html; charset=utf-8', page(await listFortunes(sql)));
  };
  const health: App = async (environ, startResponse) => {
    try {
      await sql`SELECT 1`;
      return json(startResponse, '200 OK', { ok: true });
    } catch (error) {
      environ['wsgi.errors'].write(`fortunes: health check: ${(error as Error).message}\n`);
      return json(startResponse, '503 Service Unavailable', { ok: false });
    }
  };
  const routes = mount({ '/api/fortunes': fortunesApi(sql), '/health': health }, home);
  // Outermost first: proxyFix resolves the client behind the proxy, so the access log
  // records it with the id requestId gave; the timeout bounds one request's database work.
  return proxyFix(accessLog(
    requestId(requestTimeout(routes, { seconds: options.timeoutSeconds ?? 10 })),
    { format: '%(h)s "%(r)s" %(s)s %(b)s %(D)sµs id=%({x-request-id}o)s', write: options.log },
  ));
}
