// The error the validator throws, and where its warnings go. Every failure names the
// rule broken and the PEP 3333 section (or RFC) it comes from.

const BRAND = Symbol.for('tsgi.validationError');

/** Rule identifiers: stable, so tests and tools can match on them. */
export type ValidationRule =
  | 'environ-type' | 'environ-missing-key' | 'environ-http-content' | 'environ-native-string'
  | 'wsgi-version' | 'wsgi-url-scheme' | 'wsgi-flag-type' | 'wsgi-input' | 'wsgi-errors'
  | 'wsgi-file-wrapper' | 'request-method' | 'script-name' | 'path-info' | 'content-length'
  | 'query-string'
  | 'start-response-args' | 'start-response-twice' | 'status-type' | 'status-form'
  | 'status-reason' | 'headers-type' | 'header-name' | 'header-value' | 'header-hop-by-hop'
  | 'content-type' | 'write-type' | 'write-order'
  | 'app-arguments' | 'body-type' | 'body-chunk-type' | 'body-before-start-response'
  | 'body-no-start-response' | 'body-iterated-twice' | 'body-read-after-close' | 'body-close-twice'
  | 'input-argument' | 'input-result' | 'input-close' | 'errors-argument' | 'errors-close';

export class ValidationError extends Error {
  constructor(readonly rule: ValidationRule, message: string) {
    super(`[${rule}] ${message}`);
    this.name = 'ValidationError';
  }
  get [BRAND](): true {
    return true;
  }
}

export function isValidationError(error: unknown): error is ValidationError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[BRAND] === true;
}

export interface ValidatorOptions {
  /** Called for things PEP 3333 advises against but allows. Default: process.emitWarning. */
  onWarning?: (message: string, rule: ValidationRule) => void;
}

export type Report = {
  fail(rule: ValidationRule, message: string): never;
  warn(rule: ValidationRule, message: string): void;
};

export function reporter(options: ValidatorOptions): Report {
  const onWarning = options.onWarning ?? ((message: string, rule: ValidationRule) => process.emitWarning(message, { type: 'WSGIWarning', code: rule }));
  return {
    fail(rule, message) {
      throw new ValidationError(rule, message);
    },
    warn(rule, message) {
      onWarning(`[${rule}] ${message}`, rule);
    },
  };
}

/** Short printable form of any value for messages. */
export function show(value: unknown): string {
  try {
    if (value === undefined || value === null) return String(value);
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
    // A Buffer is named as one: "got Buffer(5)", not a generic Uint8Array.
    if (value instanceof Uint8Array) return `${value.constructor?.name ?? 'Uint8Array'}(${value.length})`;
    if (Array.isArray(value)) return `array(${value.length})`;
    if (typeof value === 'function') return `a function${value.name ? ` ${value.name}` : ''}`;
    if (typeof value !== 'object') return `${typeof value} ${String(value)}`;
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && name !== 'Object') return `a ${name}`;
    return `an object with keys [${Object.keys(value).slice(0, 8).join(', ')}]`;
  } catch {
    return 'a value that cannot be inspected (a Proxy whose traps throw)';
  }
}
