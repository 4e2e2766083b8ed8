// The app throws or rejects at every phase: before start_response, after it, mid-
// iteration, in close(), in write(). Every time the client gets a 500 (nothing was sent
// yet) or a visibly truncated response, close() runs exactly once when there is a body,
// no descriptor leaks, memory does not grow, and the server answers the next request.
import { describe, it } from 'vitest';
import { engines } from '../helpers/server.js';
import { appScenarios, isMisuse, runScenario } from './app-fault-scenarios.js';

describe.each(engines)('app errors on %s', (engine) => {
  it.each(appScenarios.filter((s) => !isMisuse(s)))('$name', (s) => runScenario(engine, s));
});
