// The middleware the CLI puts around an app, outermost first:
//   proxyFix → (request counter) → accessLog → requestTimeout → app
// so the access log sees the client's address and the 503 of a timed-out request. Each
// exists only when its option is on: with the access log off there is no per-request log
// code at all. They are the same middleware an app can use with serveFast
// (tsgi/middleware).

import { accessLog } from '../middleware/access-log.js';
import { proxyFix, type ProxyFixOptions } from '../middleware/proxy-fix.js';
import { requestTimeout } from '../middleware/request-timeout.js';
import type { App } from '../types.js';
import type { CliConfig } from './options.js';

export interface ComposeHooks {
  /** Receives each access log line (without newline). */
  accessLine?: (line: string) => void;
  /** Called once per request, before the app (for --max-requests). */
  onRequest?: () => void;
}

/** --forwarded-allow-ips: X-Forwarded-For, -Proto and -Host (or RFC 7239 Forwarded when
 * none of them is present) from the listed peers, as gunicorn's forwarded_allow_ips. */
export function forwardedAllowIps(ips: readonly string[]): ProxyFixOptions {
  return { trustedProxies: ips, xFor: 1, xProto: 1, xHost: 1, forwarded: true };
}

export function composeApp(app: App, config: CliConfig, hooks: ComposeHooks): App {
  let wrapped = app;
  if (config.requestTimeout > 0) wrapped = requestTimeout(wrapped, { seconds: config.requestTimeout });
  if (config.accessLog !== undefined && hooks.accessLine) wrapped = accessLog(wrapped, { format: config.accessLogFormat, write: hooks.accessLine });
  const onRequest = hooks.onRequest;
  if (onRequest) {
    const inner = wrapped;
    wrapped = (environ, startResponse) => {
      onRequest();
      return inner(environ, startResponse);
    };
  }
  if (config.forwardedAllowIps.length > 0) wrapped = proxyFix(wrapped, forwardedAllowIps(config.forwardedAllowIps));
  return wrapped;
}
