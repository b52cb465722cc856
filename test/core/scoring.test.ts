import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleSet, type RuleHit } from '../../src/core/rules.js';
import { combineWeights, decide } from '../../src/core/scoring.js';
import { deepFreeze, firstSeen, makeTx, money } from '../helpers/transactions.js';

function hits(...weights: number[]): RuleHit[] {
  return weights.map((weight, i) => ({ rule: `r${i}`, weight, detail: 'x' }));
}

/** A set whose rules all fire on any transaction (`small_round_amount` with no real limit). */
function alwaysFiring(weights: number[], thresholds = { review: 50, block: 80 }) {
  return compileRuleSet({
    version: 'v-test',
    thresholds,
    rules: weights.map((weight, i) => ({
      id: `r${i}`,
      kind: 'small_round_amount',
      weight,
      params: { max_amount: '900000000', multiple_of: '0.0001' },
    })),
  });
}

describe('combineWeights', () => {
  it('scores 0 without hits', () => {
    expect(combineWeights([])).toBe(0);
  });

  it('combines as noisy OR: 60 and 50 make 80', () => {
    // 100 × (1 − 0.4 × 0.5) = 80
    expect(combineWeights(hits(60, 50))).toBe(80);
  });

  it('hand-computed combinations', () => {
    expect(combineWeights(hits(50, 50))).toBe(75);
    expect(combineWeights(hits(20, 20, 20))).toBe(48.8);
    expect(combineWeights(hits(90, 30))).toBe(93);
    expect(combineWeights(hits(100, 10))).toBe(100);
    expect(combineWeights(hits(0, 0))).toBe(0);
  });

  it('scores one rule of integer weight w exactly w', () => {
    for (let w = 0; w <= 100; w++) expect(combineWeights(hits(w))).toBe(w);
  });

  it('is exact whenever the exact noisy-OR score of integer weights is an integer', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 6 }), (weights) => {
        // Prepare: 100 × (1 − Π(100 − w)/100^k), in integers
        const k = BigInt(weights.length);
        const clean = weights.reduce((p, w) => p * BigInt(100 - w), 1n);
        const scale = 100n ** k;
        const numerator = 100n * (scale - clean);

        // Act
        const score = combineWeights(hits(...weights));

        // Assess
        if (numerator % scale === 0n) expect(score).toBe(Number(numerator / scale));
        else expect(Math.abs(score - Number(numerator) / Number(scale))).toBeLessThan(1e-9);
      }),
    );
  });

  it('never falls below the largest weight or rises above 100, and ignores order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 8 }), (weights) => {
        // Act
        const score = combineWeights(hits(...weights));
        const reversed = combineWeights(hits(...[...weights].reverse()));

        // Assess
        expect(score).toBeGreaterThanOrEqual(Math.max(...weights) - 1e-9);
        expect(score).toBeLessThanOrEqual(100);
        expect(Math.abs(score - reversed)).toBeLessThan(1e-9);
      }),
    );
  });
});

describe('decide', () => {
  const at = new Date('2024-03-01T12:00:05.000Z');

  it.each([
    [[49], 'allow'],
    [[49.99], 'allow'],
    [[50], 'review'],
    [[79.99], 'review'],
    [[80], 'block'],
    [[60, 50], 'block'],
    [[100], 'block'],
    [[], 'allow'],
  ])('maps fired weights %j to %s at the default thresholds 50 / 80', (weights, outcome) => {
    // Prepare
    const set = alwaysFiring(weights);
    const tx = makeTx();

    // Act
    const d = decide(set, tx, firstSeen(tx), at);

    // Assess
    expect(d.outcome).toBe(outcome);
  });

  it.each([
    [20, 'review'],
    [45, 'block'],
    [44.99, 'review'],
  ])('meets custom thresholds exactly: weight %d at review 20 / block 45 is %s', (weight, outcome) => {
    // Prepare
    const set = alwaysFiring([weight], { review: 20, block: 45 });
    const tx = makeTx();

    // Act / Assess
    expect(decide(set, tx, firstSeen(tx), at).outcome).toBe(outcome);
  });

  it('returns the decision contract with reasons, no model score and the rules version', () => {
    // Prepare
    const set = compileRuleSet({
      version: 'rules-9',
      rules: [
        { id: 'high_value', weight: 60 },
        { id: 'cross_border', weight: 50 },
        { id: 'small_round_amount', weight: 20 },
      ],
    });
    const tx = makeTx({ transactionId: 'tx-42', amount: money('12000.50'), country: 'GB', destinationCountry: 'FR' });

    // Act
    const d = decide(set, tx, firstSeen(tx), at);

    // Assess
    expect(d).toEqual({
      transaction_id: 'tx-42',
      score: 80,
      outcome: 'block',
      reasons: [
        { rule: 'high_value', weight: 60, detail: 'amount 12000.50 USD is above 10000.00' },
        { rule: 'cross_border', weight: 50, detail: 'cross-border: GB to FR' },
      ],
      model_score: null,
      model_version: null,
      rules_version: 'rules-9',
      decided_at: '2024-03-01T12:00:05.000Z',
    });
  });

  it('does not mutate its inputs', () => {
    // Prepare
    const set = alwaysFiring([60, 50]);
    const tx = makeTx({ card: { token: 't', masked: 'm' }, attributes: { note: 'n' } });
    const features = firstSeen(tx);
    const snapshot = structuredClone({ tx, features, thresholds: set.thresholds, version: set.version });
    const ruleCount = set.rules.length;
    const time = at.getTime();
    deepFreeze(tx);
    deepFreeze(features);
    deepFreeze(set);

    // Act
    const d = decide(set, tx, features, at);

    // Assess
    expect(d.outcome).toBe('block');
    expect({ tx, features, thresholds: set.thresholds, version: set.version }).toEqual(snapshot);
    expect(set.rules).toHaveLength(ruleCount);
    expect(at.getTime()).toBe(time);
  });

  it('gives the same decision for the same inputs', () => {
    // Prepare
    const set = alwaysFiring([30, 40]);
    const tx = makeTx();
    const f = firstSeen(tx);

    // Act / Assess
    expect(decide(set, tx, f, at)).toEqual(decide(set, tx, f, at));
  });
});
