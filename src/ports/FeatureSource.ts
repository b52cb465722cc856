import type { FeatureRow, Features } from '../core/features.js';
import type { Transaction } from '../core/transaction.js';

/**
 * Feature state as scoring needs it: observe a transaction, get its windowed features (which
 * count it). `FeatureWindows` is the implementation; scoring depends only on this.
 *
 * @example
 * const f = features.observe(tx);
 * features.observeBatch(txs, 0, txs.length, matrix); // row i at i × FEATURE_ROW
 * const row = features.row(matrix); // row.at = i × FEATURE_ROW reads row i
 */
export interface FeatureSource {
  /** Records the transaction and returns its features (which include it). */
  observe(tx: Transaction): Features;
  /**
   * Records `txs[from]` to `txs[to - 1]` in order and writes the features of each, as
   * {@link observe} gives them, into `out`: the one of `txs[from + i]` from `i × stride`
   * (`stride` at least `FEATURE_ROW`, its default).
   */
  observeBatch(txs: readonly Transaction[], from: number, to: number, out: Float64Array, stride?: number): void;
  /** A reader of the rows of `matrix` written by {@link observeBatch}; move it by setting `at`. */
  row(matrix: Float64Array): FeatureRow;
}
