import { describe, expect, it } from 'vitest';
import type { App } from '../../src/types.js';
import { mount } from '../../src/middleware/index.js';
import { testClient } from '../../src/testing/index.js';
import { requestUri } from '../../src/util/index.js';
import { validator } from '../../src/validate/index.js';

const where = (name: string): App => (e, sr) => {
  sr('200 OK', [['Content-Type', 'application/json']]);
  return [JSON.stringify({ name, script: e.SCRIPT_NAME, path: e.PATH_INFO, url: requestUri(e) })];
};

describe('mount', () => {
  const app = validator(mount({ '/api': where('api'), '/api/v2/': where('v2'), '/café': where('cafe'), '/': where('root') }));
  const client = testClient(app);

  it('moves the matched prefix from PATH_INFO to SCRIPT_NAME (PEP 3333 "URL Reconstruction")', async () => {
    expect((await client.get('/api/users/7?x=1')).json()).toEqual({ name: 'api', script: '/api', path: '/users/7', url: 'http://localhost/api/users/7?x=1' });
    expect((await client.get('/api')).json()).toMatchObject({ name: 'api', script: '/api', path: '' });
  });

  it('prefers the longest prefix and matches whole segments only', async () => {
    expect((await client.get('/api/v2/items')).json()).toMatchObject({ name: 'v2', script: '/api/v2', path: '/items' });
    expect((await client.get('/apix')).json()).toMatchObject({ name: 'root', script: '', path: '/apix' });
  });

  it('matches non-ASCII prefixes against the latin-1 PATH_INFO bytes', async () => {
    expect((await client.get('/caf%C3%A9/menu')).json()).toMatchObject({ name: 'cafe', path: '/menu' });
  });

  it('nests, appending to SCRIPT_NAME', async () => {
    const nested = testClient(mount({ '/outer': mount({ '/inner': where('in') }) }));
    expect((await nested.get('/outer/inner/leaf')).json()).toMatchObject({ script: '/outer/inner', path: '/leaf' });
  });

  it('falls back to the fallback app, else 404', async () => {
    const withFallback = testClient(mount({ '/a': where('a') }, where('fb')));
    expect((await withFallback.get('/zzz')).json()).toMatchObject({ name: 'fb' });
    const bare = await testClient(validator(mount({ '/a': where('a') }))).get('/zzz');
    expect(bare.status).toBe(404);
  });

  it('rejects bad tables', () => {
    expect(() => mount({ api: where('x') })).toThrow(/start with/);
    expect(() => mount({ '/x': 'nope' as unknown as App })).toThrow(TypeError);
  });
});
