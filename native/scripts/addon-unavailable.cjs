// npm install must succeed without a C++ toolchain: the native engine is then
// reported unavailable (with this reason) and `engine: 'auto'` skips it.
const fs = require('node:fs');
const path = require('node:path');
const dir = path.join(__dirname, '..', '..', 'build');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, 'UNAVAILABLE'),
  'node-gyp could not build the native addon (is a C++ compiler installed?)\n');
console.warn('tsgi: the native engine could not be built; engines uws and node remain.');
