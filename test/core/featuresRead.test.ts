import { describe, expect, it } from 'vitest';
import { compileValue } from '../../src/core/expr/compiler.js';
import { entityFeatures, FEATURE_ROW, FeatureWindows, featuresFrom, featureValue, labelCounts, previousOf, windowAt } from '../../src/core/features.js';
import { LABEL_ENTITIES, LABEL_WINDOWS } from '../../src/core/labels.js';
import { ENTITY_LAYOUT, type EntityFeatures, WINDOWS } from '../../src/core/windows.js';
import { makeTx, money } from '../helpers/transactions.js';

// Reading features back: every statistic of a window holding more than one transaction, the
// store's event-time clock, the previous transaction, and building features from objects.

const T = Date.UTC(2026, 2, 1, 12);
const MINUTE = 60_000;

describe('window statistics over several transactions', () => {
  // Three transactions of one account within an hour, each in another country: 10.00, 20.00 and
  // 60.00.
  const store = new FeatureWindows();
  const txs = [
    makeTx({ transactionId: 'S1', accountId: 'acct-s', timestamp: T, amount: money('10.00'), country: 'GB' }),
    makeTx({ transactionId: 'S2', accountId: 'acct-s', timestamp: T + MINUTE, amount: money('20.00'), country: 'DE' }),
    makeTx({ transactionId: 'S3', accountId: 'acct-s', timestamp: T + 2 * MINUTE, amount: money('60.00'), country: 'FR' }),
  ];
  const features = txs.map((tx) => store.observe(tx));
  const last = txs[2] as (typeof txs)[number];
  const f = features[2] as ReturnType<FeatureWindows['observe']>;
  const value = (source: string) => compileValue(source, { lists: new Map() }).evaluate(last, f);

  it('sums, averages and counts countries in the rule language', () => {
    expect(value('sum(account, 1h)')).toBe(money('90.00'));
    expect(value('avg(account, 1h)')).toBe(money('30.00'));
    expect(value('distinct_countries(account, 1h)')).toBe(3);
    expect(value('count(account, 1h)')).toBe(3);
  });

  it('reads the same through featureValue', () => {
    expect(featureValue(f, 'account', '1h', 'sum', last.amount)).toBe(money('90.00'));
    expect(featureValue(f, 'account', '1h', 'avg', last.amount)).toBe(money('30.00'));
    expect(featureValue(f, 'account', '1h', 'countries', last.amount)).toBe(3);
  });

  it('places each window where windowAt says from the start of the row, for code that reads a window whole', () => {
    WINDOWS.forEach((w, i) => {
      const at = windowAt('account', i);
      expect(f.values[f.at + at + ENTITY_LAYOUT.count]).toBe(featureValue(f, 'account', w, 'count', last.amount));
      expect(f.values[f.at + at + ENTITY_LAYOUT.sum]).toBe(featureValue(f, 'account', w, 'sum', last.amount));
    });
  });

  it('keeps the newest time observed as its clock, whatever arrives late', () => {
    store.observe(makeTx({ transactionId: 'S0', accountId: 'acct-s', timestamp: T - MINUTE, amount: money('5.00') }));
    expect(store.latest).toBe(T + 2 * MINUTE);
  });

  it('gives the previous transaction of an entity, or none for its first', () => {
    expect(previousOf(features[0] as typeof f, 'account')).toBeUndefined();
    expect(previousOf(f, 'account')).toEqual({ timestamp: T + MINUTE, country: 'DE' });
  });
});

describe('featuresFrom', () => {
  const account: EntityFeatures = {
    windows: [1, 2, 3, 4, 5].map((n) => ({ count: n, sum: n * 10, sumSq: n * 100, countries: n })),
    previous: { timestamp: T, country: 'GB' },
  };

  it('is the inverse of entityFeatures, labels included', () => {
    // Act
    const f = featuresFrom({ account, labels: [1, 2, 3] });

    // Assess
    expect(entityFeatures(f, 'account')).toEqual(account);
    expect(entityFeatures(f, 'card')).toBeUndefined();
    expect(labelCounts(f, 'account', '1d')).toEqual({ known: 1, frauds: 2 });
    expect(labelCounts(f, 'account', '7d')).toEqual({ known: 3, frauds: 0 });
  });

  it('leaves out the previous transaction of an entity part that has none', () => {
    // Act: a card seen for the first time beside an account seen before
    const first: EntityFeatures = { windows: account.windows };
    const f = featuresFrom({ account, card: first });

    // Assess
    expect(entityFeatures(f, 'card')).toEqual(first);
    expect(previousOf(f, 'card')).toBeUndefined();
    expect(previousOf(f, 'account')).toEqual(account.previous);
  });

  it('takes the label part from the first numbers of a longer list and ignores the rest', () => {
    // Prepare: [known, frauds] per label entity and window, in order, then two numbers more
    const labelNumbers = LABEL_ENTITIES.length * LABEL_WINDOWS.length * 2;
    const labels = Array.from({ length: labelNumbers + 2 }, (_, i) => i + 1);

    // Act
    const f = featuresFrom({ account, labels });

    // Assess
    expect(f.values.length).toBe(FEATURE_ROW);
    expect(labelCounts(f, 'account', '1d')).toEqual({ known: 1, frauds: 2 });
    expect(labelCounts(f, 'merchant', '30d')).toEqual({ known: labelNumbers - 1, frauds: labelNumbers });
  });

  it('starts each build from empty features: nothing of an earlier build shows in a later one', () => {
    // Act
    featuresFrom({ account, card: account });
    const later = featuresFrom({ account });

    // Assess
    expect(entityFeatures(later, 'card')).toBeUndefined();
  });
});
