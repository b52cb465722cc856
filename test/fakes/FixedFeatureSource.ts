import { FEATURE_ROW, FeatureRow, type Features } from '../../src/core/features.js';
import type { Transaction } from '../../src/core/transaction.js';
import type { FeatureSource } from '../../src/ports/FeatureSource.js';
import { firstSeen } from '../helpers/transactions.js';

/**
 * A {@link FeatureSource} whose features are chosen by the test (by default: each transaction as
 * the first its account has seen); `observed` lists the transactions in the order they came.
 *
 * @example
 * const features = new FixedFeatureSource();
 * scoreBatch(items, new Map(), { features, rules });
 */
export class FixedFeatureSource implements FeatureSource {
  readonly observed: Transaction[] = [];
  private countryNames: readonly (string | undefined)[] = [undefined];

  constructor(private readonly featuresOf: (tx: Transaction) => Features = firstSeen) {}

  observe(tx: Transaction): Features {
    this.observed.push(tx);
    const f = this.featuresOf(tx);
    this.countryNames = f.countryNames;
    return f;
  }

  observeBatch(txs: readonly Transaction[], from: number, to: number, out: Float64Array, stride = FEATURE_ROW): void {
    for (let i = from; i < to; i++) {
      const f = this.observe(txs[i] as Transaction);
      out.set(f.values.subarray(f.at, f.at + FEATURE_ROW), (i - from) * stride);
    }
  }

  row(matrix: Float64Array): FeatureRow {
    return new FeatureRow(matrix, 0, this.countryNames);
  }
}
