// The smallest tsgi application: PEP 3333's "hello world".
import type { App } from 'tsgi';

export const app: App = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']]);
  return ['Hello, World!'];
};
