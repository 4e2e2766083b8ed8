// The kinds of work a bench server does; several scenarios share one (hello serves
// "hello", "pipelined" and "idle").
export type AppKind = 'hello' | 'headers' | 'upload' | 'stream' | 'async' | 'file' | 'hono' | 'tfb';
export const APP_KINDS: readonly AppKind[] = ['hello', 'headers', 'upload', 'stream', 'async', 'file', 'hono', 'tfb'];
