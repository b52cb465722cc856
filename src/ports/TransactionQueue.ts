import type { FileRowRef } from '../core/records.js';
import type { Transaction } from '../core/transaction.js';

/** A validated, tokenised transaction on its way to the scorer, with where it came from. */
export interface QueuedTransaction {
  transaction: Transaction;
  /** The file row it came from, when it came from a file. */
  source?: FileRowRef;
}

/**
 * The hand-off between ingest and scoring (SQS on AWS). Many transactions travel in one message,
 * up to the queue's size limit, never one message per row.
 *
 * @example
 * const { messages } = await queue.send(batch.rows.map((r) => ({ transaction: r.transaction })));
 */
export interface TransactionQueue {
  /** Sends the items; resolves when the queue has accepted every one, with the messages used. */
  send(items: readonly QueuedTransaction[]): Promise<{ messages: number }>;
}
