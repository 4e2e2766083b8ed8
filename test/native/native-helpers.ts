// Start the native engine directly (no gateway) with a RequestHandler, and stop it after
// each test. Also raw-socket helpers for exact bytes.
import { afterEach } from 'vitest';
import { loadNativeEngine } from '../../src/engines/native.js';
import { ConnectionToken, Framing, type EngineOptions, type EngineServer, type Exchange, type RequestHandler, type ResponseHead } from '../../src/contract.js';
import { responseConnection } from '../../src/keep-alive.js';

export const engine = loadNativeEngine();

const running: EngineServer[] = [];
/** True once a test server's close() was called: the handlers below then answer with
 * `Connection: close`, as the gateway does while serveFast's server shuts down. */
let closing = false;
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  closing = false;
});

export const logLines: string[] = [];

export async function startNative(handler: RequestHandler, options: Partial<EngineOptions> = {}): Promise<EngineServer> {
  const server = await engine.listen(
    {
      host: '127.0.0.1',
      port: 0,
      reusePort: false,
      maxRequestLine: 8190,
      maxHeaderCount: 100,
      maxHeaderSize: 16384,
      keepAliveTimeout: 5,
      headersTimeout: 30,
      bodyTimeout: 30,
      sendTimeout: 30,
      logger: { error: (m: string) => void logLines.push(m) },
      ...options,
    },
    handler,
  );
  running.push(server);
  return {
    host: server.host,
    port: server.port,
    close: () => {
      closing = true;
      return server.close();
    },
  };
}

export function head(status: string, contentLength: number, extra: Partial<ResponseHead> = {}): ResponseHead {
  return { status, headers: ['Content-Type', 'text/plain'], framing: Framing.Length, contentLength, connection: ConnectionToken.Default, noBody: false, hasDate: false, ascii: true, ...extra } as ResponseHead;
}

/** The Connection token the gateway would choose for a Content-Length response. */
export const connectionFor = (ex: Exchange): ConnectionToken => responseConnection(ex.head.keepAlive, ex.head.versionMinor, Framing.Length, closing);

/** Answers "<METHOD> <target>" with Content-Length framing. */
export const echoTarget: RequestHandler = (ex: Exchange) => {
  const text = `${ex.head.method} ${ex.head.target}`;
  ex.writeHead(head('200 OK', Buffer.byteLength(text), { connection: connectionFor(ex) }));
  ex.end(text);
};

/** Reads the whole body, answers "<bytes>:<first 64 bytes>". */
export const echoBody: RequestHandler = (ex: Exchange) => {
  const parts: Buffer[] = [];
  let total = 0;
  ex.readBody((chunk, last) => {
    total += chunk.length;
    if (parts.length < 1024) parts.push(Buffer.from(chunk));
    if (!last) return;
    const text = `${total}:${Buffer.concat(parts).subarray(0, 64).toString('latin1')}`;
    ex.writeHead(head('200 OK', Buffer.byteLength(text, 'latin1'), { connection: connectionFor(ex) }));
    ex.end(Buffer.from(text, 'latin1'));
  });
};
