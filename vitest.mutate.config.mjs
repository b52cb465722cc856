// The Vitest configuration of mutation testing (`npm run mutate`, see stryker.config.mjs and
// docs/mutation-testing.md): the in-process tests of the mutated code. Tests that spawn the CLI
// are left out (a child process runs dist/, never the mutated sources), and so is the build step
// of the main configuration (Stryker's sandbox holds instrumented sources, which must not be
// compiled into dist/). A test file that kills mutants of the scoped code belongs in this list.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/core/decimal.test.ts',
      'test/core/expr.test.ts',
      'test/core/exprLeaves.test.ts',
      'test/core/exprSemantics.test.ts',
      'test/core/exprErrors.test.ts',
      'test/core/rules.test.ts',
      'test/core/rulesDocument.test.ts',
      'test/core/moneyLiterals.test.ts',
      'test/core/exprEdges.test.ts',
      'test/core/windows.test.ts',
      'test/core/lateEvents.test.ts',
      'test/core/windowsQuiet.test.ts',
      'test/core/windowTable.test.ts',
      'test/core/features.test.ts',
      'test/core/featuresRead.test.ts',
      'test/core/featureBatch.test.ts',
      'test/core/labels.test.ts',
      'test/app/recordLabel.test.ts',
      'test/core/scoring.test.ts',
      'test/core/receipt.test.ts',
      'test/core/pan.test.ts',
      'test/core/panEdges.test.ts',
      'test/core/panTokenCache.test.ts',
      'test/core/schema.test.ts',
      'test/pipeline/ingest.test.ts',
      'test/pipeline/score.test.ts',
      'test/app/scoreRemote.test.ts',
      'test/app/scoreBatches.test.ts',
      'test/app/processFileOverFakes.test.ts',
      'test/app/handOffFile.test.ts',
      'test/pipeline/maskedCopy.test.ts',
      'test/cli/scoreFile.test.ts',
      'test/adapters/decisionFileWriter.test.ts',
      'test/local/processFile.test.ts',
      'test/adapters/sqliteCommits.test.ts',
      'test/aws/partialFailures.test.ts',
      'test/aws/s3Events.test.ts',
      'test/aws/sqsBatch.test.ts',
      'test/aws/sqsTransactionQueue.test.ts',
      'test/aws/sqsAlertQueue.test.ts',
      'test/aws/dynamoDecisionStore.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/aws/emulators.ts'],
  },
});
