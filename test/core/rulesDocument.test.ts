import { describe, expect, it } from 'vitest';
import { RulesError, RuleSetError } from '../../src/core/errors.js';
import { modelFile } from '../../src/core/model/model.js';
import { loadModel } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { compileRuleSet, evaluate } from '../../src/core/rules.js';
import { decide } from '../../src/core/scoring.js';
import { FeatureWindows } from '../../src/core/features.js';
import { scoreBatch } from '../../src/pipeline/score.js';
import { firstSeen, makeTx, money } from '../helpers/transactions.js';

// Rules documents at their edges, word for word: what a person editing rules reads when a
// document is refused, and which documents are accepted at the limits.

/** The problem a document is refused for: its path and reason (one problem), or each of several. */
function refusal(doc: unknown): string | string[] {
  try {
    compileRuleSet(doc);
  } catch (e) {
    if (e instanceof RuleSetError) return e.errors.map((x) => `${x.path}: ${x.reason}`);
    if (e instanceof RulesError) return `${e.path}: ${e.reason}`;
    throw e;
  }
  throw new Error('expected the document to be refused');
}

const rule = (extra: Record<string, unknown> = {}) => ({ id: 'r', when: 'amount > 1', weight: 10, ...extra });

describe('rules documents refused, word for word', () => {
  it.each([
    [null, ': must be a JSON object with "rules"'],
    [[], ': must be a JSON object with "rules"'],
    [{ rules: [], extra: 1 }, 'extra: is not a rules document key (keys: version, description, thresholds, lists, rules)'],
    [{ rules: [], version: '' }, 'version: must be a non-empty string'],
    [{ rules: [], version: 3 }, 'version: must be a non-empty string, such as "3"'],
    [{ rules: [], description: 3 }, 'description: must be a string'],
    [{ rules: [], thresholds: { review: '50' } }, 'thresholds.review: must be a number 0–100'],
    [{ rules: [], thresholds: { review: -1 } }, 'thresholds.review: must be a number 0–100'],
    [{ rules: [], thresholds: { block: 100.5 } }, 'thresholds.block: must be a number 0–100'],
    [{ rules: [], thresholds: { review: 60, block: 59 } }, 'thresholds: block must not be lower than review'],
    [{ rules: [null] }, 'rules[0]: must be an object'],
    [{ rules: [rule({ id: 'high-value' })] }, 'rules[0].id: must be a snake_case name of at most 64 characters'],
    [{ rules: [rule({ id: 'Rule' })] }, 'rules[0].id: must be a snake_case name of at most 64 characters'],
    [{ rules: [rule({ colour: 'red' })] }, 'rules[0].colour: is not a rule key (keys: id, version, description, when, weight, action, detail, enabled)'],
    [{ rules: [rule({ version: '2' })] }, 'rules[0].version: must be a positive integer'],
    [{ rules: [rule({ version: 0 })] }, 'rules[0].version: must be a positive integer'],
    [{ rules: [rule({ description: 7 })] }, 'rules[0].description: must be a string'],
    [{ rules: [{ id: 'r', when: 'amount > 1' }] }, 'rules[0]: needs a "weight" (0–100) or an "action" (allow, review, block)'],
    [{ rules: [rule({ weight: -0.5 })] }, 'rules[0].weight: must be a number 0–100'],
    [{ rules: [rule({ weight: undefined, action: 'flag' })] }, 'rules[0].action: must be one of allow, review, block'],
  ])('%j: %s', (doc, expected) => {
    expect(refusal(doc)).toBe(expected);
  });

  it('lists every problem when there are several', () => {
    expect(refusal({ rules: [rule({ weight: 101 }), rule({ id: 's', when: 'amount >' })], extra: 1 })).toEqual([
      'extra: is not a rules document key (keys: version, description, thresholds, lists, rules)',
      'rules[0].weight: must be a number 0–100',
      expect.stringMatching(/^rules\[1\]\.when: the expression ends too early/),
    ]);
  });
});

describe('rules documents accepted at their limits', () => {
  it('takes thresholds of 0 and 100, equal thresholds, and weights of 0 and 100', () => {
    expect(compileRuleSet({ rules: [], thresholds: { review: 0, block: 100 } }).thresholds).toEqual({ review: 0, block: 100 });
    expect(compileRuleSet({ rules: [], thresholds: { review: 70, block: 70 } }).thresholds).toEqual({ review: 70, block: 70 });
    const set = compileRuleSet({ rules: [rule({ weight: 0 }), rule({ id: 's', weight: 100 })] });
    expect(set.rules.map((r) => r.weight)).toEqual([0, 100]);
  });

  it('matches list entries whatever their spaces and case', () => {
    const set = compileRuleSet({ lists: { bad: [' Shady Shop ', 'QUICK'] }, rules: [rule({ when: 'merchant in list("bad")' })] });
    const hit = (merchant: string) => evaluate(set, makeTx({ merchant }), firstSeen(makeTx())).fired.length;
    expect([hit('shady shop'), hit('Quick'), hit('other')]).toEqual([1, 1, 0]);
  });

  it('describes a rule by its id when the description is empty', () => {
    const set = compileRuleSet({ rules: [rule({ id: 'high_value', description: '' })] });
    expect(set.rules[0]?.description).toBe('high value');
    expect(evaluate(set, makeTx(), firstSeen(makeTx())).fired[0]?.detail).toBe('high value');
  });

  it('gives a weighted hit no action at all, and an action hit its action', () => {
    const set = compileRuleSet({ rules: [rule(), rule({ id: 's', weight: undefined, action: 'block' })] });
    const { fired } = evaluate(set, makeTx(), firstSeen(makeTx()));
    expect(fired.map((h) => Object.keys(h))).toEqual([
      ['rule', 'weight', 'detail'],
      ['rule', 'weight', 'detail', 'action'],
    ]);
    expect(fired[1]?.action).toBe('block');
  });
});

/** A one-tree model that scores every transaction the same, naming its one feature. */
function stumpModel() {
  const tree = { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -2, 2] };
  const training = {
    rows: 10,
    positives: 1,
    negatives_kept: 9,
    negative_weight: 1,
    from: null,
    to: null,
    label_delay_ms: 0,
    trees_trained: 1,
    best_iteration: 1,
    validation_logloss: null,
    seconds: 0,
  };
  const gain = new Float64Array(FEATURE_COUNT);
  gain[0] = 1;
  return loadModel(modelFile({ base: -2, trees: [tree] }, training, gain, new Date(0)));
}

describe('decisions with a model', () => {
  const set = compileRuleSet({ version: 'v', rules: [rule()] });

  it('names the features behind a model score only when there are some', () => {
    const tx = makeTx();
    const f = firstSeen(tx);
    const without = decide(set, tx, f, '2024-01-01T00:00:00.000Z', { score: 40, version: 'm', top: [] });
    const withTop = decide(set, tx, f, '2024-01-01T00:00:00.000Z', {
      score: 40,
      version: 'm',
      top: [{ feature: 'amount', weight: 1, value: 2 }],
    });
    expect('model_features' in without).toBe(false);
    expect(withTop.model_features).toEqual([{ feature: 'amount', weight: 1, value: 2 }]);
    expect([without.model_score, without.model_version]).toEqual([40, 'm']);
  });

  it('scores a batch with the model: model score, version and features on each decision', () => {
    // Prepare
    const model = stumpModel();
    const items = [
      { transaction: makeTx({ transactionId: 'a', amount: money('5') }) },
      { transaction: makeTx({ transactionId: 'b', amount: money('7') }), source: { row: 2, line: 3, file: 'f.csv' } },
    ];

    // Act
    const scored = scoreBatch(items, new Set(), { features: new FeatureWindows(), rules: set, model, now: () => new Date(0) });

    // Assess
    expect(scored.duplicates).toEqual([]);
    expect(scored.decided.map((d) => d.decision.model_version)).toEqual([model.version, model.version]);
    for (const d of scored.decided) {
      expect(d.decision.model_score).toEqual(expect.any(Number));
      expect(d.decision.model_features?.length).toBeGreaterThan(0);
      expect(d.decision.decided_at).toBe('1970-01-01T00:00:00.000Z');
    }
    expect(scored.decided.map((d) => d.source)).toEqual([undefined, { row: 2, line: 3, file: 'f.csv' }]);
    expect('source' in (scored.decided[0] as object)).toBe(false);
  });
});
