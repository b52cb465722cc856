import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteWorkerBatchCommitter } from '../../src/adapters/local/SqliteWorkerBatchCommitter.js';
import { FeatureWindows } from '../../src/core/features.js';
import type { Decision } from '../../src/core/scoring.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { buildServer } from '../../src/server/buildServer.js';
import { tempDir } from '../helpers/fixtures.js';
import { makeDecision, makeTx, testTokenizer } from '../helpers/transactions.js';

// The same transaction can reach the local runtime by a file and by POST at once. Wired as
// `fraudmini start` wires them: file batches committed on the worker thread, POSTs grouped and
// committed on the main connection, each side told of the other's decisions in flight.
describe('local runtime: one transaction by file and by POST at the same moment', () => {
  let cleanup = (): Promise<void> | void => {};

  afterEach(async () => {
    await cleanup();
  });

  it('answers the POST with the file decision and stores the file batch, when the file scores it just after the POST arrived', async () => {
    // Prepare
    const t = tempDir();
    const path = join(t.dir, 'fraudmini.db');
    const state = new SqliteStateStore({ path });
    const commits = new SqliteWorkerBatchCommitter({ path });
    cleanup = async () => {
      await commits.close();
      state.close();
      t.cleanup();
    };
    const fileId = (await state.beginFile('tx.csv')).id;
    const fromFile: Decision = makeDecision({ transaction_id: 'X1', score: 12.5 });
    let fileBatch: Promise<unknown> | undefined;
    const app = buildServer({
      decisions: state,
      features: new FeatureWindows(),
      rules: () => loadRulesFile(BUNDLED_RULES),
      tokenizer: testTokenizer(),
      logger: silentLogger,
      // The file scores X1 and hands its batch to the worker right after the POST checked for it
      // and before the POST's group is committed: the order the two event-loop turns can take.
      committing: (id) => {
        const pending = commits.pending(id);
        if (!pending && !fileBatch) {
          fileBatch = commits.commit([{ transaction: makeTx({ transactionId: 'X1' }), decision: fromFile }], {
            fileId,
            rowsDone: 1,
            rejections: [],
            duplicates: 0,
          });
          fileBatch.catch(() => undefined);
        }
        return pending;
      },
    });

    // Act
    const res = await app.inject({
      method: 'POST',
      url: '/transactions',
      payload: { transaction_id: 'X1', timestamp: '2026-01-01T10:00:00Z', account_id: 'A1', amount: '12.00' },
    });
    const file = await fileBatch?.then(
      () => 'stored',
      (e: Error) => e.message,
    );

    // Assess: one decision, the file's, both sides told so
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ duplicate: true, decision: { score: fromFile.score } });
    expect(file).toBe('stored');
    expect((await state.findDecisions(['X1'])).get('X1')?.score).toBe(fromFile.score);
  });
});
