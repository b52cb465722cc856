import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  type CardScore,
  cardPrecisionAtK,
  precisionRecallAt,
  prCurve,
  rocAuc,
  rocCurve,
} from '../../src/core/metrics.js';

/** The definition of ROC AUC: share of (fraud, legit) pairs the scores order correctly, ties ½. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let pairs = 0;
  let right = 0;
  scores.forEach((sf, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sl, j) => {
      if (labels[j] === 1) return;
      pairs++;
      right += sf > sl ? 1 : sf === sl ? 0.5 : 0;
    });
  });
  return pairs === 0 ? Number.NaN : right / pairs;
}

describe('rocAuc', () => {
  it('is the share of correctly ordered (fraud, legit) pairs', () => {
    // Prepare: frauds at 0.9 and 0.7; legit at 0.8, 0.6, 0.5.
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
    const labels = [1, 0, 1, 0, 0];

    // Act
    const auc = rocAuc(scores, labels);

    // Assess: 0.9 beats all 3 legit (3), 0.7 beats 0.6 and 0.5 (2): 5 of 2 × 3 = 6 pairs.
    expect(auc).toBeCloseTo(5 / 6, 12);
  });

  it('counts tied pairs as half', () => {
    // Prepare
    const allTied = { scores: [0.8, 0.8, 0.5, 0.5], labels: [1, 0, 1, 0] };
    const someTied = { scores: [0.9, 0.5, 0.5, 0.1], labels: [1, 1, 0, 0] };

    // Act
    const a = rocAuc(allTied.scores, allTied.labels);
    const b = rocAuc(someTied.scores, someTied.labels);

    // Assess
    // a: (f.8,l.8) ½ + (f.8,l.5) 1 + (f.5,l.8) 0 + (f.5,l.5) ½ = 2 of 4 pairs = 0.5
    expect(a).toBeCloseTo(0.5, 12);
    // b: (f.9,l.5) 1 + (f.9,l.1) 1 + (f.5,l.5) ½ + (f.5,l.1) 1 = 3.5 of 4 pairs = 0.875
    expect(b).toBeCloseTo(0.875, 12);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    // Prepare
    const scores = [0.9, 0.1, 0.8, 0.3];

    // Act
    const perfect = rocAuc(scores, [1, 0, 1, 0]);
    const reversed = rocAuc(scores, [0, 1, 0, 1]);

    // Assess
    expect(perfect).toBe(1);
    expect(reversed).toBe(0);
  });

  it('is NaN when one class is absent', () => {
    // Prepare
    const scores = [0.3, 0.2, 0.1];

    // Act
    const onlyFraud = rocAuc(scores, [1, 1, 1]);
    const onlyLegit = rocAuc(scores, [0, 0, 0]);
    const empty = rocAuc([], []);

    // Assess
    expect(onlyFraud).toBeNaN();
    expect(onlyLegit).toBeNaN();
    expect(empty).toBeNaN();
  });

  it('equals the pairwise definition on random scores with ties (property)', () => {
    fc.assert(
      fc.property(
        // Scores from a small set so ties are common.
        fc.array(fc.record({ score: fc.integer({ min: 0, max: 6 }), label: fc.constantFrom(0, 1) }), {
          minLength: 0,
          maxLength: 40,
        }),
        (rows) => {
          // Prepare
          const scores = rows.map((r) => r.score / 6);
          const labels = rows.map((r) => r.label);

          // Act
          const auc = rocAuc(scores, labels);

          // Assess
          const expected = pairwiseAuc(scores, labels);
          if (Number.isNaN(expected)) expect(auc).toBeNaN();
          else expect(auc).toBeCloseTo(expected, 12);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('averagePrecision', () => {
  it('sums precision at each fraud times the recall step', () => {
    // Prepare: ranking legit, fraud, fraud, legit, fraud.
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
    const labels = [0, 1, 1, 0, 1];

    // Act
    const ap = averagePrecision(scores, labels);

    // Assess: precision 1/2 at rank 2, 2/3 at rank 3, 3/5 at rank 5, each a recall step of 1/3:
    // (1/2 + 2/3 + 3/5) / 3 = (15 + 20 + 18) / 30 / 3 = 53/90.
    expect(ap).toBeCloseTo(53 / 90, 12);
  });

  it('takes tied scores as one threshold', () => {
    // Prepare: legit 0.9; fraud and legit tied at 0.7; fraud 0.2.
    const scores = [0.9, 0.7, 0.7, 0.2];
    const labels = [0, 1, 0, 1];

    // Act
    const ap = averagePrecision(scores, labels);

    // Assess: at ≥ 0.7, 1 fraud of 3 flagged (recall ½); at ≥ 0.2, 2 of 4 (recall 1):
    // ½ × 1/3 + ½ × 2/4 = 1/6 + 1/4 = 5/12. (Without grouping the tie it would be ½ × ½ + ½ × ½.)
    expect(ap).toBeCloseTo(5 / 12, 12);
  });

  it('is 1 when every row is fraud and NaN without frauds', () => {
    // Prepare
    const scores = [0.4, 0.4, 0.1];

    // Act
    const allFraud = averagePrecision(scores, [1, 1, 1]);
    const noFraud = averagePrecision(scores, [0, 0, 0]);

    // Assess
    expect(allFraud).toBe(1);
    expect(noFraud).toBeNaN();
  });
});

describe('precisionRecallAt', () => {
  it('counts scores at or above the threshold as flagged', () => {
    // Prepare
    const scores = [90, 80, 50, 49.9, 10];
    const labels = [1, 0, 1, 1, 0];

    // Act
    const at50 = precisionRecallAt(scores, labels, 50);

    // Assess: flagged 90, 80, 50 (3), of which 2 fraud; 3 frauds in all.
    expect(at50).toEqual({ precision: 2 / 3, recall: 2 / 3, flagged: 3 });
  });

  it('gives NaN precision when nothing is flagged and NaN recall without frauds', () => {
    // Prepare
    const scores = [90, 10];

    // Act
    const none = precisionRecallAt(scores, [1, 0], 95);
    const noFraud = precisionRecallAt(scores, [0, 0], 50);

    // Assess
    expect(none.flagged).toBe(0);
    expect(none.precision).toBeNaN();
    expect(none.recall).toBe(0);
    expect(noFraud).toEqual({ precision: 0, recall: Number.NaN, flagged: 1 });
  });
});

describe('cardPrecisionAtK', () => {
  it('ranks cards per day by their highest score and divides by k every day', () => {
    // Prepare
    const rows: CardScore[] = [
      // day 0 — per card: A max 95 legit, B max 60 fraud, C 70 legit, D max 99 fraud (its fraud scored 40)
      { day: 0, card: 'A', score: 30, label: 0 },
      { day: 0, card: 'A', score: 95, label: 0 },
      { day: 0, card: 'B', score: 60, label: 1 },
      { day: 0, card: 'B', score: 20, label: 0 },
      { day: 0, card: 'C', score: 70, label: 0 },
      { day: 0, card: 'D', score: 40, label: 1 },
      { day: 0, card: 'D', score: 99, label: 0 },
      // day 1 — a single card, fraud: fewer cards than k
      { day: 1, card: 'A', score: 80, label: 1 },
    ];

    // Act
    const cp = cardPrecisionAtK(rows, 3);

    // Assess
    // day 0: top 3 = D (99, fraud), A (95), C (70) → 1/3
    // day 1: top 3 = A (fraud) only → 1/3 (the denominator stays k, as in the Fraud Detection Handbook)
    // mean over the 2 days: (1/3 + 1/3) / 2 = 1/3
    expect(cp).toBeCloseTo(1 / 3, 12);
  });

  it('with removeDetected, drops a fraudulent card found in a day\'s top k from the later days, as the handbook does', () => {
    // Prepare: day 1 (listed first: days are taken in order, not in row order) — A fraud at 90,
    // B legit at 50; day 0 — A fraud at 80, C fraud at 10, D legit at 60.
    const rows: CardScore[] = [
      { day: 1, card: 'A', score: 90, label: 1 },
      { day: 1, card: 'B', score: 50, label: 0 },
      { day: 1, card: 'C', score: 40, label: 1 },
      { day: 0, card: 'A', score: 80, label: 1 },
      { day: 0, card: 'C', score: 10, label: 1 },
      { day: 0, card: 'D', score: 60, label: 0 },
    ];

    // Act
    const kept = cardPrecisionAtK(rows, 2);
    const removed = cardPrecisionAtK(rows, 2, { removeDetected: true });

    // Assess
    // kept: day 0 top 2 = A (fraud), D → 1/2; day 1 top 2 = A (fraud), B → 1/2; mean 1/2
    expect(kept).toBeCloseTo(1 / 2, 12);
    // removed: day 0 as above, A detected; day 1 without A: B, C (fraud) → 1/2; mean 1/2 — and
    // with k = 1: day 0 A → 1; day 1 without A: B → 0; mean 1/2 against 1 when A stays.
    expect(removed).toBeCloseTo(1 / 2, 12);
    expect(cardPrecisionAtK(rows, 1, { removeDetected: true })).toBeCloseTo(1 / 2, 12);
    expect(cardPrecisionAtK(rows, 1)).toBeCloseTo(1, 12);
  });

  it('counts a card once however many of its transactions are fraud', () => {
    // Prepare: one day, card A with three frauds, card B legit.
    const rows: CardScore[] = [
      { day: 5, card: 'A', score: 10, label: 1 },
      { day: 5, card: 'A', score: 20, label: 1 },
      { day: 5, card: 'A', score: 30, label: 1 },
      { day: 5, card: 'B', score: 90, label: 0 },
    ];

    // Act
    const cp = cardPrecisionAtK(rows, 2);

    // Assess: top 2 = B (90, legit), A (30, fraud) → 1/2.
    expect(cp).toBeCloseTo(0.5, 12);
  });

  it('is NaN without rows', () => {
    // Prepare
    const rows: CardScore[] = [];

    // Act
    const cp = cardPrecisionAtK(rows);

    // Assess
    expect(cp).toBeNaN();
  });
});

describe('rocCurve', () => {
  it('has a point per distinct score, from (0, 0) to (1, 1)', () => {
    // Prepare: 2 frauds, 2 legit; a fraud and a legit tied at 0.8.
    const scores = [0.9, 0.8, 0.8, 0.3];
    const labels = [1, 1, 0, 0];

    // Act
    const curve = rocCurve(scores, labels);

    // Assess: ≥ 0.9 → TP 1, FP 0; ≥ 0.8 → TP 2, FP 1; ≥ 0.3 → TP 2, FP 2.
    expect(curve).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0.5 },
      { x: 0.5, y: 1 },
      { x: 1, y: 1 },
    ]);
  });
});

describe('prCurve', () => {
  it('gives (recall, precision) at each distinct score', () => {
    // Prepare
    const scores = [0.9, 0.8, 0.8, 0.3];
    const labels = [1, 1, 0, 0];

    // Act
    const curve = prCurve(scores, labels);

    // Assess: ≥ 0.9 → 1 of 1 flagged (recall ½); ≥ 0.8 → 2 of 3 (recall 1); ≥ 0.3 → 2 of 4.
    expect(curve).toEqual([
      { x: 0.5, y: 1 },
      { x: 1, y: 2 / 3 },
      { x: 1, y: 0.5 },
    ]);
  });

  it('gives recall 0 without frauds', () => {
    // Prepare
    const scores = [0.5, 0.4];

    // Act
    const curve = prCurve(scores, [0, 0]);

    // Assess
    expect(curve).toEqual([
      { x: 0, y: 0 },
      { x: 0, y: 0 },
    ]);
  });
});
