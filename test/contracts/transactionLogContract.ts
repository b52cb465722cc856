import { describe, expect, it } from 'vitest';
import type { TransactionLog } from '../../src/ports/TransactionLog.js';
import { makeTx } from '../helpers/transactions.js';
import { uniquePrefix } from './items.js';

/**
 * The behaviour every {@link TransactionLog} promises: a transaction id is accepted once.
 * `makeLog` returns a new log on each call.
 *
 * @example
 * describeTransactionLogContract('InMemoryTransactionLog', async () => new InMemoryTransactionLog());
 */
export function describeTransactionLogContract(name: string, makeLog: () => Promise<TransactionLog>): void {
  describe(`TransactionLog contract: ${name}`, () => {
    it('accepts a new id once, and says so', async () => {
      // Prepare
      const log = await makeLog();
      const id = uniquePrefix('tl');
      // Act
      const first = await log.putTransaction(makeTx({ transactionId: id }));
      const again = await log.putTransaction(makeTx({ transactionId: id, amount: 1 }));
      const other = await log.putTransaction(makeTx({ transactionId: `${id}-2` }));
      // Assess
      expect([first, again, other]).toEqual([true, false, true]);
    });

    it('lets exactly one of concurrent writers of one id through', async () => {
      // Prepare
      const log = await makeLog();
      const id = uniquePrefix('tl-race');
      // Act
      const results = await Promise.all([1, 2, 3, 4].map(() => log.putTransaction(makeTx({ transactionId: id }))));
      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}
