import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEATURE_ROW, FeatureWindows, type FeatureWindowsOptions } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import type { Transaction } from '../../src/core/transaction.js';
import { makeTx } from '../helpers/transactions.js';

const T = Date.UTC(2024, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;

/** The numbers of one row, NaN included (compared with Object.is by toEqual). */
function rowOf(values: Float64Array, at: number): number[] {
  return Array.from(values.subarray(at, at + FEATURE_ROW));
}

/** Observes `txs` one at a time, each row copied out. */
function oneByOne(options: () => FeatureWindowsOptions, txs: readonly Transaction[]): number[][] {
  const store = new FeatureWindows(options());
  return txs.map((tx) => {
    const f = store.observe(tx);
    return rowOf(f.values, f.at);
  });
}

/** Observes `txs` in batches of the given sizes (cycled) through one reused matrix, with a gap between rows. */
function inBatches(options: () => FeatureWindowsOptions, txs: readonly Transaction[], sizes: readonly number[], stride: number): number[][] {
  const store = new FeatureWindows(options());
  const largest = Math.max(...sizes);
  const matrix = new Float64Array(largest * stride).fill(-7); // stale numbers the batch must overwrite
  const rows: number[][] = [];
  for (let from = 0, k = 0; from < txs.length; k++) {
    const to = Math.min(txs.length, from + (sizes[k % sizes.length] as number));
    store.observeBatch(txs, from, to, matrix, stride);
    const row = store.row(matrix);
    for (let i = from; i < to; i++) {
      row.at = (i - from) * stride;
      rows.push(rowOf(row.values, row.at));
    }
    from = to;
  }
  return rows;
}

/** Where two lists of rows first differ (NaN equal to NaN, 0 to -0 not), or undefined. */
function firstDifference(actual: number[][], expected: number[][]): string | undefined {
  if (actual.length !== expected.length) return `${actual.length} rows, not ${expected.length}`;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number[];
    const e = expected[i] as number[];
    for (let j = 0; j < e.length; j++) if (!Object.is(a[j], e[j])) return `row ${i} number ${j}: ${a[j]}, not ${e[j]}`;
  }
  return undefined;
}

const event = fc.record({
  step: fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 6, arbitrary: fc.integer({ min: 1, max: 2 * MINUTE }) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 * DAY }) },
    { weight: 1, arbitrary: fc.integer({ min: 30 * DAY, max: 40 * DAY }) },
  ),
  // Behind the newest event: mostly on time, some within the lateness, a few beyond it.
  late: fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 7 * DAY }) },
    { weight: 1, arbitrary: fc.integer({ min: 7 * DAY, max: 40 * DAY }) },
  ),
  account: fc.integer({ min: 0, max: 40 }),
  card: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
  terminal: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
  merchant: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
  amount: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  country: fc.option(fc.constantFrom('GB', 'FR', 'US', 'DE'), { nil: undefined }),
  label: fc.option(fc.constantFrom<0 | 1>(0, 1), { nil: undefined }),
});

/** One generated event. */
type EventSpec = typeof event extends fc.Arbitrary<infer E> ? E : never;

function transactions(events: EventSpec[]): Transaction[] {
  let clock = T;
  return events.map((e, i) => {
    clock += e.step;
    const tx = makeTx({ transactionId: `tx-${i}`, timestamp: clock - e.late, accountId: `a${e.account}`, amount: e.amount });
    if (e.card !== undefined) tx.card = { token: `c${e.card}`, masked: 'x' };
    if (e.terminal !== undefined) tx.terminalId = `t${e.terminal}`;
    if (e.merchant !== undefined) tx.merchant = `m${e.merchant}`;
    if (e.country !== undefined) tx.country = e.country;
    if (e.label !== undefined) tx.label = e.label;
    return tx;
  });
}

describe('FeatureWindows.observeBatch', () => {
  it('writes the same features as observe one by one, in batches of any size (property)', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 200 }),
        fc.array(fc.oneof(fc.constant(1), fc.constant(7), fc.constant(4096), fc.integer({ min: 1, max: 50 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 10 * DAY }), { nil: undefined }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(0, 5, 1000),
        (events, sizes, delayMs, gap, readAheadFrom) => {
          // Prepare: label feedback on when a delay is drawn; the batches read each row's state
          // ahead from the first entity, from the fifth (switching inside a batch), or (as the
          // default does with so few) never
          const txs = transactions(events);
          const options = (): FeatureWindowsOptions => ({
            ...(delayMs === undefined ? {} : { labels: new LabelFeedback({ delayMs }) }),
            readAheadFrom,
          });

          // Act
          const expected = oneByOne(options, txs);
          const actual = inBatches(options, txs, sizes, FEATURE_ROW + gap);

          // Assess
          expect(firstDifference(actual, expected)).toBeUndefined();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a matrix too small for the batch or a stride shorter than a row', () => {
    // Prepare
    const store = new FeatureWindows();
    const txs = [makeTx(), makeTx({ transactionId: 'tx-2' })];

    // Act / Assess
    expect(() => store.observeBatch(txs, 0, 2, new Float64Array(FEATURE_ROW))).toThrow(RangeError);
    expect(() => store.observeBatch(txs, 0, 2, new Float64Array(4 * FEATURE_ROW), FEATURE_ROW - 1)).toThrow(RangeError);
    // the messages say what does not fit: rows from 1 to 2 are one row, not three
    expect(() => store.observeBatch([makeTx(), ...txs], 1, 2, new Float64Array(FEATURE_ROW - 1))).toThrow(
      `1 rows do not fit in ${FEATURE_ROW - 1} numbers`,
    );
    expect(() => store.observeBatch(txs, 0, 2, new Float64Array(4 * FEATURE_ROW), FEATURE_ROW - 1)).toThrow(
      `a row takes ${FEATURE_ROW} numbers, not ${FEATURE_ROW - 1}`,
    );
    expect(store.size().events).toBe(0);
  });

  it('writes the same features as observe one by one across a sweep of idle entities inside a batch', () => {
    // Prepare: 300 accounts on day 0 with labels known on day 45, then a busy account on day 70
    // (every 1,000th of its events ten days late) until the 100,000th event, which sweeps the
    // idle ones. Account old-0 comes back ten events before it (held still: it keeps its day-0
    // event as the previous one) and old-1 with it (swept just before); right after it, in the
    // same batch, the swept accounts come back and new ones take their freed ids
    const options = (): FeatureWindowsOptions => ({ labels: new LabelFeedback({ delayMs: 45 * DAY }), readAheadFrom: 0 });
    const txs: Transaction[] = [];
    for (let i = 0; i < 300; i++) {
      txs.push(makeTx({ transactionId: `old-${i}`, accountId: `old-${i}`, timestamp: T + i, label: 1, terminalId: `t${i % 7}` }));
    }
    while (txs.length < 100_000) {
      const n = txs.length;
      const accountId = n === 99_990 ? 'old-0' : n === 99_999 ? 'old-1' : 'busy';
      const timestamp = T + 70 * DAY + n - (n % 1000 === 0 ? 10 * DAY : 0);
      txs.push(makeTx({ transactionId: `busy-${n}`, accountId, timestamp }));
    }
    for (let i = 0; i < 300; i++) {
      const at = T + 71 * DAY + i;
      txs.push(makeTx({ transactionId: `back-${i}`, accountId: `old-${i}`, timestamp: at, terminalId: `t${i % 7}` }));
      txs.push(makeTx({ transactionId: `new-${i}`, accountId: `new-${i}`, timestamp: at, label: 0 }));
    }

    for (const size of [4096, 7, 1]) {
      // Act: both stores side by side, each batch's rows compared as they come
      const one = new FeatureWindows(options());
      const batched = new FeatureWindows(options());
      const matrix = new Float64Array(size * FEATURE_ROW);
      let difference: string | undefined;
      for (let from = 0; from < txs.length && difference === undefined; from += size) {
        const to = Math.min(txs.length, from + size);
        batched.observeBatch(txs, from, to, matrix);
        for (let i = from; i < to && difference === undefined; i++) {
          const f = one.observe(txs[i] as Transaction);
          difference = firstDifference([rowOf(matrix, (i - from) * FEATURE_ROW)], [rowOf(f.values, f.at)]);
          if (difference !== undefined) difference = `batches of ${size}, transaction ${i}: ${difference}`;
        }
        if (difference === undefined && batched.latest !== one.latest) {
          difference = `batches of ${size}, after transaction ${to - 1}: latest ${batched.latest}, not ${one.latest}`;
        }
      }

      // Assess: the same rows, and the sweep did happen (the 300 old accounts were forgotten, then seen again)
      expect(difference).toBeUndefined();
      expect(batched.size()).toEqual(one.size());
      expect(batched.size().entities).toBe(1 + 300 + 300 + 7);
    }
  });

  it('gives a reused entity id a fresh start: no windows or labels of the entity that held it before', () => {
    // Prepare: 300 accounts with fraud labels on day 0, known on day 45, swept once the stream
    // passes day 44 + 14 and reaches its 100,000th event
    const options = (): FeatureWindowsOptions => ({ labels: new LabelFeedback({ delayMs: 45 * DAY }) });
    const store = new FeatureWindows(options());
    for (let i = 0; i < 300; i++) store.observe(makeTx({ transactionId: `old-${i}`, accountId: `old-${i}`, timestamp: T, label: 1 }));
    for (let i = 0; i < 100_000; i++) store.observe(makeTx({ transactionId: `busy-${i}`, accountId: 'busy', timestamp: T + 70 * DAY }));

    // Act: new accounts take the freed ids
    const newcomers = Array.from({ length: 300 }, (_, i) =>
      makeTx({ transactionId: `new-${i}`, accountId: `new-${i}`, timestamp: T + 70 * DAY, label: 0 }),
    );
    const reused = newcomers.map((tx) => {
      const f = store.observe(tx);
      return rowOf(f.values, f.at);
    });

    // Assess: exactly what a store that never saw the old accounts gives them (no labels known
    // in their last 30 days, though the old accounts' labels are)
    const fresh = new FeatureWindows(options());
    const expected = newcomers.map((tx) => {
      const f = fresh.observe(tx);
      return rowOf(f.values, f.at);
    });
    expect(store.size().entities).toBe(301);
    expect(reused).toEqual(expected);
  });
});
