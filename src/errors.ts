// Every failure tsgi reports to an app or a caller: one class per failure, a stable
// `code`, and a Symbol.for brand so `isTsgiError` works across copies of the package.

const BRAND = Symbol.for('tsgi.error');

export type TsgiErrorCode =
  | 'TSGI_ERR_INVALID_STATUS'
  | 'TSGI_ERR_INVALID_HEADER'
  | 'TSGI_ERR_START_RESPONSE_TWICE'
  | 'TSGI_ERR_NO_START_RESPONSE'
  | 'TSGI_ERR_WRITE_BEFORE_START'
  | 'TSGI_ERR_INVALID_CHUNK'
  | 'TSGI_ERR_INVALID_BODY'
  | 'TSGI_ERR_ENGINE_UNAVAILABLE'
  | 'TSGI_ERR_INVALID_OPTION';

/** Base of all tsgi errors. App misuse errors are TypeErrors, as the issue asks. */
export class TsgiError extends TypeError {
  readonly code: TsgiErrorCode;
  constructor(code: TsgiErrorCode, message: string) {
    super(message);
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

/** The app returned something that is not an iterable or async iterable. */
export class InvalidBodyError extends TsgiError {
  constructor(got: unknown) {
    super('TSGI_ERR_INVALID_BODY', `the application must return an iterable or async iterable of chunks, got ${got === null ? 'null' : typeof got}`);
  }
}

/** The requested engine cannot run here; the message says why. */
export class EngineUnavailableError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_ENGINE_UNAVAILABLE', message); }
}

/** A serveFast option has a wrong type or value. */
export class InvalidOptionError extends TsgiError {
  constructor(message: string) { super('TSGI_ERR_INVALID_OPTION', message); }
}
