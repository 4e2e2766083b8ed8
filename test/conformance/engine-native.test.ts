// Conformance corpus on the 'native' engine (see suite.ts).
import { runConformanceSuite } from './suite.js';

runConformanceSuite('native');
