// Checks on the response iterable (PEP 3333 "The Application/Framework Side",
// "Buffering and Streaming"): its type, its chunks, that start_response came before the
// first body bytes, that it is iterated once, and that the server calls close() once.

import { FileWrapper } from '../file-wrapper.js';
import type { Body } from '../types.js';
import { show, type Report } from './rules.js';

/** What the validator knows about one response. */
export class ResponseState {
  started = false;
  closed = false;
}

const unclosed = new FinalizationRegistry<() => void>((warn) => warn());

function checkStep(step: IteratorResult<unknown>, state: ResponseState, report: Report): void {
  if (step.done) {
    if (!state.started) report.fail('body-no-start-response', 'the body ended but start_response was never called (PEP 3333 "The start_response() Callable")');
    return;
  }
  const chunk = step.value;
  if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) {
    report.fail('body-chunk-type', `body chunks must be Uint8Array or string, got ${show(chunk)} (PEP 3333 "Unicode Issues")`);
  }
  if (!state.started && chunk.length > 0) {
    report.fail('body-before-start-response', 'the body yielded data before start_response was called (PEP 3333: "the application must invoke start_response before the iterable yields its first body bytestring")');
  }
}

/** Wrap `body` so every step is checked; the wrapper has close() and keeps the body's kind
 * (sync iterable, async iterable, FileWrapper for sendfile). */
export function wrapBody(body: Body, state: ResponseState, report: Report): Body {
  if (body === null || typeof body !== 'object' || typeof body === 'string' || body instanceof Uint8Array) {
    report.fail('body-type', `the application must return an iterable or async iterable of chunks (not a string or bare bytes), got ${show(body)} (PEP 3333)`);
  }
  const original = body as Body & { close?: () => void };
  const isSync = typeof (original as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (!isSync && typeof (original as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') {
    report.fail('body-type', `the application returned ${show(body)}, which is neither iterable nor async iterable (PEP 3333)`);
  }
  let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
  let done = false;
  const token = {};
  unclosed.register(token, () => process.emitWarning('[body-close] a response body was garbage-collected before the server called close() (PEP 3333)', { type: 'WSGIWarning' }), token);

  const open = (): void => {
    if (state.closed) report.fail('body-read-after-close', 'the body was iterated after close()');
    if (iterator) report.fail('body-iterated-twice', 'the body was iterated twice; a server iterates it once');
  };
  const after = (step: IteratorResult<unknown>): IteratorResult<unknown> => {
    if (state.closed) report.fail('body-read-after-close', 'the body was read after close()');
    checkStep(step, state, report);
    if (step.done) done = true;
    return step;
  };
  const close = (): void => {
    if (state.closed) report.fail('body-close-twice', 'close() was called twice on the body; servers call it exactly once (PEP 3333)');
    state.closed = true;
    unclosed.unregister(token);
    if (typeof original.close === 'function') original.close();
    else if (iterator && !done) {
      const r = iterator.return?.() as unknown;
      if (r instanceof Promise) r.catch(() => {});
    }
  };

  if (original instanceof FileWrapper) {
    // A Proxy keeps `instanceof FileWrapper` true, so servers can still sendfile it.
    return new Proxy(original, {
      get(target, key, receiver) {
        if (key === 'close') return close;
        if (key === Symbol.asyncIterator) {
          return () => {
            open();
            if (!state.started) report.fail('body-before-start-response', 'a file body was read before start_response was called (PEP 3333)');
            iterator = target[Symbol.asyncIterator]();
            const it = iterator;
            return { next: async () => after(await it.next()), return: async () => ({ done: true, value: undefined }) };
          };
        }
        return Reflect.get(target, key, receiver);
      },
    });
  }
  if (isSync) {
    return {
      [Symbol.iterator](): Iterator<never> {
        open();
        const it = (iterator = (original as Iterable<unknown>)[Symbol.iterator]());
        return { next: () => after(it.next()) as IteratorResult<never> };
      },
      close,
    } as Iterable<never> & { close(): void };
  }
  return {
    [Symbol.asyncIterator](): AsyncIterator<never> {
      open();
      const it = (iterator = (original as AsyncIterable<unknown>)[Symbol.asyncIterator]());
      return { next: async () => after(await it.next()) as IteratorResult<never> };
    },
    close,
  } as AsyncIterable<never> & { close(): void };
}
