import type { Features } from '../core/features.js';
import type { Transaction } from '../core/transaction.js';

/**
 * Feature state as scoring needs it: observe a transaction, get its windowed features (which
 * count it). `FeatureWindows` is the implementation; scoring depends only on this.
 *
 * @example
 * const f = features.observe(tx);
 */
export interface FeatureSource {
  /** Records the transaction and returns its features (which include it). */
  observe(tx: Transaction): Features;
}
