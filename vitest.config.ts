import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // dist/ rebuilt when a source is newer (tests that spawn the CLI run it), then the AWS
    // emulators (fauxqs, dynalite, kinesalite), started once per run for the AWS suites.
    globalSetup: ['test/setup/build.ts', 'test/aws/emulators.ts'],
  },
});
