// Mutation testing (StrykerJS): `npm run mutate`. Not part of `npm test`; see docs/mutation-testing.md.
// Scope: the code that must be exact. Whole files where the whole file is that code; for counting
// that lives inside larger files, the range of lines that computes the counts, found by the text
// that opens and closes it (so the range follows the code when lines move; a range whose text
// is gone stops the run instead of silently mutating nothing).
import { readFileSync } from 'node:fs';

/**
 * `file:start-end`, from the first line containing `from` to the first line at or after it
 * containing `to` (both included).
 */
function range(file, from, to) {
  const lines = readFileSync(new URL(file, import.meta.url), 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes(from));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i >= start && l.includes(to));
  if (start < 0 || end < 0) throw new Error(`stryker.config.mjs: no lines "${from}" … "${to}" in ${file}; update the range`);
  return `${file}:${start + 1}-${end + 1}`;
}

export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.mjs' },
  mutate: [
    // The rule language and the rules.
    'src/core/expr/*.ts',
    'src/core/rules.ts',
    // Windows and features.
    'src/core/windows.ts',
    'src/core/features.ts',
    // PAN masking and tokenisation.
    'src/core/pan.ts',
    // Label feedback.
    'src/core/labels.ts',
    'src/app/recordLabel.ts',
    // Decimals.
    'src/core/decimal.ts',
    // Scoring, and the score stage that tells decisions from duplicates.
    'src/core/scoring.ts',
    'src/pipeline/score.ts',
    // Deciding a row from its model margin, wherever it runs: the scoring loop, and the
    // decisions-file thread, which decides a batch in its columns.
    'src/core/modelDecision.ts',
    range('src/adapters/local/decisionLines.ts', 'export function decideColumns(', 'return { outcomes, alerts };'),
    // The masked copy's parts, kept whole and in order on their way to the object store.
    'src/pipeline/BodyPipe.ts',
    // Receipts and counting: the receipt, and each place that adds up rows, decisions,
    // duplicates, rejections and alerts (the file-scoring loop, the CLI's decisions file, local runtime, AWS hand-off, AWS decision store).
    'src/core/receipt.ts',
    range('src/adapters/local/DecisionFileWriter.ts', 'this.decided.add(transaction.transactionId);', 'this.counts = addBatch('),
    range('src/adapters/local/SqliteStateStore.ts', "this.bump('transactions', batch.size);", "this.bump('duplicates', checkpoint.duplicates);"),
    range('src/app/handOffFile.ts', 'cp.counts = addIngested(', 'cp.counts = addIngested('),
    range('src/app/handOffFile.ts', 'counts: handOffCounts(', 'counts: handOffCounts('),
    range('src/app/processFile.ts', 'const stored = await deps.decisions.findDecisions(ids);', 'return { has: (id: string)'),
    'src/app/scoreBatches.ts',
    range('src/adapters/aws/DynamoDecisionStore.ts', 'const stored: DecidedItem[] = [];', 'if (failure !== undefined) throw failure;'),
    range('src/app/scoreRemote.ts', 'const resend = new Set(stored.duplicates);', 'return { decided: stored.stored'),
    // The handlers' batch failure reporting: which records a batch reports failed, and the code
    // whose outcome decides it (a record's handler throws, or skips what must not be retried).
    // Logs, metrics and environment parsing around it are left out.
    'src/adapters/aws/sqsBatch.ts',
    range('src/handlers/score.ts', 'const items = decodeMessage(record.body);', 'await scoreQueued(items);'),
    range('src/handlers/score.ts', 'return await processPartialResponse(', 'return await processPartialResponse('),
    range('src/handlers/ingest.ts', 'for (const object of objectsOf(record.body)) {', "!object.key.startsWith('inbox/')"),
    range('src/handlers/ingest.ts', 'return await processPartialResponse(', 'return await processPartialResponse('),
    range('src/handlers/notify.ts', 'for (const alert of decodeAlertMessage(record.body))', 'for (const alert of decodeAlertMessage(record.body))'),
    range('src/handlers/notify.ts', 'return await processPartialResponse(', 'return await processPartialResponse('),
    range('src/handlers/stream.ts', 'body = decodeKinesisRecord(', '} catch (e) {'),
    range('src/handlers/stream.ts', 'if (!result.ok) {', 'if (!result.ok) {'),
    range('src/handlers/stream.ts', 'items.push({ transaction: result.transaction });', 'sequence.push(seq);'),
    range('src/handlers/tableStream.ts', 'const image = record.dynamodb?.NewImage;', 'if (!item.tx) {'),
    range('src/handlers/tableStream.ts', 'items.push({ transaction: item.tx });', 'sequence.push(record.dynamodb?.SequenceNumber'),
    range('src/handlers/scoring.ts', 'if (items.length > 0) await scoreQueued(items);', 'return { batchItemFailures: [] };'),
    range('src/handlers/scoring.ts', 'return { batchItemFailures: sequenceNumbers.map(', 'return { batchItemFailures: sequenceNumbers.map('),
    range('src/handlers/s3Events.ts', 'export function objectsOf(', 'return out;'),
  ],
  // Module-level code runs once per test file, so mutating it would mean reloading every file
  // for every such mutant; what it builds (tables, regexes, constants) is exercised anyway.
  ignoreStatic: true,
  // Results are kept and only mutants in changed code, or covered by changed tests, run again.
  incremental: true,
  incrementalFile: 'var/mutation/stryker-incremental.json',
  coverageAnalysis: 'perTest',
  // Two cores, shared: raise with --concurrency on a bigger machine.
  concurrency: 2,
  // A loaded machine slows every test: a mutant is a timeout only well past its normal time.
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'var/mutation/mutation.html' },
  jsonReporter: { fileName: 'var/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: 'var/stryker-tmp',
  // Not copied into the sandbox: build and benchmark output, reports. dist/ is copied: the
  // SQLite worker threads load it (tests that spawn the CLI are not in the mutation run).
  ignorePatterns: ['var', 'bench/results', 'coverage', 'cdk.out'],
  cleanTempDir: true,
};
