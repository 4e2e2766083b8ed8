import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // This file lives in test/; the project root is one level up.
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real sockets on a shared 2-core machine: a test gets one more try, so a scheduling
    // hiccup on the runner does not fail CI; a test that fails twice fails (and the JSON
    // report keeps each retry, so a flaky test stays visible).
    retry: 1,
  },
});
