// vitest setup: forked workers (Temporal's native worker), one real Temporal dev server for the whole run, long timeouts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['tests/drills/**', '**/node_modules/**'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    globalSetup: ['tests/support/global-setup.ts'],
    reporters: ['default'],
  },
});
