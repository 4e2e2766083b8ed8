// tsgi/validate: validator(app), lint middleware in the spirit of wsgiref.validate. It
// sits between a server and an app and checks both sides of PEP 3333 as the request
// runs; a broken rule throws a ValidationError whose message starts with the rule id.
// It accepts what tsgi adds to PEP 3333: string chunks, async bodies, apps returning a
// Promise, and start_response called inside the first step of a generator.

import type { App, Body, Chunk, Environ, ErrorStream, InputStream, StartResponse, WriteCallable } from '../types.js';
import { wrapBody, ResponseState } from './body.js';
import { checkEnviron } from './environ.js';
import { checkHeaders, checkStatus } from './response.js';
import { reporter, show, type ValidatorOptions } from './rules.js';
import { wrapErrors, wrapInput } from './streams.js';

export { ValidationError, isValidationError, type ValidationRule, type ValidatorOptions } from './rules.js';

export function validator(app: App, options: ValidatorOptions = {}): App {
  if (typeof app !== 'function') throw new TypeError(`validator(app): app must be a function, got ${typeof app}`);
  const report = reporter(options);

  return function validated(this: unknown, environ: Environ, startResponse: StartResponse): Body | Promise<Body> {
    if (arguments.length !== 2) report.fail('app-arguments', `an application is called with exactly (environ, startResponse), got ${arguments.length} arguments (PEP 3333)`);
    checkEnviron(environ, report);
    if (typeof startResponse !== 'function') report.fail('start-response-args', `startResponse must be a function, got ${show(startResponse)}`);
    environ['wsgi.input'] = wrapInput(environ['wsgi.input'] as InputStream, report);
    environ['wsgi.errors'] = wrapErrors(environ['wsgi.errors'] as ErrorStream, report);
    const state = new ResponseState();

    // PEP 3333 "The start_response() Callable".
    const checkedStart = function (status: string, headers: [string, string][], excInfo?: unknown): WriteCallable {
      if (arguments.length < 2 || arguments.length > 3) {
        report.fail('start-response-args', `start_response takes (status, headers[, excInfo]), got ${arguments.length} arguments`);
      }
      const hasExcInfo = excInfo !== undefined && excInfo !== null;
      if (state.started && !hasExcInfo) report.fail('start-response-twice', 'start_response was called a second time without excInfo (PEP 3333)');
      if (state.closed) report.fail('start-response-twice', 'start_response was called after the body was closed');
      const code = checkStatus(status, report);
      checkHeaders(headers, code, report);
      state.started = true;
      const write = startResponse(status, headers, excInfo);
      if (typeof write !== 'function') report.fail('start-response-args', `start_response must return a write callable, got ${show(write)} (server bug)`);
      // PEP 3333 "The write() Callable".
      return (chunk: Chunk): void => {
        if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
          report.fail('write-type', `write() takes a Uint8Array or string, got ${show(chunk)} (PEP 3333 "The write() Callable")`);
        }
        if (state.closed) report.fail('write-order', 'write() was called after the body was closed');
        write(chunk);
      };
    };

    const result = app(environ, checkedStart as StartResponse);
    if (result !== null && typeof result === 'object' && typeof (result as Promise<Body>).then === 'function' && !isBodyLike(result)) {
      return (result as Promise<Body>).then((body) => wrapBody(body, state, report));
    }
    return wrapBody(result as Body, state, report);
  };
}

const isBodyLike = (value: object): boolean => Symbol.iterator in value || Symbol.asyncIterator in value;
