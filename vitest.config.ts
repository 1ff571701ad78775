import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * `npm test`: every test but the fault-injection ones in test/faults/ (outages, full disks, killed
 * processes, races across stores, several writer processes), which `npm run test:e2e` runs
 * (vitest.faults.config.ts), and the browser tests in test/browser/ (`npm run test:browser`,
 * vitest.browser.config.ts); `.ci/run` runs all three.
 */
export const base: NonNullable<ViteUserConfig['test']> = {
  testTimeout: 30_000,
  hookTimeout: 30_000,
  pool: 'forks',
  // one migrated store per run, copied for each test (test/helpers/store-templates.ts)
  globalSetup: ['test/helpers/global-setup.ts'],
  setupFiles: ['test/helpers/setup.ts'],
};

export default defineConfig({
  test: {
    ...base,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.tsx'],
    exclude: ['test/faults/**', 'test/browser/**', 'node_modules/**'],
  },
});
