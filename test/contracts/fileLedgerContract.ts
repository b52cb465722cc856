import { describe, expect, it } from 'vitest';
import { buildReceipt, emptyCounts } from '../../src/core/receipt.js';
import type { FileLedger } from '../../src/ports/FileLedger.js';

/**
 * The behaviour every {@link FileLedger} promises. `makeLedger` returns a new, empty ledger on
 * each call. (Row progress and rejections move with the batches: the BatchCommitter contract.)
 *
 * @example
 * describeFileLedgerContract('SqliteStateStore', async () => new SqliteStateStore({ path: ':memory:' }));
 */
export function describeFileLedgerContract(name: string, makeLedger: () => Promise<FileLedger>): void {
  describe(`FileLedger contract: ${name}`, () => {
    it('registers files with their own ids and work keys, processing and empty', async () => {
      // Prepare
      const ledger = await makeLedger();
      // Act
      const a = await ledger.beginFile('tx.csv');
      const b = await ledger.beginFile('tx.csv');
      // Assess
      expect(a.id).not.toBe(b.id);
      expect(a).toMatchObject({ name: 'tx.csv', workKey: `processing/${a.id}-tx.csv`, status: 'processing', rowsDone: 0, counts: emptyCounts() });
      expect(b.workKey).toBe(`processing/${b.id}-tx.csv`);
      expect(await ledger.getFile(a.id)).toEqual(a);
      expect(await ledger.getFile(a.id + b.id + 1000)).toBeUndefined();
    });

    it('moves a file through its states, keeping an error or rules version given earlier', async () => {
      // Prepare
      const ledger = await makeLedger();
      const f = await ledger.beginFile('a.csv');
      // Act
      await ledger.setStatus(f.id, 'finalizing', { rulesVersion: 'v7' });
      await ledger.setStatus(f.id, 'finalizing', { error: 'the header cannot be read' });
      await ledger.setStatus(f.id, 'processing');
      // Assess
      expect(await ledger.getFile(f.id)).toMatchObject({ status: 'processing', rulesVersion: 'v7', error: 'the header cannot be read' });
    });

    it('lists unfinished files oldest first, and not those finished', async () => {
      // Prepare
      const ledger = await makeLedger();
      const a = await ledger.beginFile('a.csv');
      const b = await ledger.beginFile('b.csv');
      const c = await ledger.beginFile('c.csv');
      await ledger.setStatus(c.id, 'finalizing');
      const counts = { ...emptyCounts(), rows: 3, accepted: 3, decided: 3 };
      const receipt = buildReceipt({
        file: 'b.csv',
        status: 'processed',
        startedAt: b.startedAt,
        finishedAt: '2026-03-01T10:00:00.000Z',
        rulesVersion: 'v1',
        counts,
        rejections: [],
      });
      // Act
      await ledger.finishFile(b.id, receipt);
      // Assess
      expect((await ledger.unfinishedFiles()).map((f) => f.name)).toEqual(['a.csv', 'c.csv']);
      expect(await ledger.getFile(b.id)).toMatchObject({ status: 'processed', finishedAt: '2026-03-01T10:00:00.000Z', counts });
      expect(a.id).toBeLessThan(c.id);
    });
  });
}
