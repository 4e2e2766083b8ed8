// Loads the uWebSockets.js native binary for this Node ABI directly, as the baseline
// must measure the real thing: the registry build's own loader silently falls back to
// a pure-JS emulation when no binary matches, and that is refused here.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const PACKAGE = '@trufflesuite/uws-js-unofficial';

export interface RawUwsRequest {
  getHeader(lowerCaseKey: string): string;
  getUrl(): string;
  getQuery(): string | undefined;
  getCaseSensitiveMethod(): string;
}
export interface RawUwsResponse {
  writeStatus(status: string): RawUwsResponse;
  writeHeader(key: string, value: string): RawUwsResponse;
  write(chunk: Uint8Array | string): boolean;
  end(body?: Uint8Array | string): RawUwsResponse;
  tryEnd(chunk: Uint8Array | string, totalSize: number): [boolean, boolean];
  getWriteOffset(): number;
  onWritable(handler: (offset: number) => boolean): RawUwsResponse;
  onAborted(handler: () => void): RawUwsResponse;
  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): RawUwsResponse;
  cork(cb: () => void): RawUwsResponse;
}
export interface RawUwsApp {
  any(pattern: string, handler: (res: RawUwsResponse, req: RawUwsRequest) => void): RawUwsApp;
  listen(host: string, port: number, cb: (socket: unknown) => void): RawUwsApp;
}
export interface RawUwsModule {
  App(): RawUwsApp;
  SSLApp(options: { cert_file_name: string; key_file_name: string }): RawUwsApp;
  us_socket_local_port(socket: unknown): number;
}

export function uwsBinaryPath(): string {
  const pkg = require.resolve(`${PACKAGE}/package.json`);
  return join(dirname(pkg), 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
}

export function uwsVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(require.resolve(`${PACKAGE}/package.json`), 'utf8')) as { version: string };
    return `${PACKAGE}@${pkg.version}`;
  } catch {
    return 'not installed';
  }
}

export function loadUwsBinary(): RawUwsModule {
  const binary = uwsBinaryPath();
  if (!existsSync(binary)) {
    throw new Error(`no uWebSockets.js binary for Node ${process.versions.node} (ABI ${process.versions.modules}): ${binary}`);
  }
  return require(binary) as RawUwsModule;
}
