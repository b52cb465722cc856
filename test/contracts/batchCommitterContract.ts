import { describe, expect, it } from 'vitest';
import type { BatchCommitter } from '../../src/ports/BatchCommitter.js';
import type { DecisionStore } from '../../src/ports/DecisionStore.js';
import type { FileLedger } from '../../src/ports/FileLedger.js';
import { batch } from './items.js';

/** A committer with the store its batches land in, and a way to let it go. */
export interface CommitterUnderTest {
  commits: BatchCommitter;
  decisions: DecisionStore;
  ledger: FileLedger;
  close?: () => Promise<void>;
}

/**
 * The behaviour every {@link BatchCommitter} promises: a batch and its file checkpoint land
 * together or not at all. `make` returns a new, empty store on each call.
 *
 * @example
 * describeBatchCommitterContract('SqliteStateStore', async () => { const s = new SqliteStateStore({ path: ':memory:' }); return { commits: s, decisions: s, ledger: s }; });
 */
export function describeBatchCommitterContract(name: string, make: () => Promise<CommitterUnderTest>): void {
  describe(`BatchCommitter contract: ${name}`, () => {
    it('stores a batch with its checkpoint: decisions, alerts, row progress, counts and rejections', async () => {
      // Prepare
      const { commits, decisions, ledger, close } = await make();
      const file = await ledger.beginFile('a.csv');
      const items = batch('bc', 8);
      const rejections = [
        { row: 9, line: 10, column: 'amount', reason: 'is not a number' },
        { row: 4, line: 5, column: 'timestamp', reason: 'is empty' },
      ];
      // Act
      const alerts = await commits.commit(items, { fileId: file.id, rowsDone: 10, rejections, duplicates: 0 });
      await close?.();
      // Assess
      expect(alerts.map((a) => a.transaction_id)).toEqual(['bc-0001', 'bc-0002', 'bc-0005', 'bc-0006']);
      expect((await decisions.findDecisions(items.map((i) => i.decision.transaction_id))).size).toBe(8);
      expect(await decisions.listAlerts({ afterId: 0, limit: 100 })).toEqual(alerts);
      const after = await ledger.getFile(file.id);
      expect(after?.rowsDone).toBe(10);
      expect(after?.counts).toMatchObject({ decided: 8, rejected: 2, alerts: 4, outcomes: { allow: 4, review: 2, block: 2 } });
      expect((await ledger.rejections(file.id, 10)).map((r) => r.row)).toEqual([4, 9]);
      expect((await ledger.rejections(file.id, 1)).map((r) => r.row)).toEqual([4]);
      expect(await decisions.stats()).toMatchObject({ transactions: 8, alerts: 4, rejected: 2 });
    });

    it('adds each checkpoint to the file counts, batch after batch', async () => {
      // Prepare
      const { commits, ledger, close } = await make();
      const file = await ledger.beginFile('a.csv');
      // Act
      await commits.commit(batch('c1', 4), { fileId: file.id, rowsDone: 5, rejections: [], duplicates: 1 });
      await commits.commit(batch('c2', 4), { fileId: file.id, rowsDone: 9, rejections: [], duplicates: 0 });
      await close?.();
      // Assess
      expect(await ledger.getFile(file.id)).toMatchObject({ rowsDone: 9, counts: { decided: 8, duplicates: 1, alerts: 4 } });
    });

    it('stores nothing of a batch holding an id already stored, and leaves its checkpoint behind', async () => {
      // Prepare
      const { commits, decisions, ledger, close } = await make();
      const file = await ledger.beginFile('a.csv');
      await commits.commit(batch('dup', 4), { fileId: file.id, rowsDone: 4, rejections: [], duplicates: 0 });
      const mixed = [...batch('fresh', 3), ...batch('dup', 1)];
      // Act
      const failed = commits.commit(mixed, { fileId: file.id, rowsDone: 8, rejections: [{ row: 6, line: 7, column: 'amount', reason: 'x' }], duplicates: 0 });
      // Assess
      await expect(failed).rejects.toThrow();
      await close?.();
      expect((await decisions.findDecisions(['fresh-0000', 'fresh-0001', 'fresh-0002'])).size).toBe(0);
      expect(await ledger.getFile(file.id)).toMatchObject({ rowsDone: 4, counts: { decided: 4, rejected: 0 } });
      expect(await ledger.rejections(file.id, 10)).toEqual([]);
      expect((await decisions.stats()).transactions).toBe(4);
    });
  });
}
