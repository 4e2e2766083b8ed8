// Streaming responses: an async generator body is sent chunk by chunk as it is produced
// (PEP 3333 "Buffering and Streaming"). /events is a server-sent event stream; / is a
// page that listens to it; /count?n=5 streams plain text lines.
import type { App } from 'tsgi';
import { compress, mount, requestId } from 'tsgi/middleware';
import { queryParams } from 'tsgi/util';

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const page = `<!doctype html><meta charset="utf-8"><title>tsgi streaming</title>
<h1>Server-sent events</h1><ol id="log"></ol>
<script>
  const source = new EventSource('events');
  source.onmessage = (e) => { const li = document.createElement('li'); li.textContent = e.data; log.append(li); };
</script>`;

const home: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/html; charset=utf-8']]);
  return [page];
};

// text/event-stream (HTML Living Standard §9.2): "data: …" blocks, one per tick. The
// generator calls start_response in its first step, which PEP 3333 allows ("the
// application may delay calling start_response until the first iteration").
const events: App = (environ, startResponse) => {
  const limit = Number(queryParams(environ).get('limit') ?? 'Infinity');
  return (async function* () {
    startResponse('200 OK', [['Content-Type', 'text/event-stream'], ['Cache-Control', 'no-cache']]);
    for (let i = 1; i <= limit; i++) {
      yield `id: ${i}\ndata: tick ${i} at ${new Date().toISOString()}\n\n`;
      if (i < limit) await tick(1000);
    }
  })();
};

const count: App = (environ, startResponse) => {
  const n = Math.min(Number(queryParams(environ).get('n') ?? 5), 1000);
  const delay = Number(queryParams(environ).get('delay') ?? 200);
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return (async function* () {
    for (let i = 1; i <= n; i++) {
      yield `${i}\n`;
      if (i < n) await tick(delay);
    }
  })();
};

// compress flushes after every chunk, so events still arrive one by one when gzipped.
export const app: App = requestId(compress(mount({ '/events': events, '/count': count, '/': home })));
