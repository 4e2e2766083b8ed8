// Which engines the CLI tests run on: every one that loads here (TSGI_TEST_ENGINES=a,b
// narrows it). node shares sockets through node:cluster, uws and native through
// SO_REUSEPORT: both paths are tested.
import { availableEngines } from '../../src/engines/index.js';

const wanted = process.env.TSGI_TEST_ENGINES?.split(',');
export const ENGINES = (await availableEngines()).filter((e) => !wanted || wanted.includes(e));
