import { defineConfig } from 'vitest/config';
import { base } from './vitest.config.js';

/** `npm run test:e2e`: the fault-injection tests (test/faults/); they need `npm run build` and run as root for the tmpfs mount. */
export default defineConfig({
  test: {
    ...base,
    include: ['test/faults/**/*.test.ts'],
  },
});
