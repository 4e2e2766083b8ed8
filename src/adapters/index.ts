// tsgi/adapters: run tsgi apps inside other servers and run other handlers as tsgi apps.

export { toNodeListener, type NodeListener, type NodeListenerOptions } from './node.js';
export { fromFetch, toFetch, environToRequest, type FetchHandler, type ToFetchOptions } from './fetch.js';
export { BodyTooLargeError, type BodyLimits } from './receive.js';
