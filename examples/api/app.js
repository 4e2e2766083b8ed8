// A small JSON API. The router is mount(): each prefix gets its own app, which sees the
// rest of the path in PATH_INFO (PEP 3333 "URL Reconstruction"), and dispatches on the
// method. Data lives in memory.
import { cors, mount, requestId } from 'tsgi/middleware';
import { queryParams } from 'tsgi/util';

const items = new Map();
let nextId = 1;

function json(startResponse, status, value, extra = []) {
  const body = Buffer.from(JSON.stringify(value) + '\n');
  startResponse(status, [['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ...extra]);
  return [body];
}

function readJson(environ) {
  const text = Buffer.from(environ['wsgi.input'].read()).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function methods(handlers) {
  const allow = Object.keys(handlers).join(', ');
  return (environ, startResponse) => {
    const handler = handlers[environ.REQUEST_METHOD];
    if (!handler) return json(startResponse, '405 Method Not Allowed', { error: 'method not allowed' }, [['Allow', allow]]);
    return handler(environ, startResponse);
  };
}

// /items → the collection; /items/<id> → one item.
function itemsApp(environ, startResponse) {
  const rest = environ.PATH_INFO.replace(/^\/+|\/+$/g, '');
  if (rest === '') return collection(environ, startResponse);
  const item = items.get(Number(rest));
  if (!/^\d+$/.test(rest) || !item) return json(startResponse, '404 Not Found', { error: `no item ${rest}` });
  return methods({
    GET: (_e, sr) => json(sr, '200 OK', item),
    DELETE: (_e, sr) => { items.delete(item.id); sr('204 No Content', []); return []; },
  })(environ, startResponse);
}

const collection = methods({
  GET(environ, startResponse) {
    const q = queryParams(environ).get('q')?.toLowerCase();
    const list = [...items.values()].filter((i) => !q || i.name.toLowerCase().includes(q));
    return json(startResponse, '200 OK', list);
  },
  POST(environ, startResponse) {
    const body = readJson(environ);
    if (!body.ok || typeof body.value?.name !== 'string' || body.value.name === '') {
      return json(startResponse, '400 Bad Request', { error: 'send {"name": "…"}' });
    }
    const item = { id: nextId++, name: body.value.name };
    items.set(item.id, item);
    return json(startResponse, '201 Created', item, [['Location', `${environ.SCRIPT_NAME}/${item.id}`]]);
  },
});

const health = (environ, startResponse) => json(startResponse, '200 OK', { ok: true, items: items.size });
const notFound = (environ, startResponse) => json(startResponse, '404 Not Found', { error: 'not found' });

export const app = requestId(cors(mount({ '/items': itemsApp, '/health': health }, notFound)));
