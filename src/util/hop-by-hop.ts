// PEP 3333 "Other HTTP Features": hop-by-hop headers (RFC 9110 §7.6.1) belong to the
// server; an application must not send them. The one list: start_response refuses them
// (headers.ts), the validator reports them, the fetch adapter drops them.
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade',
]);
