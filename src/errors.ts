// Every failure tsgi reports to an app or a caller: one class per failure, a stable
// `code`, and a Symbol.for brand so `isTsgiError` works across copies of the package.
// `errorRegistry` (end of file) lists every code with its class; docs/errors.md holds
// the same table and test/errors/registry.test.ts keeps the two equal.

const BRAND = Symbol.for('tsgi.error');

export type TsgiErrorCode =
  | 'TSGI_ERR_INVALID_STATUS'
  | 'TSGI_ERR_INVALID_HEADER'
  | 'TSGI_ERR_START_RESPONSE_TWICE'
  | 'TSGI_ERR_NO_START_RESPONSE'
  | 'TSGI_ERR_WRITE_BEFORE_START'
  | 'TSGI_ERR_INVALID_CHUNK'
  | 'TSGI_ERR_INVALID_BODY'
  | 'TSGI_ERR_HEAD_EXPIRED'
  | 'TSGI_ERR_ENGINE_UNAVAILABLE'
  | 'TSGI_ERR_INVALID_OPTION'
  | 'TSGI_ERR_LISTEN'
  | 'TSGI_ERR_ABORTED'
  | 'TSGI_ERR_SENDFILE'
  | 'TSGI_ERR_EXCHANGE_STATE'
  | 'TSGI_ERR_REQUEST_TIMEOUT'
  | 'TSGI_ERR_FORM'
  | 'TSGI_ERR_TLS_CONFIG';

/** Base of all tsgi errors. App misuse errors are TypeErrors, as the issue asks. */
export class TsgiError extends TypeError {
  readonly code: TsgiErrorCode;
  /** `options.cause`: the error underneath (an OS error for ListenError, SendFileError). */
  constructor(code: TsgiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  get [BRAND](): true {
    return true;
  }
}

export function isTsgiError(error: unknown): error is TsgiError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

/** start_response got a status that is not "NNN Reason" (PEP 3333). */
export class InvalidStatusError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_INVALID_STATUS', message); }
}

/** start_response got a header that is malformed, not latin-1, or hop-by-hop. */
export class InvalidHeaderError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_INVALID_HEADER', message); }
}

/** start_response called again without excInfo (PEP 3333). */
export class StartResponseTwiceError extends TsgiError {
  constructor() { super('TSGI_ERR_START_RESPONSE_TWICE', 'start_response called a second time without excInfo (PEP 3333)'); }
}

/** The body produced data, or ended, before start_response was called. */
export class NoStartResponseError extends TsgiError {
  constructor() { super('TSGI_ERR_NO_START_RESPONSE', 'the application did not call start_response before its body produced output or ended'); }
}

/** write() called before start_response or after the response ended. */
export class WriteBeforeStartError extends TsgiError {
  constructor(message = 'write() called before start_response (PEP 3333)') { super('TSGI_ERR_WRITE_BEFORE_START', message); }
}

/** A body chunk that is neither a Uint8Array nor a string. */
export class InvalidChunkError extends TsgiError {
  constructor(got: unknown) {
    super('TSGI_ERR_INVALID_CHUNK', `body chunks must be Uint8Array or string, got ${got === null ? 'null' : typeof got}`);
  }
}

/** What a value is, for a message; never throws (a Proxy's traps may). */
function kindOf(got: unknown): string {
  if (got === undefined || got === null) return String(got);
  if (typeof got !== 'object') return `a ${typeof got}`;
  try {
    if (got instanceof Uint8Array) return 'a bare Uint8Array (wrap it in an array)';
  } catch { /* a Proxy whose getPrototypeOf throws */ }
  return 'an object that is neither iterable nor async iterable';
}

/** The app returned something that is not an iterable or async iterable, or the body's
 * iterator broke the iterator protocol (`message` then says how). */
export class InvalidBodyError extends TsgiError {
  constructor(got: unknown, message?: string) {
    super('TSGI_ERR_INVALID_BODY', message ?? `the application returned ${kindOf(got)}; expected an iterable of byte chunks`);
  }
}

/** environ read a key that was never computed, after the request was over: the request
 * head it comes from is gone (the engine reuses that memory for the next request). */
export class HeadExpiredError extends TsgiError {
  /** `key`: the key read; none when every key was listed ({ ...environ }, Object.keys).
   * `message`: an engine's own wording (a RequestHead read after its callback returned). */
  constructor(key?: string, message?: string) {
    const what = key === undefined ? 'every key of environ was listed' : `environ[${JSON.stringify(key)}] was first read`;
    super('TSGI_ERR_HEAD_EXPIRED', message ?? `${what} after the response ended, when the request head is gone; read the keys you need while handling the request, or keep a copy ({ ...environ }) made before returning`);
  }
}

/** The requested engine cannot run here; the message says why. */
export class EngineUnavailableError extends TsgiError {
  constructor(message: string, options?: ErrorOptions) { super('TSGI_ERR_ENGINE_UNAVAILABLE', message, options); }
}

/** A serveFast option has a wrong type or value. */
export class InvalidOptionError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_INVALID_OPTION', message); }
}

const messageOf = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/** The engine could not listen on the address (port in use, no permission, no such
 * address). The same code on every engine; `cause` is the operating system's error as
 * Node reports it (`code` EADDRINUSE, EACCES, …, `errno`, `syscall`). */
export class ListenError extends TsgiError {
  /** The OS error code (`cause.code`), e.g. 'EADDRINUSE'; undefined when there is none. */
  readonly osCode: string | undefined;
  constructor(address: string, cause: Error) {
    super('TSGI_ERR_LISTEN', `cannot listen on ${address}: ${messageOf(cause)}`, { cause });
    const code = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
    this.osCode = typeof code === 'string' ? code : undefined;
  }
}

/** The client left before the exchange finished: an engine reports it to a pending
 * operation (a sendFile callback). Not an application error; nothing is logged. */
export class ExchangeAbortedError extends TsgiError {
  constructor(message = 'the client left before the response was complete') { super('TSGI_ERR_ABORTED', message); }
}

/** Sending a wsgi.file_wrapper body failed in the kernel: sendfile(2) on the native
 * engine, read(2) where the file is streamed; `cause` is the OS error. */
export class SendFileError extends TsgiError {
  constructor(cause: Error) { super('TSGI_ERR_SENDFILE', `sending the file failed: ${messageOf(cause)}`, { cause }); }
}

/** An engine's Exchange was driven out of order (writeHead twice, a body before the head,
 * readBody twice): a bug in the caller of the engine contract, never in an app. */
export class ExchangeStateError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_EXCHANGE_STATE', message); }
}

/** A request body given to parseForm / parseMultipart (tsgi/util) is malformed or too
 * large; `status` is what to answer: 400, or 413 past a limit. */
export class FormError extends TsgiError {
  readonly status: 400 | 413;
  constructor(message: string, status: 400 | 413 = 400) {
    super('TSGI_ERR_FORM', message);
    this.status = status;
  }
}

/** A TLS certificate, key or option cannot be used (not PEM, wrong passphrase, key does
 * not match the certificate, unknown option); the message says which, in one line.
 * `cause` is the error underneath when there is one. */
export class TlsConfigError extends TsgiError {
  constructor(message: string, options?: ErrorOptions) { super('TSGI_ERR_TLS_CONFIG', message, options); }
}

type ErrorClass = abstract new (...args: never[]) => TsgiError;

/** Every error code tsgi raises and the class that carries it. docs/errors.md documents
 * exactly these (test/errors/registry.test.ts). */
/** requestTimeout (the CLI's --request-timeout): the request overran its deadline. Given to
 * start_response as excInfo with the 503, or thrown from the body once the head is out. */
export class RequestTimeoutError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_REQUEST_TIMEOUT', message); }
}

export const errorRegistry: { readonly [K in TsgiErrorCode]: ErrorClass } = {
  TSGI_ERR_INVALID_STATUS: InvalidStatusError,
  TSGI_ERR_INVALID_HEADER: InvalidHeaderError,
  TSGI_ERR_START_RESPONSE_TWICE: StartResponseTwiceError,
  TSGI_ERR_NO_START_RESPONSE: NoStartResponseError,
  TSGI_ERR_WRITE_BEFORE_START: WriteBeforeStartError,
  TSGI_ERR_INVALID_CHUNK: InvalidChunkError,
  TSGI_ERR_INVALID_BODY: InvalidBodyError,
  TSGI_ERR_HEAD_EXPIRED: HeadExpiredError,
  TSGI_ERR_ENGINE_UNAVAILABLE: EngineUnavailableError,
  TSGI_ERR_INVALID_OPTION: InvalidOptionError,
  TSGI_ERR_LISTEN: ListenError,
  TSGI_ERR_ABORTED: ExchangeAbortedError,
  TSGI_ERR_SENDFILE: SendFileError,
  TSGI_ERR_EXCHANGE_STATE: ExchangeStateError,
  TSGI_ERR_REQUEST_TIMEOUT: RequestTimeoutError,
  TSGI_ERR_FORM: FormError,
  TSGI_ERR_TLS_CONFIG: TlsConfigError,
};
