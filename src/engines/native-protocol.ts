// Numbers shared with the C++ engine: native/src/SharedLayout.h holds the same values under
// the same names (kEvRequest here is EV_REQUEST) and explains the memory layout;
// test/native/layout.test.ts checks every pair. Change both files together (and bump the
// ABI version). Index shared records only through these names.

import type { EngineOptions } from '../contract.js';

/** Addon ABI this TypeScript speaks (Addon.cc kAbiVersion). */
export const NATIVE_ABI_VERSION = 6;

// Event records (SharedLayout.h EventType): first int the type, second the connection id.
export const EV_REQUEST = 1;
export const EV_BODY = 2;
export const EV_OPEN = 3;
export const EV_WRITABLE = 4;
export const EV_CLOSED = 5;
export const EV_FILE_DONE = 6;
export const EV_SERVER_CLOSED = 7;
export const RECORD_TYPE = 0;
export const RECORD_CONN = 1;
/** EV_WRITABLE, EV_CLOSED, EV_SERVER_CLOSED: type and id only. */
export const BARE_EVENT_INTS = 2;

/** EV_REQUEST; offsets after REQUEST_HEAD_OFFSET are relative to the head's start. */
export const REQUEST_HEAD_OFFSET = 2;
export const REQUEST_HEAD_LENGTH = 3;
export const REQUEST_METHOD_OFFSET = 4;
export const REQUEST_METHOD_LENGTH = 5;
export const REQUEST_TARGET_OFFSET = 6;
export const REQUEST_TARGET_LENGTH = 7;
export const REQUEST_FLAGS = 8;
/** Body length = high * 2^32 + low (uint32), or both -1 when chunked. */
export const REQUEST_BODY_LOW = 9;
export const REQUEST_BODY_HIGH = 10;
export const REQUEST_HEADER_COUNT = 11;
export const REQUEST_FIXED_INTS = 12;
/** Per header, INTS_PER_HEADER ints from REQUEST_FIXED_INTS on. */
export const HEADER_NAME_OFFSET = 0;
export const HEADER_NAME_LENGTH = 1;
export const HEADER_VALUE_OFFSET = 2;
export const HEADER_VALUE_LENGTH = 3;
export const INTS_PER_HEADER = 4;
/** Bits of the REQUEST_FLAGS int. */
export const REQUEST_FLAG_VERSION_MINOR_MASK = 0xff;
export const REQUEST_FLAG_KEEP_ALIVE = 1 << 8;
export const REQUEST_FLAG_CHUNKED = 1 << 9;
export const REQUEST_FLAG_HEAD = 1 << 10;

/** EV_BODY: a slice of the input area. */
export const BODY_OFFSET = 2;
export const BODY_LENGTH = 3;
export const BODY_LAST = 4;
export const BODY_INTS = 5;

/** EV_OPEN: the address travels in the record (OPEN_ADDRESS_INTS ints of latin1 bytes
 * from OPEN_ADDRESS), never in the input area. */
export const OPEN_REMOTE_PORT = 2;
export const OPEN_LOCAL_PORT = 3;
export const OPEN_ADDRESS_LENGTH = 4;
export const OPEN_ADDRESS = 5;
export const OPEN_ADDRESS_INTS = 12;
export const OPEN_INTS = OPEN_ADDRESS + OPEN_ADDRESS_INTS;

/** EV_FILE_DONE: 0, or the errno sendfile failed with. */
export const FILE_DONE_ERRNO = 2;
export const FILE_DONE_INTS = 3;

/** Op flags, and the fields of an op. */
export const OP_DATA = 1;
export const OP_END = 2;
export const OP_CLOSE = 4;
export const OP_CONN = 0;
export const OP_FLAGS = 1;
export const OP_OFFSET = 2;
export const OP_LENGTH = 3;
export const INTS_PER_OP = 4;

export const CONTROL_DATE_GENERATION = 0;
export const CONTROL_BLOCKED_COUNT = 1;
export const CONTROL_BLOCKED_IDS = 2;

export const CMD_PAUSE = 1;
export const CMD_RESUME = 2;
export const CMD_ABORT = 3;

/** Connection ids: slot in the low SLOT_BITS bits, a generation above. */
export const SLOT_BITS = 20;
export const SLOT_MASK = (1 << SLOT_BITS) - 1;
export const GENERATION_MASK = 0x7ff;

/** Server::kReadSize. */
export const READ_SIZE = 64 * 1024;

/** errno values of a client that left (EPIPE, ECONNRESET): an abort, not an error. */
export const ERRNO_EPIPE = 32;
export const ERRNO_ECONNRESET = 104;

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
  ): NativeHandle | NativeListenFailure;
  port(handle: NativeHandle): number;
  flush(handle: NativeHandle, opCount: number): number;
  writeLarge(handle: NativeHandle, id: number, bytes: Uint8Array, flags: number): number;
  control(handle: NativeHandle, id: number, command: number): number;
  sendFile(handle: NativeHandle, id: number, fd: number, offset: number, length: number): number;
  close(handle: NativeHandle): void;
  /** New handshakes use `tls`; returns why OpenSSL refused it (the old one stays). */
  updateTls(handle: NativeHandle, tls: NativeTlsConfig): string | undefined;
  /** [protocol, cipher, peerSubject, verify, clientCertRequested] of a TLS connection;
   * undefined otherwise. */
  tlsFacts(handle: NativeHandle, id: number): [string, string, string | undefined, string, boolean] | undefined;
}

/** The addon's TLS options (Addon.cc tlsConfigOf): EngineTls with the timeout in ms. */
export interface NativeTlsConfig {
  cert: string;
  key: string;
  ca: string | undefined;
  ciphers: string | undefined;
  minVersion: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  handshakeMs: number;
}

/** What the addon's listen takes: EngineOptions with the timeouts in milliseconds. */
export type NativeListenConfig = Omit<EngineOptions, 'logger' | 'keepAliveTimeout' | 'headersTimeout' | 'bodyTimeout' | 'sendTimeout' | 'tls'> & {
  tls: NativeTlsConfig | undefined;
  keepAliveMs: number;
  headersMs: number;
  bodyMs: number;
  sendMs: number;
};

/** Why the addon's listen failed: `errno` is a negative OS errno (0 when the arguments
 * were wrong), `syscall` the call that failed ("bind", "listen", …; "tls" when OpenSSL
 * refused the certificate, key or options). */
export interface NativeListenFailure {
  readonly errno: number;
  readonly syscall: string;
  readonly message: string;
}

/** Opaque external handle of one listening server. */
export type NativeHandle = { readonly __nativeHandle: unique symbol };
