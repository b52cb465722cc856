import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleSet, type RuleAction, type RuleHit } from '../../src/core/rules.js';
import { combineScores, combineWeights, decide, outcomeOf } from '../../src/core/scoring.js';
import { deepFreeze, firstSeen, makeTx, money } from '../helpers/transactions.js';

function hits(...weights: number[]): RuleHit[] {
  return weights.map((weight, i) => ({ rule: `r${i}`, weight, detail: 'x' }));
}

/** A set whose rules all fire on any transaction. */
function alwaysFiring(weights: number[], thresholds = { review: 50, block: 80 }) {
  return compileRuleSet({
    version: 'v-test',
    thresholds,
    rules: weights.map((weight, i) => ({ id: `r${i}`, when: 'true', weight })),
  });
}

/** A set of rules that all fire: weighted ones (numbers) and action ones (names). */
function firing(...rules: (number | RuleAction)[]) {
  return compileRuleSet({
    version: 'v-test',
    rules: rules.map((r, i) =>
      typeof r === 'number'
        ? { id: `w${i}`, when: 'amount > 0', weight: r }
        : { id: `${r}${i}`, when: 'amount > 0', action: r },
    ),
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
        {
          id: 'high_value',
          when: 'amount > 10000',
          weight: 60,
          detail: 'amount {amount} {currency} is above 10000.00',
        },
        {
          id: 'cross_border',
          when: 'destination_country != coalesce(origin_country, country)',
          weight: 50,
          detail: 'cross-border: {coalesce(origin_country, country)} to {destination_country}',
        },
        { id: 'small_round_amount', when: 'amount < 50 and amount % 1 == 0', weight: 20 },
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
      rules_score: 80,
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

  it('takes the decision time as a Date or as its ISO 8601 string, the same either way', () => {
    // Prepare
    const set = alwaysFiring([30]);
    const tx = makeTx();
    const f = firstSeen(tx);

    // Act
    const fromString = decide(set, tx, f, at.toISOString());

    // Assess
    expect(fromString.decided_at).toBe(at.toISOString());
    expect(fromString).toEqual(decide(set, tx, f, at));
  });

  it('gives the same decision for the same inputs', () => {
    // Prepare
    const set = alwaysFiring([30, 40]);
    const tx = makeTx();
    const f = firstSeen(tx);

    // Act / Assess
    expect(decide(set, tx, f, at)).toEqual(decide(set, tx, f, at));
  });

  it.each([
    [['allow', 90, 'block'], 'allow', 90],
    [['allow', 'review'], 'allow', 0],
    [[100, 'allow'], 'allow', 100],
    [['block'], 'block', 0],
    [[10, 'block', 'review'], 'block', 10],
    [['review'], 'review', 0],
    [['review', 20], 'review', 20],
    [['review', 60, 50], 'block', 80],
    [[60, 50], 'block', 80],
    [[20, 20], 'allow', 36],
  ] as [(number | RuleAction)[], string, number][])(
    'gives action rules precedence: %j decides %s with score %d',
    (rules, outcome, score) => {
      // Prepare
      const set = firing(...rules);
      const tx = makeTx();

      // Act
      const d = decide(set, tx, firstSeen(tx), at);

      // Assess
      expect(d.outcome).toBe(outcome);
      expect(d.score).toBeCloseTo(score, 10);
      expect(d.reasons).toHaveLength(rules.length);
    },
  );

  it('lists action rules among the reasons with their action', () => {
    // Prepare
    const set = compileRuleSet({
      version: 'v',
      rules: [
        { id: 'high_value', when: 'amount > 10000', weight: 60 },
        { id: 'trusted', when: 'account_id == "acc-1"', action: 'allow', detail: 'trusted account {account_id}' },
      ],
    });
    const tx = makeTx({ amount: money('20000') });

    // Act
    const d = decide(set, tx, firstSeen(tx), at);

    // Assess
    expect(d.outcome).toBe('allow');
    expect(d.score).toBe(60);
    expect(d.reasons).toEqual([
      { rule: 'high_value', weight: 60, detail: 'high value' },
      { rule: 'trusted', weight: 0, detail: 'trusted account acc-1', action: 'allow' },
    ]);
  });
});

describe('outcomeOf', () => {
  const thresholds = { review: 50, block: 80 };

  it('meets the thresholds without actions', () => {
    expect(outcomeOf([], 0, thresholds)).toBe('allow');
    expect(outcomeOf(hits(50), 50, thresholds)).toBe('review');
    expect(outcomeOf(hits(80), 80, thresholds)).toBe('block');
  });

  it('lets allow win over block, block over review, and review raise allow', () => {
    const action = (a: RuleAction): RuleHit => ({ rule: a, weight: 0, detail: '', action: a });
    expect(outcomeOf([action('block'), action('allow')], 90, thresholds)).toBe('allow');
    expect(outcomeOf([action('review'), action('block')], 0, thresholds)).toBe('block');
    expect(outcomeOf([action('review')], 0, thresholds)).toBe('review');
    expect(outcomeOf([action('review')], 85, thresholds)).toBe('block');
  });
});

describe('decide with a model', () => {
  const at = new Date('2024-03-01T12:00:05Z');
  const set = compileRuleSet({
    version: 'm-1',
    thresholds: { review: 50, block: 80 },
    lists: { allowed: ['friend'] },
    rules: [
      { id: 'high_value', when: 'amount > 10000', weight: 60 },
      { id: 'very_high', when: 'amount > 50000', weight: 90 },
      { id: 'trusted', when: 'merchant in list("allowed")', action: 'allow' },
    ],
  });
  const model = (score: number) => ({ score, version: 'gbdt-x', top: [{ feature: 'amount_log', weight: 1.5, value: 9 }] });

  it('uses the model score when the rules stay below the block threshold', () => {
    // Prepare: high_value alone scores 60, below block (80)
    const tx = makeTx({ amount: money('12000') });

    // Act
    const d = decide(set, tx, firstSeen(tx), at, model(20));

    // Assess
    expect(d.rules_score).toBe(60);
    expect(d.model_score).toBe(20);
    expect(d.score).toBe(20);
    expect(d.outcome).toBe('allow');
    expect(d.model_version).toBe('gbdt-x');
    expect(d.model_features).toEqual([{ feature: 'amount_log', weight: 1.5, value: 9 }]);
    expect(d.reasons.map((r) => r.rule)).toEqual(['high_value']);
  });

  it('names no model features when the model gives none (a score below the explain threshold)', () => {
    // Prepare
    const tx = makeTx({ amount: money('12000') });

    // Act
    const d = decide(set, tx, firstSeen(tx), at, { score: 20, version: 'gbdt-x', top: [] });

    // Assess: the key is absent, as for a decision without a model, not an empty list
    expect(d.model_score).toBe(20);
    expect('model_features' in d).toBe(false);
    expect('model_features' in decide(set, tx, firstSeen(tx), at)).toBe(false);
  });

  it('keeps rules that reach the block threshold on their own', () => {
    // Prepare: 60 and 90 combine to 96
    const tx = makeTx({ amount: money('60000') });

    // Act
    const d = decide(set, tx, firstSeen(tx), at, model(30));

    // Assess
    expect(d.rules_score).toBeCloseTo(96, 10);
    expect(d.score).toBeCloseTo(96, 10);
    expect(d.outcome).toBe('block');
  });

  it('lets a high model score review or block what the rules miss', () => {
    // Prepare
    const tx = makeTx({ amount: money('20') });

    // Act
    const review = decide(set, tx, firstSeen(tx), at, model(55));
    const block = decide(set, tx, firstSeen(tx), at, model(85));

    // Assess
    expect(review.outcome).toBe('review');
    expect(block.outcome).toBe('block');
  });

  it('still applies an allow action over a high model score', () => {
    // Prepare
    const tx = makeTx({ amount: money('20'), merchant: 'Friend' });

    // Act
    const d = decide(set, tx, firstSeen(tx), at, model(99));

    // Assess
    expect(d.score).toBe(99);
    expect(d.outcome).toBe('allow');
  });

  it('combineScores takes the model unless the rules reach the block threshold', () => {
    expect(combineScores(79.9, 10, 80)).toBe(10);
    expect(combineScores(80, 10, 80)).toBe(80);
    expect(combineScores(85, 95, 80)).toBe(95);
  });
});
