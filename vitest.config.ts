import { defineConfig } from 'vitest/config';

/**
 * Three projects; `npm test` runs them all, `npx vitest --project unit` is the fast loop.
 *
 * - unit: pure code and use cases over in-memory fakes. No emulators, no native SQLite (the
 *   module is replaced by one that throws), no child processes; worker threads, which start
 *   faster than the forks the native module needs elsewhere, each reusing its modules from file
 *   to file (pure code keeps no state between files to isolate).
 * - e2e: the product as a user runs it: the CLI and `fraudmini start` as processes, the whole AWS
 *   pipeline on the emulators, the canary, chaos and crash runs, the benchmark harness.
 * - integration: everything else: adapters against real SQLite, the file system and the emulators,
 *   the HTTP server in process.
 */
const UNIT = [
  // All but the one that runs the built tokenizer in a child process.
  'test/core/**/!(panTokenCacheMemory).test.ts',
  // All but the one that reads and writes a real folder.
  'test/app/!(handOffFile).test.ts',
  'test/docs/**/*.test.ts',
  'test/config.test.ts',
  // All but the one that reads and writes a real folder.
  'test/pipeline/!(train).test.ts',
];
const E2E = [
  'test/cli/**/*.test.ts',
  'test/aws/e2e.test.ts',
  'test/security/panCanary.*.test.ts',
  'test/local/chaos.test.ts',
  'test/local/crash.test.ts',
  'test/bench/**/*.test.ts',
  'test/ci/**/*.test.ts',
  'test/synth/**/*.test.ts',
  'test/infra/cliSynth.test.ts',
];
/** dist/ rebuilt when a source is newer: tests that spawn the CLI or start SQLite worker threads run it. */
const BUILD = 'test/setup/build.ts';
/** AWS emulators (fauxqs, dynalite, kinesalite), started once per project run that needs them. */
const EMULATORS = 'test/aws/emulators.ts';

export default defineConfig({
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, pool: 'threads', isolate: false },
        resolve: { alias: { 'better-sqlite3': new URL('test/setup/noNative.ts', import.meta.url).pathname } },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/**/*.test.ts'], exclude: [...UNIT, ...E2E], globalSetup: [BUILD, EMULATORS] },
      },
      {
        extends: true,
        test: { name: 'e2e', include: E2E, globalSetup: [BUILD, EMULATORS] },
      },
    ],
  },
});
