// A small JSON API. The router is mount(): each prefix gets its own app, which sees the
// rest of the path in PATH_INFO (PEP 3333 "URL Reconstruction"), and dispatches on the
// method. Data lives in memory.
import type { App, Environ, StartResponse } from 'tsgi';
import { cors, mount, requestId } from 'tsgi/middleware';
import { queryParams } from 'tsgi/util';

interface Item { id: number; name: string }

const items = new Map<number, Item>();
let nextId = 1;

function json(startResponse: StartResponse, status: string, value: unknown, extra: [string, string][] = []): [Uint8Array] {
  const body = Buffer.from(JSON.stringify(value) + '\n');
  startResponse(status, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ...extra]);
  return [body];
}

/** The request body as JSON, or undefined when it is not JSON. */
function readJson(environ: Environ): unknown {
  const text = Buffer.from(environ['wsgi.input'].read()).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Dispatch on REQUEST_METHOD; 405 with Allow (RFC 9110 §15.5.6) for the others. */
function methods(handlers: Record<string, App>): App {
  const allow = Object.keys(handlers).join(', ');
  return (environ, startResponse) => {
    const handler = handlers[environ.REQUEST_METHOD];
    if (!handler) return json(startResponse, '405 Method Not Allowed', { error: 'method not allowed' }, [['Allow', allow]]);
    return handler(environ, startResponse);
  };
}

const collection = methods({
  GET(environ, startResponse) {
    const q = queryParams(environ).get('q')?.toLowerCase();
    const list = [...items.values()].filter((i) => !q || i.name.toLowerCase().includes(q));
    return json(startResponse, '200 OK', list);
  },
  POST(environ, startResponse) {
    const body = readJson(environ) as { name?: unknown } | undefined;
    if (typeof body?.name !== 'string' || body.name === '') {
      return json(startResponse, '400 Bad Request', { error: 'send {"name": "…"}' });
    }
    const item = { id: nextId++, name: body.name };
    items.set(item.id, item);
    return json(startResponse, '201 Created', item, [['Location', `${environ.SCRIPT_NAME}/${item.id}`]]);
  },
});

// /items → the collection; /items/<id> → one item.
const itemsApp: App = (environ, startResponse) => {
  const rest = environ.PATH_INFO.replace(/^\/+|\/+$/g, '');
  if (rest === '') return collection(environ, startResponse);
  const item = /^\d+$/.test(rest) ? items.get(Number(rest)) : undefined;
  if (!item) return json(startResponse, '404 Not Found', { error: `no item ${rest}` });
  return methods({
    GET: (_e, sr) => json(sr, '200 OK', item),
    DELETE: (_e, sr) => { items.delete(item.id); sr('204 No Content', []); return []; },
  })(environ, startResponse);
};

const health: App = (_environ, startResponse) => json(startResponse, '200 OK', { ok: true, items: items.size });
const notFound: App = (_environ, startResponse) => json(startResponse, '404 Not Found', { error: 'not found' });

export const app: App = requestId(cors(mount({ '/items': itemsApp, '/health': health }, notFound)));
