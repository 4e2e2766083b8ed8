// The wrappers the CLI puts around an app, outermost first:
//   proxy headers → (request counter) → access log → request timeout → app
// so the access log sees the client's address and the 503 of a timed-out request.
// A wrapper exists only when its option is on: with the access log off there is no
// per-request log code at all.

import type { App } from '../types.js';
import { withAccessLog } from './access-log.js';
import type { CliConfig } from './options.js';
import { withProxyHeaders } from './proxy-headers.js';
import { withRequestTimeout } from './request-timeout.js';

export interface ComposeHooks {
  /** Receives each access log line (without newline). */
  accessLine?: (line: string) => void;
  /** Called once per request, before the app (for --max-requests). */
  onRequest?: () => void;
}

export function composeApp(app: App, config: CliConfig, hooks: ComposeHooks): App {
  let wrapped = app;
  if (config.requestTimeout > 0) wrapped = withRequestTimeout(wrapped, config.requestTimeout);
  if (config.accessLog !== undefined && hooks.accessLine) wrapped = withAccessLog(wrapped, config.accessLogFormat, hooks.accessLine);
  const onRequest = hooks.onRequest;
  if (onRequest) {
    const inner = wrapped;
    wrapped = (environ, startResponse) => {
      onRequest();
      return inner(environ, startResponse);
    };
  }
  if (config.forwardedAllowIps.length > 0) wrapped = withProxyHeaders(wrapped, config.forwardedAllowIps);
  return wrapped;
}
