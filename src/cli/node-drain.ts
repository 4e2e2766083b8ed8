// Workaround until the node engine has a hook for it (see docs/deployment.md, "Workarounds the CLI carries").
//
// node:http's Server.close() (Node >= 19) closes idle keep-alive connections at once. A
// client may be sending its next request on such a connection at that very moment; it
// then gets ECONNRESET for a request no one read. The race-free way to end a persistent
// connection is to answer its next request with `Connection: close`, which the gateway
// does while the server is closing. So in a worker process, idle connections are not
// cut on close: each ends after its next response, or at its keep-alive timeout, or at
// --graceful-timeout when the worker exits. node:https's Server has its own copy of the
// method (https.js copies http's onto its prototype), and its close() calls that copy:
// both are replaced, or HTTPS workers would still cut idle connections.

import { Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';

let installed = false;

export function deferIdleConnectionClose(): void {
  if (installed) return;
  installed = true;
  const deferred = function deferred(this: Server): void { /* see above */ };
  Server.prototype.closeIdleConnections = deferred;
  HttpsServer.prototype.closeIdleConnections = deferred;
}
