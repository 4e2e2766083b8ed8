// tsgi: PEP 3333 (WSGI) for TypeScript on Node.js.
export { serveFast } from './serve.js';
export { availableEngines } from './engines/index.js';
export { FileWrapper } from './file-wrapper.js';
export * from './errors.js';
export type * from './types.js';
