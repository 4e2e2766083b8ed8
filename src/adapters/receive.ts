// The request-body limits the adapters take, as serveFast does: a body larger than
// maxBodySize gets 413 before the app runs (RFC 9110 §15.5.14); bodies larger than
// bodyMemoryLimit spool to an unlinked temporary file, so wsgi.input stays synchronous
// (PEP 3333 "Input and Error Streams") without holding large bodies in memory. The
// gateway's own receiver (src/body-receiver.ts) applies them.

export interface BodyLimits {
  /** Larger bodies are refused with 413. Default 1 GiB. */
  maxBodySize?: number;
  /** Larger bodies spool to a temporary file. Default 1 MiB. */
  bodyMemoryLimit?: number;
}
