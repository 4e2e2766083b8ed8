// environ: the lazy Proxy of src/environ.ts against building every key up front
// ("eager", a plain object, as most WSGI servers do), reading 0, 1 or all keys.

import { Bench } from 'tinybench';
import { createEnviron, headerKey, type EnvironDefaults } from '../../src/environ.js';
import { createErrorStream } from '../../src/error-stream.js';
import { fileWrapper } from '../../src/file-wrapper.js';
import { BodyInput } from '../../src/input.js';
import { decodePathInfo } from '../../src/request-target.js';
import type { Environ } from '../../src/types.js';
import { FakeHead } from './fake-head.js';

const defaults: EnvironDefaults = {
  urlScheme: 'http', multiprocess: false, errors: createErrorStream({ error: () => {} }), fileWrapper, serverName: '127.0.0.1',
};
const head = new FakeHead();
const input = BodyInput.empty();

/** What an eager server does: every CGI, wsgi.* and HTTP_ key computed per request. */
function eagerEnviron(): Record<string, unknown> {
  const target = head.target;
  const q = target.indexOf('?');
  const host = head.header('host') ?? '';
  const colon = host.lastIndexOf(':');
  const env: Record<string, unknown> = {
    REQUEST_METHOD: head.method,
    SCRIPT_NAME: '',
    PATH_INFO: decodePathInfo(q === -1 ? target : target.slice(0, q)),
    QUERY_STRING: q === -1 ? '' : target.slice(q + 1),
    SERVER_NAME: colon === -1 ? host : host.slice(0, colon),
    SERVER_PORT: colon === -1 ? '80' : host.slice(colon + 1),
    SERVER_PROTOCOL: 'HTTP/1.1',
    REMOTE_ADDR: head.remoteAddress,
    REMOTE_PORT: String(head.remotePort),
    'wsgi.version': [1, 0],
    'wsgi.url_scheme': defaults.urlScheme,
    'wsgi.input': input,
    'wsgi.errors': defaults.errors,
    'wsgi.multithread': false,
    'wsgi.multiprocess': false,
    'wsgi.run_once': false,
    'wsgi.input_terminated': true,
    'wsgi.file_wrapper': defaults.fileWrapper,
  };
  for (let i = 0; i < head.headerCount(); i++) {
    const key = headerKey(head.headerName(i));
    if (key !== undefined) env[key] = env[key] === undefined ? head.headerValue(i) : `${String(env[key])}, ${head.headerValue(i)}`;
  }
  return env;
}

const lazy = (): Environ => createEnviron({ head, defaults, input });
let sink: unknown;

export function environBench(): Bench {
  const bench = new Bench({ name: 'environ (15-header browser request)', time: 500 });
  bench
    .add('lazy, 0 keys read', () => { sink = lazy(); })
    .add('eager, 0 keys read', () => { sink = eagerEnviron(); })
    .add('lazy, 1 key read (PATH_INFO)', () => { sink = lazy().PATH_INFO; })
    .add('eager, 1 key read (PATH_INFO)', () => { sink = eagerEnviron().PATH_INFO; })
    .add('lazy, 6 keys read (scenario headers)', () => {
      const e = lazy();
      sink = [e.REQUEST_METHOD, e.PATH_INFO, e.QUERY_STRING, e.HTTP_HOST, e.HTTP_USER_AGENT, e.HTTP_ACCEPT_LANGUAGE];
    })
    .add('eager, 6 keys read (scenario headers)', () => {
      const e = eagerEnviron();
      sink = [e.REQUEST_METHOD, e.PATH_INFO, e.QUERY_STRING, e.HTTP_HOST, e.HTTP_USER_AGENT, e.HTTP_ACCEPT_LANGUAGE];
    })
    .add('lazy, all keys read ({...environ})', () => { sink = { ...lazy() }; })
    .add('eager, all keys read ({...environ})', () => { sink = { ...eagerEnviron() }; });
  return bench;
}

export const keepAlive = (): unknown => sink;
