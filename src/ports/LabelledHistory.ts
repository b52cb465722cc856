import type { Label, Transaction } from '../core/transaction.js';

/** A stored transaction with the label in force: the one it arrived with, or one reported since. */
export interface LabelledTransaction {
  /** As stored (masked); its `label` is the one it arrived with, if any. */
  transaction: Transaction;
  /** The label in force, if any. */
  label?: Label;
}

/**
 * The stored transactions, in the order they were stored, with their labels: what a backtest of a
 * draft rule set replays (the transactions table and the labels table locally).
 *
 * @example
 * for await (const { transaction, label } of history.labelledHistory()) tally(transaction, label);
 */
export interface LabelledHistory {
  /** At most `limit` transactions, the newest ones, oldest first. */
  labelledHistory(limit: number): AsyncIterable<LabelledTransaction>;
}
