// TLS for engine `uws`: uWebSockets.js v20.30 SSLApp (uSockets over BoringSSL), and what
// it cannot do (docs/engines.md). Measured against test/tls with openssl s_client,
// curl and raw sockets:
// - TLS 1.2 and 1.3 only (uSockets sets the minimum to 1.2); no way to raise it to 1.3;
// - no ALPN (no protocol is selected; clients use HTTP/1.1, RFC 7301 §3.2), no
//   renegotiation (BoringSSL servers refuse it with a no_renegotiation alert);
// - plain HTTP sent to the port: the handshake fails and the connection closes at once,
//   with no plaintext 400;
// - a handshake that does not complete is cut by uWS's fixed 10 s idle timer, which
//   handshake bytes do not restart (measured: silent, stalled and byte-a-second clients
//   all closed after 10-14 s: the timer ticks every 4 s);
// - ca_file_name asks for a client certificate and refuses an unverifiable one, but
//   admits a client that sends none, and nothing tells the app which happened;
// - no negotiated protocol or cipher is visible to JavaScript;
// - certificates are read from files once, when SSLApp is built: no rotation in place.
// Options it cannot honour are refused here, rather than served weaker than asked.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TlsFacts } from '../contract.js';
import { InvalidOptionError, TlsConfigError } from '../errors.js';
import type { EngineTls } from '../tls-options.js';
import type { UwsApp, UwsModule } from './uws-loader.js';

/** uWS's idle timeout, which bounds a handshake too (seconds). */
export const UWS_HANDSHAKE_SECONDS = 10;

/** What every TLS request on uws knows: it is TLS (HTTPS on), nothing more. */
export const UWS_TLS_FACTS: TlsFacts = {
  protocol: undefined, cipher: undefined, clientCertRequested: false, peerSubject: undefined, verify: 'NONE',
};

const OTHER_ENGINES = "use engine 'node' or 'native'";

/** Throws InvalidOptionError for a tls setting uws cannot honour. */
export function checkUwsTls(tls: EngineTls): void {
  if (tls.requestCert) {
    throw new InvalidOptionError(`serveFast: engine uws cannot verify client certificates (uWS.js v20.30 admits a client that sends none and cannot tell the app whether one was sent): tls.requestCert is refused; ${OTHER_ENGINES}`);
  }
  if (tls.minVersion !== 'TLSv1.2') {
    throw new InvalidOptionError(`serveFast: engine uws cannot refuse TLS 1.2 (uWS.js v20.30 has no minimum-version setting): tls.minVersion '${tls.minVersion}' is refused; ${OTHER_ENGINES}`);
  }
  if (tls.handshakeTimeout > 0 && tls.handshakeTimeout < UWS_HANDSHAKE_SECONDS) {
    throw new InvalidOptionError(`serveFast: engine uws cuts an unfinished handshake only with its fixed ${UWS_HANDSHAKE_SECONDS} s idle timer: tls.handshakeTimeout ${tls.handshakeTimeout} is refused (use ${UWS_HANDSHAKE_SECONDS} or more); ${OTHER_ENGINES}`);
  }
}

/** An SSLApp for `tls`. uWS reads the certificate and key only from files, once, while
 * it builds the app: they are written to a private directory (0700, files 0600) that is
 * removed as soon as the app exists, so the decrypted key is on disk only meanwhile. */
export function createSslApp(mod: UwsModule, tls: EngineTls): UwsApp {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-uws-tls-'));
  try {
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
      return path;
    };
    const options = {
      cert_file_name: file('cert.pem', tls.cert),
      key_file_name: file('key.pem', tls.key),
      ...(tls.ciphers !== undefined ? { ssl_ciphers: tls.ciphers } : {}),
    };
    try {
      return mod.SSLApp(options);
    } catch (error) {
      // The certificate and key passed resolveTls: what BoringSSL refused is the rest.
      throw new TlsConfigError(`serveFast: engine uws (uWS.js, BoringSSL) could not build its TLS context${tls.ciphers !== undefined ? `; is tls.ciphers ${JSON.stringify(tls.ciphers)} a cipher list BoringSSL knows?` : ''}`, { cause: error });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
