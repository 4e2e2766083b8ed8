// Conformance corpus on the 'uws' engine (see suite.ts).
import { runConformanceSuite } from './suite.js';

runConformanceSuite('uws');
