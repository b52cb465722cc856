import type { LabelledTransaction } from './LabelledHistory.js';

/**
 * Every stored transaction in event-time order, with the label in force: what `fraudmini train
 * --from-db` replays to learn from the data dir (the transactions and labels tables locally).
 *
 * @example
 * for await (const { transaction, label } of history.byTime()) learn(transaction, label);
 */
export interface StoredHistory {
  /**
   * Stored transactions by event time (ties in the order they were stored), each with the label it
   * arrived with or, failing that, the one reported since; none while unknown.
   */
  byTime(): AsyncIterable<LabelledTransaction>;
}
