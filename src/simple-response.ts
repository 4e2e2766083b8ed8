// Short, complete responses the gateway sends on its own (413, 417, 500 …).

import { ConnectionToken, Framing, type Exchange } from './contract.js';
import { responseConnection } from './keep-alive.js';

/** Send `status` with a text/plain body. keepAlive false closes the connection after it
 * (used whenever unread request bytes may follow, so they are never parsed as a request). */
export function sendSimple(exchange: Exchange, status: string, message: string, keepAlive: boolean, serverHeader: string | undefined): void {
  const body = Buffer.from(message + '\n', 'latin1');
  exchange.writeHead({
    status,
    headers: serverHeader === undefined ? ['Content-Type', 'text/plain; charset=utf-8'] : ['Content-Type', 'text/plain; charset=utf-8', 'Server', serverHeader],
    framing: Framing.Length,
    contentLength: body.length,
    connection: keepAlive ? responseConnection(true, exchange.head.versionMinor, Framing.Length, false) : ConnectionToken.Close,
    noBody: exchange.head.isHead,
    hasDate: false,
    ascii: serverHeader === undefined || !/[^\x00-\x7f]/.test(serverHeader),
  });
  exchange.end(body);
}
