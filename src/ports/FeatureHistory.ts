import type { HistorySlice } from '../core/featureHistory.js';
import type { Label, Transaction } from '../core/transaction.js';

/**
 * Windowed feature history kept outside the process (DynamoDB on AWS), for scorers that keep no
 * state between invocations: load the history of the entities a batch touches, replay it into
 * fresh windows (`replayHistory`), score, then append.
 *
 * @example
 * const windows = new FeatureWindows();
 * replayHistory(await history.load(batch, historyHorizonMs(windows)), windows);
 * // score batch with windows, then:
 * await history.append(batch);
 */
export interface FeatureHistory {
  /**
   * The stored history of every entity (account, card, terminal, merchant) of `txs` from
   * `horizonMs` before the earliest of them up to the latest: each event once, never one of
   * `txs` themselves (a re-delivered transaction does not see itself), and each transaction's
   * first label recorded by {@link label} (known in that range).
   */
  load(txs: readonly Transaction[], horizonMs: number): Promise<HistorySlice>;
  /** Records the transactions as events of each entity they touch (idempotent per transaction). */
  append(txs: readonly Transaction[]): Promise<void>;
  /** Records a label learned at `knownAt` (epoch ms) for a stored transaction. */
  label(tx: Transaction, label: Label, knownAt: number): Promise<void>;
}
