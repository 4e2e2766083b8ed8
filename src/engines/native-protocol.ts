// Numbers shared with the C++ engine: native/src/SharedLayout.h holds the same values and
// explains the memory layout. Change both files together (and bump the ABI version).

import type { EngineOptions } from './types.js';

/** Addon ABI this TypeScript speaks (Addon.cc kAbiVersion). */
export const NATIVE_ABI_VERSION = 3;

export const EV_REQUEST = 1;
export const EV_BODY = 2;
export const EV_OPEN = 3;
export const EV_WRITABLE = 4;
export const EV_CLOSED = 5;
export const EV_FILE_DONE = 6;
export const EV_SERVER_CLOSED = 7;

export const REQUEST_FIXED_INTS = 12;
export const INTS_PER_HEADER = 4;
export const REQUEST_FLAG_KEEP_ALIVE = 1 << 8;
export const REQUEST_FLAG_CHUNKED = 1 << 9;
export const REQUEST_FLAG_HEAD = 1 << 10;

export const OP_DATA = 1;
export const OP_END = 2;
export const OP_CLOSE = 4;
export const INTS_PER_OP = 4;

export const CONTROL_DATE_GENERATION = 0;
export const CONTROL_BLOCKED_COUNT = 1;
export const CONTROL_BLOCKED_IDS = 2;

export const CMD_PAUSE = 1;
export const CMD_RESUME = 2;
export const CMD_ABORT = 3;

export const SLOT_MASK = (1 << 20) - 1;

/** Server::kReadSize + Server::kAddressReserve and slack. */
export const READ_SIZE = 64 * 1024;
export const ADDRESS_RESERVE = 64;

/** The addon's exports (native/src/Addon.cc). */
export interface NativeAddon {
  readonly abiVersion: number;
  listen(
    config: NativeListenConfig,
    input: Uint8Array,
    events: Int32Array,
    output: Uint8Array,
    ops: Int32Array,
    control: Int32Array,
    date: Uint8Array,
    dispatch: (eventInts: number) => number,
  ): NativeHandle | string;
  port(handle: NativeHandle): number;
  flush(handle: NativeHandle, opCount: number): number;
  writeLarge(handle: NativeHandle, id: number, bytes: Uint8Array, flags: number): number;
  control(handle: NativeHandle, id: number, command: number): number;
  sendFile(handle: NativeHandle, id: number, fd: number, offset: number, length: number): number;
  close(handle: NativeHandle): void;
}

/** What the addon's listen takes: EngineOptions with the timeouts in milliseconds. */
export type NativeListenConfig = Omit<EngineOptions, 'logger' | 'keepAliveTimeout' | 'headersTimeout' | 'bodyTimeout'> & {
  keepAliveMs: number;
  headersMs: number;
  bodyMs: number;
};

/** Opaque external handle of one listening server. */
export type NativeHandle = { readonly __nativeHandle: unique symbol };
