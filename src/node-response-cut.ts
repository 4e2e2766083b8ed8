// How a node:http response that already sent its head is cut: shared by engine `node`
// and toNodeListener, so both end a broken response the same way.

import type { ServerResponse } from 'node:http';

/** Sends what the response has buffered, then FIN. node:http may hold written chunks
 * corked in the response itself (Node 24 buffers chunked writes there until the next
 * tick); socket.destroySoon() alone would drop them, and the client must see the bytes
 * before the cut to know the body is truncated (RFC 9112 §7.1). Without a socket of its
 * own (http2 compatibility) the response is destroyed, which resets its stream. */
export function finWhenFlushed(res: ServerResponse): void {
  const socket = res.socket;
  if (!socket || typeof socket.destroySoon !== 'function') { res.destroy(); return; }
  while (res.writableCorked > 0) res.uncork();
  while (socket.writableCorked > 0) socket.uncork();
  socket.destroySoon();
}
