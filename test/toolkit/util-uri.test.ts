import { describe, expect, it } from 'vitest';
import type { Environ } from '../../src/types.js';
import {
  applicationUri, latin1ToUtf8, pathInfoText, requestUri, setupTestingDefaults, shiftPathInfo, utf8ToLatin1,
} from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';

const env = (extra: Record<string, unknown>): Environ => setupTestingDefaults({ ...extra });

describe('util URIs (wsgiref.util)', () => {
  it('applicationUri and requestUri rebuild the URL (PEP 3333 "URL Reconstruction")', () => {
    const e = env({ HTTP_HOST: 'example.com:8080', SCRIPT_NAME: '/app', PATH_INFO: '/a b/c;d', QUERY_STRING: 'x=1' });
    expect(applicationUri(e)).toBe('http://example.com:8080/app');
    expect(requestUri(e)).toBe('http://example.com:8080/app/a%20b/c;d?x=1');
    expect(requestUri(e, false)).toBe('http://example.com:8080/app/a%20b/c;d');
  });

  it('uses SERVER_NAME and a non-default port when there is no Host', () => {
    const e = env({ SERVER_NAME: 'srv', SERVER_PORT: '8443', 'wsgi.url_scheme': 'https', PATH_INFO: '/' });
    delete e.HTTP_HOST;
    expect(applicationUri(e)).toBe('https://srv:8443/');
    e.SERVER_PORT = '443';
    expect(requestUri(e)).toBe('https://srv/');
  });

  it('quotes latin-1 PATH_INFO bytes (UTF-8 é is two bytes)', () => {
    const e = env({ PATH_INFO: utf8ToLatin1('/café') });
    expect(requestUri(e)).toBe('http://127.0.0.1/caf%C3%A9');
    expect(pathInfoText(e)).toBe('/café');
    expect(latin1ToUtf8('\xc3\xa9')).toBe('é');
  });

  it('shiftPathInfo moves one segment at a time', () => {
    const e = env({ SCRIPT_NAME: '/a', PATH_INFO: '/b/./c//d' });
    expect(shiftPathInfo(e)).toBe('b');
    expect([e.SCRIPT_NAME, e.PATH_INFO]).toEqual(['/a/b', '/c/d']);
    expect(shiftPathInfo(e)).toBe('c');
    expect(shiftPathInfo(e)).toBe('d');
    expect([e.SCRIPT_NAME, e.PATH_INFO]).toEqual(['/a/b/c/d', '']);
    expect(shiftPathInfo(e)).toBeUndefined();
  });

  it('shiftPathInfo on a trailing slash and on "/."', () => {
    const e = env({ SCRIPT_NAME: '/a', PATH_INFO: '/' });
    expect(shiftPathInfo(e)).toBe('');
    expect([e.SCRIPT_NAME, e.PATH_INFO]).toEqual(['/a/', '']);
    const dot = env({ SCRIPT_NAME: '', PATH_INFO: '/.' });
    expect(shiftPathInfo(dot)).toBeUndefined();
    expect(dot.PATH_INFO).toBe('');
  });

  it('setupTestingDefaults gives an environ the validator accepts, keeping given keys', () => {
    const e = setupTestingDefaults({ PATH_INFO: '/x', REQUEST_METHOD: 'POST' });
    expect(e.REQUEST_METHOD).toBe('POST');
    expect(e.SCRIPT_NAME).toBe('');
    expect(e['wsgi.version']).toEqual([1, 0]);
    expect(e.SERVER_PORT).toBe('80');
    const app = validator((_env, sr) => { sr('200 OK', [['Content-Type', 'text/plain']]); return ['ok']; });
    const body = app(e, () => () => {}) as Iterable<string> & { close(): void };
    expect([...body]).toEqual(['ok']);
    body.close();
  });
});
