import type { Transaction } from '../core/transaction.js';

/**
 * Transactions accepted but not yet scored (the AWS API's store-only path: a table stream scores
 * them).
 */
export interface TransactionLog {
  /** Stores the transaction unless its id is stored already; true when it was new. */
  putTransaction(tx: Transaction): Promise<boolean>;
}
