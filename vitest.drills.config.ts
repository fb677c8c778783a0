// vitest setup for the drills (`npm run drills`): crash loops, server restarts, endpoint faults, bad input, privacy.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'tests/drills/**/*.test.ts',
      'tests/e2e/durability.test.ts',
      'tests/e2e/bad-input.test.ts',
      'tests/e2e/llm-policy.test.ts',
    ],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 120_000,
    globalSetup: ['tests/support/global-setup.ts'],
  },
});
