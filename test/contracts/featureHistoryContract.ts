import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/core/transaction.js';
import type { FeatureHistory } from '../../src/ports/FeatureHistory.js';
import { makeTx } from '../helpers/transactions.js';
import { uniquePrefix } from './items.js';

const MIN = 60_000;
const T = Date.UTC(2026, 2, 1, 12, 0, 0);

/**
 * The behaviour every {@link FeatureHistory} promises. `makeHistory` returns a new history on each
 * call (entity ids are unique per test, so a shared table does not mix tests).
 *
 * @example
 * describeFeatureHistoryContract('InMemoryFeatureHistory', async () => new InMemoryFeatureHistory());
 */
export function describeFeatureHistoryContract(name: string, makeHistory: () => Promise<FeatureHistory>): void {
  describe(`FeatureHistory contract: ${name}`, () => {
    const ids = (txs: readonly Transaction[]): string[] => txs.map((t) => t.transactionId).sort();

    it('loads the events of the entities a batch touches within the horizon, each once, never the batch itself', async () => {
      // Prepare
      const history = await makeHistory();
      const p = uniquePrefix('fh');
      const card = { token: `${p}-tok`, masked: '411111******1111', bin: '411111', last4: '1111' };
      const past = [
        makeTx({ transactionId: `${p}-old`, accountId: `${p}-A`, timestamp: T - 120 * MIN }),
        makeTx({ transactionId: `${p}-a1`, accountId: `${p}-A`, card, timestamp: T - 30 * MIN, attributes: { note: 'x' } }),
        makeTx({ transactionId: `${p}-c1`, accountId: `${p}-B`, card, timestamp: T - 20 * MIN }),
        makeTx({ transactionId: `${p}-other`, accountId: `${p}-C`, timestamp: T - 10 * MIN }),
        makeTx({ transactionId: `${p}-later`, accountId: `${p}-A`, timestamp: T + 10 * MIN }),
      ];
      await history.append(past);
      const now = makeTx({ transactionId: `${p}-now`, accountId: `${p}-A`, card, timestamp: T });
      const redelivered = makeTx({ transactionId: `${p}-c1`, accountId: `${p}-B`, card, timestamp: T - 20 * MIN });
      // Act
      const slice = await history.load([now, redelivered], 60 * MIN);
      // Assess: a1 (account and card) once; c1 is in the batch; old is beyond the horizon; later after it
      expect(ids(slice.events)).toEqual([`${p}-a1`]);
      expect(slice.events[0]).toMatchObject({ accountId: `${p}-A`, card, timestamp: T - 30 * MIN });
      expect(slice.labels).toEqual([]);
    });

    it('loads labels learned later by when they became known, the first one of a transaction standing', async () => {
      // Prepare
      const history = await makeHistory();
      const p = uniquePrefix('fl');
      const labelled = makeTx({ transactionId: `${p}-x`, accountId: `${p}-A`, timestamp: T - 300 * MIN });
      const recent = makeTx({ transactionId: `${p}-y`, accountId: `${p}-A`, timestamp: T - 5 * MIN });
      await history.append([labelled, recent]);
      await history.label(labelled, 1, T - 10 * MIN);
      await history.label(labelled, 0, T - 8 * MIN);
      await history.label(recent, 1, T - 400 * MIN);
      // Act
      const slice = await history.load([makeTx({ transactionId: `${p}-now`, accountId: `${p}-A`, timestamp: T })], 60 * MIN);
      // Assess: x's label is known within the range though x itself is older; y's label is known before it
      expect(ids(slice.events)).toEqual([`${p}-y`]);
      expect(slice.labels.map((l) => [l.transaction.transactionId, l.label, l.knownAt])).toEqual([[`${p}-x`, 1, T - 10 * MIN]]);
    });

    it('loads nothing for an empty batch, and appending a transaction again does not repeat it', async () => {
      // Prepare
      const history = await makeHistory();
      const p = uniquePrefix('fe');
      const tx = makeTx({ transactionId: `${p}-1`, accountId: `${p}-A`, timestamp: T - MIN });
      await history.append([tx]);
      await history.append([tx, tx]);
      // Act
      const empty = await history.load([], 60 * MIN);
      const slice = await history.load([makeTx({ transactionId: `${p}-2`, accountId: `${p}-A`, timestamp: T })], 60 * MIN);
      // Assess
      expect(empty).toEqual({ events: [], labels: [] });
      expect(ids(slice.events)).toEqual([`${p}-1`]);
    });
  });
}
