// Conformance corpus on the 'node' engine (see suite.ts).
import { runConformanceSuite } from './suite.js';

runConformanceSuite('node');
