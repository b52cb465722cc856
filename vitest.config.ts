import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // AWS emulators (fauxqs, dynalite, kinesalite), started once per run for the AWS suites.
    globalSetup: ['test/aws/emulators.ts'],
  },
});
