// The one keep-alive decision (src/keep-alive.ts) and the one header join (contract.ts
// joinHeader) that every engine's RequestHead.header() uses.
import { describe, expect, it } from 'vitest';
import { ConnectionToken, Framing, joinHeader } from '../../src/contract.js';
import { responseConnection } from '../../src/keep-alive.js';
import { PlainRequestHead } from '../../src/util/request-head.js';

describe('responseConnection (RFC 9112 §9.3, §9.6)', () => {
  it.each([
    [true, 1, Framing.Length, false, ConnectionToken.Default],
    [true, 1, Framing.Chunked, false, ConnectionToken.Default],
    [true, 0, Framing.Length, false, ConnectionToken.KeepAlive],
    [true, 0, Framing.Close, false, ConnectionToken.Close], // HTTP/1.0 stream: ends by closing
    [false, 1, Framing.Length, false, ConnectionToken.Close],
    [false, 0, Framing.Length, false, ConnectionToken.Close],
    [true, 1, Framing.Length, true, ConnectionToken.Close], // server shutting down
    [true, 1, Framing.None, false, ConnectionToken.Default],
  ])('request keep-alive %s, HTTP/1.%i, framing %i, closing %s → token %i', (keepAlive, minor, framing, closing, token) => {
    expect(responseConnection(keepAlive, minor, framing, closing)).toBe(token);
  });
});

describe('joinHeader (RFC 9110 §5.3)', () => {
  const head = new PlainRequestHead({ method: 'GET', target: '/', headers: ['Accept', 'a', 'X', '1', 'ACCEPT', 'b', 'accept', ''] });
  it('joins every field of the name, in order, with ", ", case-insensitively', () => {
    expect(joinHeader(head, 'accept')).toBe('a, b, ');
    expect(head.header('accept')).toBe('a, b, ');
    expect(head.header('x')).toBe('1');
    expect(head.header('missing')).toBeUndefined();
  });
});
