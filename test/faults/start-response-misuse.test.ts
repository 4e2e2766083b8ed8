// The app misuses start_response or the body contract (twice without excInfo, bad
// status, header injection, hop-by-hop header, no start_response, non-iterable body,
// non-bytes chunk, excInfo after the first chunk): same checks as app-errors.test.ts.
import { describe, it } from 'vitest';
import { engines } from '../helpers/server.js';
import { appScenarios, isMisuse, runScenario } from './app-fault-scenarios.js';

describe.each(engines)('start_response misuse on %s', (engine) => {
  it.each(appScenarios.filter(isMisuse))('$name', (s) => runScenario(engine, s));
});
