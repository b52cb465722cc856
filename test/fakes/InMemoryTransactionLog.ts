import type { Transaction } from '../../src/core/transaction.js';
import type { TransactionLog } from '../../src/ports/TransactionLog.js';

/**
 * A {@link TransactionLog} in memory; `stored` shows what was accepted, in order.
 *
 * @example
 * const log = new InMemoryTransactionLog();
 * await log.putTransaction(tx); // true, then false for the same id
 */
export class InMemoryTransactionLog implements TransactionLog {
  readonly stored = new Map<string, Transaction>();

  async putTransaction(tx: Transaction): Promise<boolean> {
    if (this.stored.has(tx.transactionId)) return false;
    this.stored.set(tx.transactionId, structuredClone(tx));
    return true;
  }
}
