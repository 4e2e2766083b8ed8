import { describe, expect, it } from 'vitest';
import { Headers } from '../../src/util/index.js';

describe('util Headers (wsgiref.headers.Headers)', () => {
  it('is case-insensitive and keeps order and repeats', () => {
    const h = new Headers([['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1']]);
    h.add('set-cookie', 'b=2');
    expect(h.get('content-type')).toBe('text/plain');
    expect(h.get('SET-COOKIE')).toBe('a=1');
    expect(h.getAll('Set-Cookie')).toEqual(['a=1', 'b=2']);
    expect(h.toList()).toEqual([['Content-Type', 'text/plain'], ['Set-Cookie', 'a=1'], ['set-cookie', 'b=2']]);
    expect([...h]).toEqual(h.toList());
    expect(h.length).toBe(3);
  });

  it('set replaces every field of that name; delete removes all; has', () => {
    const h = new Headers([['X-A', '1'], ['x-a', '2'], ['X-B', '3']]);
    h.set('X-A', '9');
    expect(h.toList()).toEqual([['X-B', '3'], ['X-A', '9']]);
    expect(h.delete('x-b')).toBe(true);
    expect(h.delete('x-b')).toBe(false);
    expect(h.has('X-B')).toBe(false);
    expect(h.has('x-a')).toBe(true);
  });

  it('setdefault returns the existing value or adds', () => {
    const h = new Headers();
    expect(h.setdefault('Vary', 'Accept')).toBe('Accept');
    expect(h.setdefault('vary', 'Origin')).toBe('Accept');
    expect(h.getAll('vary')).toEqual(['Accept']);
  });

  it('addHeader formats parameters like wsgiref add_header', () => {
    const h = new Headers();
    h.addHeader('Content-Disposition', 'attachment', { filename: 'a b.txt' });
    h.addHeader('X-Flags', null, { no_cache: true, max_age: 5, skip: undefined, quoted: 'say "hi"' });
    expect(h.get('content-disposition')).toBe('attachment; filename="a b.txt"');
    expect(h.get('x-flags')).toBe('no-cache; max-age=5; quoted="say \\"hi\\""');
  });

  it('refuses CR, LF and NUL (header injection)', () => {
    const h = new Headers();
    expect(() => h.add('X-Evil', 'a\r\nSet-Cookie: x=1')).toThrow(TypeError);
    expect(() => h.set('X\nY', 'v')).toThrow(TypeError);
    expect(() => h.add('X', 'a\0')).toThrow(/NUL/);
  });

  it('entries, keys, values, toString', () => {
    const h = new Headers([['A', '1'], ['B', '2']]);
    expect([...h.entries()]).toEqual([['A', '1'], ['B', '2']]);
    expect(h.keys()).toEqual(['A', 'B']);
    expect(h.values()).toEqual(['1', '2']);
    expect(h.toString()).toBe('A: 1\r\nB: 2\r\n\r\n');
  });
});
