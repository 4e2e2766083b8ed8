// TLS for engine `node`: node:https with the guards it lacks.
// - Plain HTTP sent to the TLS port: the first byte of a TLS connection is a handshake
//   record (0x16, RFC 8446 §5.1); anything else gets a plaintext 400 and FIN, as nginx
//   answers ("The plain HTTP request was sent to HTTPS port"), instead of a TLS alert the
//   client cannot read.
// - handshakeTimeout from the accept to the end of the handshake, which no byte extends
//   (node's own handshakeTimeout is an idle timer: a client dribbling a ClientHello a
//   byte at a time would hold the connection for as long as it likes).
// - A failed handshake closes that socket quietly: node:https would hand the error to
//   'clientError' and destroy the socket with it; it is the client's problem, not the app's.
// - No renegotiation (SSL_OP_NO_RENEGOTIATION; node only rate-limits it), TLS 1.2+,
//   ALPN http/1.1 only.
// - Certificate rotation: a new secure context for new handshakes (setSecureContext).

import { constants as cryptoConstants } from 'node:crypto';
import type { Server as HttpsServer, ServerOptions as HttpsOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TlsFacts } from '../contract.js';
import { httpDate } from '../http-date.js';
import type { EngineTls } from '../tls-options.js';
import { LINGER_MS } from './node-connection.js';
import { rfc2253FromMultiline } from './tls-subject.js';

/** RFC 8446 §5.1 / RFC 5246 §6.2.1: ContentType handshake(22), the first byte of every
 * TLS (and SSL 3) connection. */
const TLS_HANDSHAKE_RECORD = 0x16;
const PLAIN_HTTP_BODY = 'Bad Request: plain HTTP request sent to an HTTPS port\n';

/** The secure-context options of `tls`: for createServer and every setSecureContext. */
export function secureOptionsOf(tls: EngineTls): HttpsOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : {}),
    minVersion: tls.minVersion,
    maxVersion: 'TLSv1.3',
    // RFC 5746 renegotiation is a DoS lever (each one is a full handshake on the server)
    // and HTTP/1.1 over TLS 1.2 needs none; TLS 1.3 has none.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
}

/** The https.createServer options for `tls` (merged into the HTTP ones by the engine). */
export function httpsOptionsOf(tls: EngineTls): HttpsOptions {
  return {
    ...secureOptionsOf(tls),
    requestCert: tls.requestCert,
    rejectUnauthorized: tls.rejectUnauthorized,
    ALPNProtocols: ['http/1.1'],
    // Ours (below) counts from the accept; node's is only an idle timer, made inert.
    handshakeTimeout: 2 ** 31 - 1,
  };
}

/** What a connection's TLS facts are computed from, kept on the TLSSocket. */
interface TlsState { requested: boolean; facts: TlsFacts | undefined }
const kTls = Symbol('tsgi.node.tls');
const kRequested = Symbol('tsgi.node.requestCert');
type Tagged<T> = T & { [kTls]?: TlsState; [kRequested]?: boolean };
/** tls.Server reads these for each new handshake (not in @types/node). */
interface PeerCertPolicy { requestCert?: boolean; rejectUnauthorized?: boolean }

/** Guards an https.Server: plain-HTTP detection, the handshake deadline, quiet handshake
 * failures; `pending` holds the connections still handshaking (closePending() ends them
 * when the server's close grace is over). */
export class TlsFront {
  private readonly pending = new Set<Socket>();

  constructor(private readonly server: HttpsServer, private handshakeMs: number) {
    const handshake = server.listeners('connection') as ((socket: Socket) => void)[];
    server.removeAllListeners('connection');
    server.on('connection', (raw: Socket) => this.accept(raw, handshake));
    // https.Server turns these into 'clientError' and destroys the socket with the error.
    server.removeAllListeners('tlsClientError');
    server.on('tlsClientError', (_error: Error, socket: TLSSocket) => socket.destroy());
    server.on('secureConnection', (socket: TLSSocket) => {
      const raw = this.rawOf(socket);
      const requested = raw?.[kRequested] ?? false;
      if (raw) this.settled(raw);
      (socket as Tagged<TLSSocket>)[kTls] = { requested, facts: undefined };
    });
  }

  private accept(raw: Tagged<Socket>, handshake: ((socket: Socket) => void)[]): void {
    this.pending.add(raw);
    raw.on('error', () => undefined); // a reset before or during the handshake
    raw.once('close', () => this.settled(raw));
    if (this.handshakeMs > 0) {
      const timer = setTimeout(() => raw.destroy(), this.handshakeMs).unref();
      raw.once('close', () => clearTimeout(timer));
      (raw as unknown as { [kTimer]?: NodeJS.Timeout })[kTimer] = timer;
    }
    raw.once('data', (first: Buffer) => {
      raw.pause();
      if (first[0] !== TLS_HANDSHAKE_RECORD) return this.plainHttp(raw);
      raw.unshift(first); // the TLSSocket reads what the raw socket buffered
      raw[kRequested] = (this.server as unknown as PeerCertPolicy).requestCert === true;
      for (const listener of handshake) listener.call(this.server, raw);
    });
  }

  /** The TCP socket a TLSSocket wraps: node keeps it as `_parent` (internal, there since
   * node 0.11); else the pending one with the same peer address and port. Losing it would
   * let the handshake deadline cut a finished connection, which test/tls checks. */
  private rawOf(socket: TLSSocket): Tagged<Socket> | undefined {
    const parent = (socket as unknown as { _parent?: Tagged<Socket> })._parent;
    if (parent !== undefined && this.pending.has(parent)) return parent;
    if (socket.remotePort === undefined) return parent;
    for (const raw of this.pending) {
      if (raw.remotePort === socket.remotePort && raw.remoteAddress === socket.remoteAddress) return raw;
    }
    return parent;
  }

  /** The handshake is over (done, failed or the socket closed): no deadline any more. */
  private settled(raw: Socket): void {
    if (!this.pending.delete(raw)) return;
    clearTimeout((raw as unknown as { [kTimer]?: NodeJS.Timeout })[kTimer]);
  }

  /** nginx's answer to plain HTTP on a TLS port: 400 in plaintext, then FIN; what the
   * client still sends is read and dropped for a bounded time so the FIN is no reset. */
  private plainHttp(raw: Socket): void {
    this.settled(raw);
    raw.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${PLAIN_HTTP_BODY.length}\r\n`
      + `Connection: close\r\nDate: ${httpDate()}\r\n\r\n${PLAIN_HTTP_BODY}`, 'latin1');
    const timer = setTimeout(() => raw.destroy(), LINGER_MS).unref();
    raw.once('close', () => clearTimeout(timer));
    raw.once('end', () => raw.destroy());
    raw.resume();
  }

  /** New handshakes use `tls`; connections already open keep their context. */
  update(tls: EngineTls): void {
    this.server.setSecureContext(secureOptionsOf(tls));
    const policy = this.server as unknown as PeerCertPolicy;
    policy.requestCert = tls.requestCert;
    policy.rejectUnauthorized = tls.rejectUnauthorized;
    this.handshakeMs = tls.handshakeTimeout * 1000;
  }

  /** The server's close grace is over: connections still handshaking are closed. */
  closePending(): void {
    for (const raw of this.pending) raw.destroy();
    this.pending.clear();
  }
}
const kTimer = Symbol('tsgi.node.handshakeTimer');

/** The TLS facts of a request's socket, computed once per connection on first read;
 * undefined on a plain socket. */
export function tlsFactsOf(socket: Socket): TlsFacts | undefined {
  const state = (socket as Tagged<Socket>)[kTls];
  if (state === undefined) return undefined;
  return (state.facts ??= computeFacts(socket as TLSSocket, state.requested));
}

function computeFacts(socket: TLSSocket, requested: boolean): TlsFacts {
  const peer = requested ? socket.getPeerX509Certificate() : undefined;
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
    clientCertRequested: requested,
    peerSubject: peer ? rfc2253FromMultiline(peer.subject) : undefined,
    verify: peer === undefined ? 'NONE' : socket.authorized ? 'SUCCESS' : `FAILED:${verifyReason(socket)}`,
  };
}

/** mod_ssl's reason text: OpenSSL's X509_verify_cert_error_string, which node keeps in
 * the handle's verifyError() (authorizationError holds only its code). */
function verifyReason(socket: TLSSocket): string {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => Error | null } })._handle;
  const message = typeof handle?.verifyError === 'function' ? handle.verifyError()?.message : undefined;
  return message ?? String(socket.authorizationError ?? 'unknown');
}
