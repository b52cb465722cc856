import type { Features } from '../../src/core/features.js';
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

  constructor(private readonly featuresOf: (tx: Transaction) => Features = firstSeen) {}

  observe(tx: Transaction): Features {
    this.observed.push(tx);
    return this.featuresOf(tx);
  }
}
