import { describe, expect, it } from 'vitest';
import { compileRuleSet, type RulesDocument } from '../../src/core/rules.js';
import { type BacktestOptions, type HitStats, backtestHistory } from '../../src/pipeline/backtest.js';
import { chunked } from '../helpers/labelledHistory.js';
import { testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;

/**
 * 18 hand-made rows on 2026-03-02 (UTC). Rows T02 and T10 have no label: they are never counted,
 * but T02 still counts in A2's velocity window. Labelled: 16 rows, 5 fraud (T03, T04, T05, T08,
 * T12), fraud money 12 + 14 + 1200 + 300 + 700 = 2226.
 *
 * count(account, 1m) covers (t − 60 s, t], the row itself included:
 * - A2: T02 10:05:00 → 1, T03 10:05:20 → 2, T04 10:05:40 → 3 (only with the unlabelled T02),
 *   T05 10:05:50 → 4.
 * - A1: T13 14:00:00 → 1, T14 14:00:30 → 2.
 * - A7: T15 15:00:00 → 1, T16 15:00:30 → 2, T17 15:00:59 → 3, T18 15:01:30 → 2 (T16 is exactly
 *   60 s earlier and falls out of the window; T15 too).
 */
const ROWS = [
  'transaction_id,timestamp,account_id,amount,merchant,label',
  'T01,2026-03-02T10:00:00Z,A1,25.00,Corner Cafe,0',
  'T02,2026-03-02T10:05:00Z,A2,10.00,Corner Cafe,',
  'T03,2026-03-02T10:05:20Z,A2,12.00,Corner Cafe,1',
  'T04,2026-03-02T10:05:40Z,A2,14.00,Corner Cafe,1',
  'T05,2026-03-02T10:05:50Z,A2,1200.00,Gadget World,1',
  'T06,2026-03-02T11:00:00Z,A3,2500.00,Gadget World,0',
  'T07,2026-03-02T11:30:00Z,A3,40.00,Corner Cafe,0',
  'T08,2026-03-02T12:00:00Z,A4,300.00,Shady Shop,1',
  'T09,2026-03-02T12:10:00Z,A4,80.00,SHADY SHOP,0',
  'T10,2026-03-02T12:30:00Z,A5,5000.00,Travel Co,',
  'T11,2026-03-02T13:00:00Z,A5,60.00,Corner Cafe,0',
  'T12,2026-03-02T13:00:10Z,A6,700.00,Gadget World,1',
  'T13,2026-03-02T14:00:00Z,A1,1000.00,Gadget World,0',
  'T14,2026-03-02T14:00:30Z,A1,15.00,Corner Cafe,0',
  'T15,2026-03-02T15:00:00Z,A7,20.00,Corner Cafe,0',
  'T16,2026-03-02T15:00:30Z,A7,20.00,Corner Cafe,0',
  'T17,2026-03-02T15:00:59Z,A7,20.00,Corner Cafe,0',
  'T18,2026-03-02T15:01:30Z,A7,20.00,Corner Cafe,0',
];
const CSV = `${ROWS.join('\n')}\n`;

/**
 * Set A: high_amount `amount > 1000` weighs 60 (review alone), velocity `count > 2` weighs 30
 * (allow alone; with high_amount 100 × (1 − 0.4 × 0.7) = 72, review), a merchant list blocks, and a
 * disabled rule that must not appear in the report.
 */
const SET_A: RulesDocument = {
  version: 'bt-a',
  thresholds: { review: 50, block: 80 },
  lists: { bad_merchants: ['Shady Shop'] },
  rules: [
    { id: 'high_amount', when: 'amount > 1000', weight: 60 },
    { id: 'velocity', when: 'count(account, 1m) > 2', weight: 30 },
    { id: 'bad_merchant', when: 'merchant in list("bad_merchants")', action: 'block' },
    { id: 'night', when: 'hour < 6', weight: 10, enabled: false },
  ],
};

/**
 * Set B: a lower amount limit that blocks on its own (80), a stricter velocity (`count > 3`), the
 * same merchant block. high_amount with velocity: 100 × (1 − 0.2 × 0.7) = 86, block.
 */
const SET_B: RulesDocument = {
  version: 'bt-b',
  thresholds: { review: 50, block: 80 },
  lists: { bad_merchants: ['Shady Shop'] },
  rules: [
    { id: 'high_amount', when: 'amount > 500', weight: 80 },
    { id: 'velocity', when: 'count(account, 1m) > 3', weight: 30 },
    { id: 'bad_merchant', when: 'merchant in list("bad_merchants")', action: 'block' },
  ],
};

function options(overrides: Partial<BacktestOptions> = {}): BacktestOptions {
  return {
    fileKey: 'hand.csv',
    tokenizer: testTokenizer(),
    rules: compileRuleSet(SET_A),
    labelDelayMs: 7 * DAY,
    ...overrides,
  };
}

/** Compares stats exactly for counts and ratios, to 1e-6 for money (sums of E4 integers / 10,000). */
function expectStats(actual: HitStats | undefined, expected: HitStats, what: string): void {
  expect(actual, what).toBeDefined();
  const a = actual as HitStats;
  expect({ hits: a.hits, frauds: a.frauds }, what).toEqual({ hits: expected.hits, frauds: expected.frauds });
  expect(a.precision, `${what} precision`).toBeCloseTo(expected.precision, 9);
  expect(a.recall, `${what} recall`).toBeCloseTo(expected.recall, 9);
  expect(a.per1000, `${what} per1000`).toBeCloseTo(expected.per1000, 9);
  expect(a.moneyCaught, `${what} moneyCaught`).toBeCloseTo(expected.moneyCaught, 6);
  expect(a.moneyFlagged, `${what} moneyFlagged`).toBeCloseTo(expected.moneyFlagged, 6);
}

describe('backtestHistory', () => {
  it('counts the labelled rows, the frauds and the fraud money, skipping unlabelled rows', async () => {
    // Prepare
    const progress: number[] = [];

    // Act
    const report = await backtestHistory(
      chunked(CSV, 53),
      options({ onProgress: (_bytes, rows) => progress.push(rows) }),
    );

    // Assess: 18 rows, T02 and T10 unlabelled → 16; frauds T03, T04, T05, T08, T12; 12 + 14 + 1200 + 300 + 700.
    expect(report.rows).toBe(16);
    expect(report.frauds).toBe(5);
    expect(report.fraudMoney).toBeCloseTo(2226, 6);
    expect(report.base.version).toBe('bt-a');
    expect(report.against).toBeUndefined();
    // Progress counts every row read, labelled or not.
    expect(progress.at(-1)).toBe(18);
  });

  it('computes hits, fraud hits, precision, recall, rate and money per rule', async () => {
    // Act
    const { base } = await backtestHistory(chunked(CSV), options());

    // Assess: the enabled rules, in document order; the disabled `night` is not reported.
    expect(Object.keys(base.rules)).toEqual(['high_amount', 'velocity', 'bad_merchant']);
    // high_amount (> 1000): T05 1200 fraud, T06 2500 legit. T10 (5000) fires but has no label;
    // T13 is exactly 1000, not above. precision 1/2, recall 1/5, 1000 × 2/16 = 125,
    // caught 1200, flagged 1200 + 2500 = 3700.
    expectStats(
      base.rules.high_amount,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 1200, moneyFlagged: 3700 },
      'high_amount',
    );
    // velocity (count > 2): T04 (3, fraud), T05 (4, fraud), T17 (3, legit). T03, T14 and T18 count
    // only 2. precision 2/3, recall 2/5, 1000 × 3/16 = 187.5, caught 14 + 1200 = 1214,
    // flagged 1214 + 20 = 1234.
    expectStats(
      base.rules.velocity,
      { hits: 3, frauds: 2, precision: 2 / 3, recall: 0.4, per1000: 187.5, moneyCaught: 1214, moneyFlagged: 1234 },
      'velocity',
    );
    // bad_merchant: T08 "Shady Shop" 300 fraud, T09 "SHADY SHOP" 80 legit (lists ignore case).
    // precision 1/2, recall 1/5, 125 per 1k, caught 300, flagged 380.
    expectStats(
      base.rules.bad_merchant,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 300, moneyFlagged: 380 },
      'bad_merchant',
    );
  });

  it('computes the same statistics per outcome, with flagged = review + block', async () => {
    // Act
    const { base } = await backtestHistory(chunked(CSV), options());

    // Assess
    // review: T05 (60 and 30 → 72), T06 (60). 1 fraud of 2; caught 1200; flagged 1200 + 2500.
    expectStats(
      base.outcomes.review,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 1200, moneyFlagged: 3700 },
      'review',
    );
    // block: T08, T09 by the merchant action (weight 0, so the score alone would allow them).
    expectStats(
      base.outcomes.block,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 300, moneyFlagged: 380 },
      'block',
    );
    // flagged: T05, T06, T08, T09. 2 fraud of 4, recall 2/5, 1000 × 4/16 = 250, caught 1500,
    // flagged 3700 + 380 = 4080.
    expectStats(
      base.outcomes.flagged,
      { hits: 4, frauds: 2, precision: 0.5, recall: 0.4, per1000: 250, moneyCaught: 1500, moneyFlagged: 4080 },
      'flagged',
    );
    // allow: the other 12 labelled rows, T04 (velocity alone, 30) among them. Frauds T03, T04, T12:
    // precision 3/12, recall 3/5, 750 per 1k, caught 12 + 14 + 700 = 726, flagged 25 + 12 + 14 + 40
    // + 60 + 700 + 1000 + 15 + 4 × 20 = 1946.
    expectStats(
      base.outcomes.allow,
      { hits: 12, frauds: 3, precision: 0.25, recall: 0.6, per1000: 750, moneyCaught: 726, moneyFlagged: 1946 },
      'allow',
    );
    // Every labelled row has exactly one outcome, and all fraud money is either caught or let through.
    expect(base.outcomes.allow.hits + base.outcomes.flagged.hits).toBe(16);
    expect(base.outcomes.allow.moneyCaught + base.outcomes.flagged.moneyCaught).toBeCloseTo(2226, 6);
  });

  it('lets unlabelled rows shape the velocity feature without counting them', async () => {
    // Prepare: the same file without the unlabelled T02.
    const withoutT02 = `${ROWS.filter((r) => !r.startsWith('T02,')).join('\n')}\n`;

    // Act
    const withIt = await backtestHistory(chunked(CSV), options());
    const withoutIt = await backtestHistory(chunked(withoutT02), options());

    // Assess: the labelled rows are the same 16 either way...
    expect(withoutIt.rows).toBe(withIt.rows);
    expect(withoutIt.frauds).toBe(withIt.frauds);
    // ...but without T02, T04 counts only 2 in its minute: velocity hits T05 and T17 only.
    expect(withIt.base.rules.velocity?.hits).toBe(3);
    expectStats(
      withoutIt.base.rules.velocity,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 1200, moneyFlagged: 1220 },
      'velocity without T02',
    );
    // T04 was allowed anyway (30 < 50): the outcomes do not change.
    expect(withoutIt.base.outcomes).toEqual(withIt.base.outcomes);
  });

  it('compares a second rule set on the very same features with against', async () => {
    // Act
    const report = await backtestHistory(chunked(CSV), options({ against: compileRuleSet(SET_B) }));

    // Assess: the base set is unchanged by the comparison.
    const alone = await backtestHistory(chunked(CSV), options());
    expect(report.base).toEqual(alone.base);
    const b = report.against;
    expect(b?.version).toBe('bt-b');
    expect(Object.keys(b?.rules ?? {})).toEqual(['high_amount', 'velocity', 'bad_merchant']);
    // high_amount (> 500): T05 1200 F, T06 2500 L, T12 700 F, T13 1000 L (T10 unlabelled).
    // precision 2/4, recall 2/5, 250 per 1k, caught 1900, flagged 5400.
    expectStats(
      b?.rules.high_amount,
      { hits: 4, frauds: 2, precision: 0.5, recall: 0.4, per1000: 250, moneyCaught: 1900, moneyFlagged: 5400 },
      'B high_amount',
    );
    // velocity (count > 3): T05 only (4 in its minute, T02 included).
    expectStats(
      b?.rules.velocity,
      { hits: 1, frauds: 1, precision: 1, recall: 0.2, per1000: 62.5, moneyCaught: 1200, moneyFlagged: 1200 },
      'B velocity',
    );
    expectStats(
      b?.rules.bad_merchant,
      { hits: 2, frauds: 1, precision: 0.5, recall: 0.2, per1000: 125, moneyCaught: 300, moneyFlagged: 380 },
      'B bad_merchant',
    );
    // block: T05 (86), T06 (80), T12 (80), T13 (80), T08 and T09 (action). Frauds T05, T08, T12:
    // precision 3/6, recall 3/5, 1000 × 6/16 = 375, caught 1200 + 300 + 700 = 2200,
    // flagged 1200 + 2500 + 700 + 1000 + 300 + 80 = 5780.
    const block: HitStats = {
      hits: 6,
      frauds: 3,
      precision: 0.5,
      recall: 0.6,
      per1000: 375,
      moneyCaught: 2200,
      moneyFlagged: 5780,
    };
    expectStats(b?.outcomes.block, block, 'B block');
    expectStats(b?.outcomes.flagged, block, 'B flagged');
    // review: nothing scores in [50, 80): no hits, so precision is undefined (NaN), recall 0.
    expect(b?.outcomes.review).toEqual({
      hits: 0,
      frauds: 0,
      precision: Number.NaN,
      recall: 0,
      per1000: 0,
      moneyCaught: 0,
      moneyFlagged: 0,
    });
    // allow: the other 10; frauds T03, T04: precision 2/10, recall 2/5, 625 per 1k, caught 26,
    // flagged 25 + 12 + 14 + 40 + 60 + 15 + 4 × 20 = 246.
    expectStats(
      b?.outcomes.allow,
      { hits: 10, frauds: 2, precision: 0.2, recall: 0.4, per1000: 625, moneyCaught: 26, moneyFlagged: 246 },
      'B allow',
    );
  });

  it('reports zero labelled rows, and undefined precision and recall, for a file without labels', async () => {
    // Prepare: drop every label.
    const unlabelled = `${ROWS.map((r) => r.replace(/,[01]?$/, ',')).join('\n')}\n`;

    // Act
    const report = await backtestHistory(chunked(unlabelled), options());

    // Assess
    expect(report.rows).toBe(0);
    expect(report.frauds).toBe(0);
    expect(report.fraudMoney).toBe(0);
    expect(report.base.rules.high_amount).toEqual({
      hits: 0,
      frauds: 0,
      precision: Number.NaN,
      recall: Number.NaN,
      per1000: 0,
      moneyCaught: 0,
      moneyFlagged: 0,
    });
  });
});
