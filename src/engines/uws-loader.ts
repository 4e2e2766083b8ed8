// Loads uWebSockets.js without ever taking a slow path. The official module is used
// when installed; else the registry build @trufflesuite/uws-js-unofficial, whose own
// loader silently falls back to a pure-JS emulation on unsupported Node versions: we
// bypass that loader and require the native binary for this platform/arch/ABI directly.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EngineUnavailableError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The subset of uWebSockets.js tsgi uses (see its docs/index.d.ts). */
export interface UwsHttpRequest {
  getHeader(lowerCaseKey: string): string;
  getUrl(): string;
  getCaseSensitiveMethod(): string;
  getQuery(): string;
  forEach(cb: (key: string, value: string) => void): void;
}
export interface UwsHttpResponse {
  writeStatus(status: string | Uint8Array): UwsHttpResponse;
  writeHeader(key: string | Uint8Array, value: string | Uint8Array): UwsHttpResponse;
  write(chunk: Uint8Array | string): boolean;
  end(body?: Uint8Array | string, closeConnection?: boolean): UwsHttpResponse;
  endWithoutBody(reportedContentLength?: number, closeConnection?: boolean): UwsHttpResponse;
  tryEnd(chunk: Uint8Array | string, totalSize: number): [boolean, boolean];
  close(): UwsHttpResponse;
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): UwsHttpResponse;
  onAborted(handler: () => void): UwsHttpResponse;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): UwsHttpResponse;
  getRemoteAddressAsText(): ArrayBuffer;
  cork(cb: () => void): UwsHttpResponse;
  pause(): void;
  resume(): void;
}
export interface UwsListenSocket { readonly __brand?: 'us_listen_socket' }
export interface UwsApp {
  any(pattern: string, handler: (res: UwsHttpResponse, req: UwsHttpRequest) => void): UwsApp;
  get(pattern: string, handler: (res: UwsHttpResponse, req: UwsHttpRequest) => void): UwsApp;
  head(pattern: string, handler: (res: UwsHttpResponse, req: UwsHttpRequest) => void): UwsApp;
  listen(host: string, port: number, cb: (socket: UwsListenSocket | false) => void): UwsApp;
  listen(port: number, options: number, cb: (socket: UwsListenSocket | false) => void): UwsApp;
  listen_unix(cb: (socket: UwsListenSocket | false) => void, path: string): UwsApp;
  /** Closes the listen sockets and every connection of this app (running onAborted of
   * pending responses); present in v20.30 although its typings omit it. */
  close(): void;
}
/** SSLApp's options (uSockets reads the files once, when the app is built). */
export interface UwsSslOptions {
  cert_file_name: string;
  key_file_name: string;
  ca_file_name?: string;
  ssl_ciphers?: string;
}
export interface UwsModule {
  App(): UwsApp;
  /** Throws "App construction failed" when BoringSSL refuses the options. */
  SSLApp(options: UwsSslOptions): UwsApp;
  us_listen_socket_close(socket: UwsListenSocket): void;
  us_socket_local_port(socket: UwsListenSocket): number;
}

let loaded: UwsModule | undefined;
let failure: string | undefined;

/** Default header block limit of uWebSockets is 4 KiB; it reads this variable once,
 * when the binary loads, so it must be set before. */
export const UWS_HEADER_LIMIT_ENV = 'UWS_HTTP_MAX_HEADERS_SIZE';

export function loadUws(maxHeaderSize: number): UwsModule {
  if (loaded) return loaded;
  if (failure) throw new EngineUnavailableError(failure);
  if (process.env[UWS_HEADER_LIMIT_ENV] === undefined) process.env[UWS_HEADER_LIMIT_ENV] = String(maxHeaderSize);
  const reasons: string[] = [];
  try {
    loaded = require('uWebSockets.js') as UwsModule;
    return loaded;
  } catch (error) {
    reasons.push(`uWebSockets.js: ${(error as Error).message.split('\n')[0]}`);
  }
  try {
    const pkg = require.resolve('@trufflesuite/uws-js-unofficial/package.json');
    const binary = join(dirname(pkg), 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
    if (!existsSync(binary)) {
      throw new Error(`no native binary for ${process.platform}-${process.arch} Node ABI ${process.versions.modules} (Node ${process.versions.node}); it ships ABI 93/108/115 = Node 16/18/20 only, and its pure-JS fallback is refused as too slow`);
    }
    loaded = require(binary) as UwsModule;
    return loaded;
  } catch (error) {
    reasons.push(`@trufflesuite/uws-js-unofficial: ${(error as Error).message.split('\n')[0]}`);
  }
  failure = `engine 'uws' is unavailable: ${reasons.join('; ')}`;
  throw new EngineUnavailableError(failure);
}

/** Why uWebSockets.js cannot load here, or undefined when it can — decided from the
 * files alone, without loading the binary (which must wait for the header limit). */
export function uwsUnavailableReason(): string | undefined {
  if (loaded) return undefined;
  if (failure) return failure;
  try {
    require.resolve('uWebSockets.js');
    return undefined;
  } catch { /* not installed: try the registry build */ }
  try {
    const pkg = require.resolve('@trufflesuite/uws-js-unofficial/package.json');
    const binary = join(dirname(pkg), 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
    if (existsSync(binary)) return undefined;
    return `engine 'uws' is unavailable: @trufflesuite/uws-js-unofficial has no native binary for ${process.platform}-${process.arch} Node ABI ${process.versions.modules} (Node ${process.versions.node}); it ships ABI 93/108/115 = Node 16/18/20 only, and its pure-JS fallback is refused as too slow`;
  } catch {
    return "engine 'uws' is unavailable: neither uWebSockets.js nor @trufflesuite/uws-js-unofficial is installed";
  }
}
