// tsgi/adapters: run tsgi apps inside other servers and run other handlers as tsgi apps.

export { toNodeListener, type NodeListener, type NodeListenerOptions } from './node.js';
export { fromFetch, toFetch, environToRequest, type EnvironToRequestOptions, type FetchHandler, type FromFetchOptions, type ToFetchOptions } from './fetch.js';
export { LightResponse, overrideGlobalResponse } from './light-response.js';
export type { BodyLimits } from './receive.js';
