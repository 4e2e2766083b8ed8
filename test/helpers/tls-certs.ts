// The TLS fixture of the tests; the benchmarks use the same certificates, so the one
// implementation lives in bench/lib/tls-certs.ts.
export * from '../../bench/lib/tls-certs.js';
