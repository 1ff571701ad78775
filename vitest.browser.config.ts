import { defineConfig } from 'vitest/config';

/**
 * `npm run test:browser`: the end-to-end browser tests (test/browser/), Debian's chromium driven
 * by playwright-core against a real `closeloop serve` child process (dist/, so `npm run build`
 * first). One file at a time, one test at a time: each starts a server and a browser.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
