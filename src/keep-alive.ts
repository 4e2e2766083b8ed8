// Persistent connections (RFC 9112 §9.3, §9.6): the one place tsgi decides them. The
// request's wish is read by requestKeepAlive() (engines node and uws, and plain heads;
// native/src/HttpParser.cc reads the same rule in C++, checked against the same table,
// test/rules/request-rules.tsv); the response's Connection token by responseConnection(),
// which only the gateway calls.

import { ConnectionToken, Framing } from './contract.js';

/** RFC 9112 §9.3: HTTP/1.1 persists unless a "close" connection option; HTTP/1.0 only
 * with "keep-alive". `connection` is the Connection field value (fields joined), if any. */
export function requestKeepAlive(versionMinor: number, connection: string | undefined): boolean {
  if (connection === undefined) return versionMinor >= 1;
  let close = false;
  let keep = false;
  for (const token of connection.split(',')) {
    const t = token.trim().toLowerCase();
    if (t === 'close') close = true;
    else if (t === 'keep-alive') keep = true;
  }
  if (close) return false;
  return versionMinor >= 1 || keep;
}

/** The Connection token of a response: Close when the request did not allow a persistent
 * connection, when the body ends by closing (Framing.Close), or while the server shuts
 * down (RFC 9112 §9.6: "close" tells the client no further request will be read);
 * `keep-alive` for an HTTP/1.0 request that asked for it; else nothing (the default). */
export function responseConnection(requestKeepAlive: boolean, versionMinor: number, framing: Framing, closing: boolean): ConnectionToken {
  if (!requestKeepAlive || framing === Framing.Close || closing) return ConnectionToken.Close;
  return versionMinor === 0 ? ConnectionToken.KeepAlive : ConnectionToken.Default;
}
