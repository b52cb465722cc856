import { describe, expect, it } from 'vitest';
import { recommendThresholds, type ScoredRow, thresholdOutcome } from '../../src/core/model/thresholds.js';
import { seededRandom } from '../helpers/random.js';

/** Rows whose fraud odds rise with the score, over `days` days. */
function rows(n: number, seed: number): ScoredRow[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const score = Math.round(rand() * 1000) / 10;
    return { score, label: rand() < (score / 100) ** 3 ? 1 : 0, amount: 10 + Math.round(rand() * 100) };
  });
}

const CURRENT = { review: 50, block: 80 };

describe('recommendThresholds', () => {
  it('keeps reviews within the capacity over the validation days, with as many as fit', () => {
    // Prepare
    const validation = rows(3_000, 1);
    const days = 3;

    // Act
    const t = recommendThresholds(validation, days, { reviewCapacityPerDay: 40 }, CURRENT);

    // Assess: the block threshold stays; reviews fit, and one step lower would not
    expect(t.block).toBe(80);
    const reviewed = validation.filter((r) => r.score >= t.review && r.score < t.block).length;
    expect(reviewed).toBeLessThanOrEqual(120);
    const nextLower = Math.max(...validation.filter((r) => r.score < t.review).map((r) => r.score));
    expect(validation.filter((r) => r.score >= nextLower && r.score < t.block).length).toBeGreaterThan(120);
  });

  it('blocks where the cost of the errors is lowest', () => {
    // Prepare
    const validation = rows(2_000, 2);
    const budget = { costFp: 4, costFn: 60 };
    const cost = (block: number): number =>
      validation.reduce(
        (c, r) => c + (r.score >= block ? (r.label === 0 ? budget.costFp : 0) : r.label === 1 ? budget.costFn : 0),
        0,
      );

    // Act
    const t = recommendThresholds(validation, 1, budget, CURRENT);

    // Assess: no other score as a block threshold costs less
    const best = Math.min(...validation.map((r) => cost(r.score)));
    expect(cost(t.block)).toBe(best);
    expect(t.review).toBeLessThanOrEqual(t.block);
    // A missed fraud costing more moves the block threshold down (or keeps it).
    expect(recommendThresholds(validation, 1, { costFp: 4, costFn: 600 }, CURRENT).block).toBeLessThanOrEqual(t.block);
  });

  it('blocks no legit row when that costs more than every fraud it would stop, and nothing at all when the top row is legit', () => {
    // Prepare: a missed fraud is cheap
    const validation = rows(500, 3);
    const topLegit = validation.map((r) => (r.score >= 95 ? { ...r, label: 0 } : r));

    // Act
    const t = recommendThresholds(validation, 1, { costFp: 1_000, costFn: 1 }, CURRENT);
    const off = recommendThresholds(topLegit, 1, { costFp: 1_000, costFn: 1 }, CURRENT);

    // Assess
    const o = thresholdOutcome(validation, 1, t);
    expect(o.blocked).toBe(o.blockedFraud);
    expect(thresholdOutcome(topLegit, 1, off).blocked).toBe(0);
    expect(off.block).toBeGreaterThan(100);
  });
});

describe('thresholdOutcome', () => {
  it('counts blocked, reviewed, caught and missed frauds, money and false positives', () => {
    // Prepare
    const test: ScoredRow[] = [
      { score: 90, label: 1, amount: 100 },
      { score: 85, label: 0, amount: 7 },
      { score: 60, label: 1, amount: 30 },
      { score: 55, label: 0, amount: 5 },
      { score: 52, label: 0, amount: 5 },
      { score: 10, label: 1, amount: 44 },
    ];

    // Act
    const o = thresholdOutcome(test, 2, CURRENT, { costFp: 2, costFn: 10 });

    // Assess
    expect(o).toMatchObject({
      blocked: 2,
      blockedFraud: 1,
      reviewed: 3,
      reviewedFraud: 1,
      caughtFraud: 2,
      caughtMoney: 130,
      missedFraud: 1,
      missedMoney: 44,
      falsePositives: 3,
      reviewsPerDay: 1.5,
      cost: 2 * 1 + 10 * 1,
    });
  });
});
