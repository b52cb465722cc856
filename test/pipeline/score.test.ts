import { describe, expect, it } from 'vitest';
import { type FeatureRow, FeatureWindows, type Features } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import { blockMargins } from '../../src/core/model/gbdt.js';
import { loadModel, type Model, modelFile, scoreWithModel } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { type Decision, decide } from '../../src/core/scoring.js';
import type { Transaction } from '../../src/core/transaction.js';
import type { FeatureSource } from '../../src/ports/FeatureSource.js';
import { decidePrepared, type Explain, MODEL_BLOCK_ROWS, prepareBatch, scoreBatch } from '../../src/pipeline/score.js';
import { DAY, HISTORY_RULES, trainedHistory } from '../helpers/trainedHistory.js';
import { makeTx, money, T0 } from '../helpers/transactions.js';

const RULES = compileRuleSet({
  version: 'score-stage',
  thresholds: { review: 50, block: 80 },
  rules: [
    { id: 'big', when: 'amount >= 1000', weight: 60 },
    { id: 'busy', when: 'count(account, 1h) >= 3', weight: 30 },
  ],
});

const NOW = new Date(T0 + 3_600_000);

/** Real feature windows that also record which transactions they were shown. */
class RecordingFeatures implements FeatureSource {
  readonly seen: string[] = [];
  private readonly windows = new FeatureWindows();
  observe(tx: Transaction): Features {
    this.seen.push(tx.transactionId);
    return this.windows.observe(tx);
  }
  observeBatch(txs: readonly Transaction[], from: number, to: number, out: Float64Array, stride?: number): void {
    for (let i = from; i < to; i++) this.seen.push((txs[i] as Transaction).transactionId);
    this.windows.observeBatch(txs, from, to, out, stride);
  }
  row(matrix: Float64Array): FeatureRow {
    return this.windows.row(matrix);
  }
}

/**
 * A model of stumps that always go right (threshold below any value), so every transaction
 * gets a score and more than three features with a positive contribution. With `leaf` 0 and
 * `base` 0 every contribution is 0 and every score 50.
 */
function stumpModel(leaf = 0.4, base = -1): Model {
  const stump = (feature: number, value: number) => ({
    feature: [feature, -1, -1],
    threshold: [-1e12, 0, 0],
    left: [1, -1, -1],
    right: [2, -1, -1],
    value: [0, 0, value],
  });
  const training = {
    rows: 0,
    positives: 0,
    negatives_kept: 0,
    negative_weight: 1,
    from: null,
    to: null,
    label_delay_ms: 86_400_000,
    trees_trained: 4,
    best_iteration: 4,
    validation_logloss: null,
    seconds: 0,
  };
  const trees = [stump(0, leaf), stump(1, (leaf * 3) / 4), stump(2, leaf / 2), stump(5, leaf / 4)];
  return loadModel(modelFile({ base, trees }, training, new Float64Array(FEATURE_COUNT), new Date(T0)));
}

const txs = [
  makeTx({ transactionId: 'a', timestamp: T0, amount: money('20.00') }),
  makeTx({ transactionId: 'b', timestamp: T0 + 60_000, amount: money('1500.00') }),
  makeTx({ transactionId: 'c', timestamp: T0 + 120_000, amount: money('30.00') }),
];

describe('scoreBatch', () => {
  it('decides each new transaction once, with its features, the rules and the batch time', () => {
    // Prepare: the same features computed independently, to know what each decision must be
    const features = new RecordingFeatures();
    const reference = new FeatureWindows();

    // Act
    const out = scoreBatch(
      txs.map((transaction) => ({ transaction })),
      new Set<string>(),
      { features, rules: RULES, now: () => NOW },
    );

    // Assess
    expect(out.duplicates).toEqual([]);
    expect(features.seen).toEqual(['a', 'b', 'c']);
    expect(out.decided).toStrictEqual(
      txs.map((transaction) => ({ transaction, decision: decide(RULES, transaction, reference.observe(transaction), NOW) })),
    );
    // c is the third transaction of the hour on the account: the history reached the rules
    expect(out.decided[2]?.decision.reasons.map((r) => r.rule)).toEqual(['busy']);
    expect(out.decided.map((d) => d.decision.decided_at)).toEqual(txs.map(() => NOW.toISOString()));
  });

  it('without a model, decides every row of a batch longer than a block with its own features', () => {
    // Prepare: two blocks and a part, on three accounts a minute apart, some amounts large
    const many = Array.from({ length: 2 * MODEL_BLOCK_ROWS + 5 }, (_, i) =>
      makeTx({ transactionId: `m${i}`, accountId: `acc-${i % 3}`, timestamp: T0 + i * 60_000, amount: money(i % 10 === 0 ? '1500' : '20') }),
    );
    const reference = new FeatureWindows();

    // Act
    const out = scoreBatch(
      many.map((transaction) => ({ transaction })),
      new Set<string>(),
      { features: new FeatureWindows(), rules: RULES, now: () => NOW },
    );

    // Assess: as if decided one by one
    expect(out.decided).toStrictEqual(
      many.map((transaction) => ({ transaction, decision: decide(RULES, transaction, reference.observe(transaction), NOW) })),
    );
  });

  it('reports ids already decided, or repeated in the batch, as duplicates without observing them', () => {
    // Prepare: 'a' decided earlier; 'c' twice in the batch, the second with another amount
    const features = new RecordingFeatures();
    const items = [...txs, makeTx({ transactionId: 'c', timestamp: T0 + 180_000, amount: money('9999.00') })].map(
      (transaction) => ({ transaction }),
    );

    // Act
    const out = scoreBatch(items, new Map([['a', 'stored decision']]), { features, rules: RULES, now: () => NOW });

    // Assess: the first 'c' is the one decided; duplicates never reach the feature windows
    expect(out.decided.map((d) => [d.transaction.transactionId, d.transaction.amount])).toEqual([
      ['b', money('1500.00')],
      ['c', money('30.00')],
    ]);
    expect(out.duplicates).toEqual(['a', 'c']);
    expect(features.seen).toEqual(['b', 'c']);
  });

  it('keeps the source of a row from a file, and adds none to an item without one', () => {
    // Prepare
    const source = { file: 'day.csv', row: 7, line: 8 };
    const items = [{ transaction: txs[0] as Transaction, source }, { transaction: txs[1] as Transaction }];

    // Act
    const out = scoreBatch(items, new Set<string>(), { features: new FeatureWindows(), rules: RULES, now: () => NOW });

    // Assess
    expect(out.decided[0]?.source).toStrictEqual(source);
    expect(Object.keys(out.decided[1] ?? {})).toEqual(['transaction', 'decision']);
  });

  it('with a model: each decision carries the model score and version, and the top three features when shown', () => {
    // Prepare
    const model = stumpModel();
    const reference = new FeatureWindows();

    // Act
    const out = scoreBatch(
      txs.map((transaction) => ({ transaction })),
      new Set<string>(),
      { features: new FeatureWindows(), rules: RULES, model, now: () => NOW },
    );

    // Assess: the stumps score every transaction 50, the review threshold: each one is shown
    for (const [i, transaction] of txs.entries()) {
      const f = reference.observe(transaction);
      const m = scoreWithModel(model, transaction, f, { top: 3 });
      const expected = decide(RULES, transaction, f, NOW, { score: m.score, version: model.version, top: m.top });
      expect(out.decided[i]?.decision).toStrictEqual(expected);
      expect(expected.model_version).toBe(model.version);
      expect(expected.outcome).not.toBe('allow');
      expect(expected.model_features).toHaveLength(3);
    }
  });

  it('with a model that names no feature: a decision shown carries no model features, not an empty list', () => {
    // Prepare: every contribution 0, every score 50 (the review threshold)
    const model = stumpModel(0, 0);

    // Act
    const out = scoreBatch(
      txs.map((transaction) => ({ transaction })),
      new Set<string>(),
      { features: new FeatureWindows(), rules: RULES, model, now: () => NOW },
    );

    // Assess
    for (const d of out.decided) {
      expect(d.decision.outcome).not.toBe('allow');
      expect(d.decision.model_score).toBe(50);
      expect('model_features' in d.decision).toBe(false);
    }
  });

  it('without a clock dates decisions now', () => {
    // Prepare
    const before = Date.now();

    // Act
    const out = scoreBatch([{ transaction: txs[0] as Transaction }], new Set<string>(), {
      features: new FeatureWindows(),
      rules: RULES,
    });

    // Assess: the moment of the call, not the transaction's time
    const at = Date.parse(out.decided[0]?.decision.decided_at ?? '');
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});

const history = trainedHistory();

/** Scores the history in batches of `size` rows, with fresh feature state and label feedback. */
function scoreInBatches(size: number, explain?: Explain): { decisions: Decision[]; duplicates: string[] } {
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const seen = new Set<string>();
  const decisions: Decision[] = [];
  const duplicates: string[] = [];
  for (let i = 0; i < history.items.length; i += size) {
    const out = scoreBatch(history.items.slice(i, i + size), seen, {
      features,
      rules: HISTORY_RULES,
      model: history.model,
      now: () => NOW,
      ...(explain ? { explain } : {}),
    });
    for (const d of out.decided) {
      seen.add(d.transaction.transactionId);
      decisions.push(d.decision);
    }
    duplicates.push(...out.duplicates);
  }
  return { decisions, duplicates };
}

/** The decisions of the row-by-row reference: every decision explained, as scoring each row alone does. */
function rowByRow(): Decision[] {
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const seen = new Set<string>();
  const decisions: Decision[] = [];
  for (const { transaction } of history.items) {
    if (seen.has(transaction.transactionId)) continue;
    seen.add(transaction.transactionId);
    const f = features.observe(transaction);
    const m = scoreWithModel(history.model, transaction, f, { top: 3 });
    decisions.push(decide(HISTORY_RULES, transaction, f, NOW, { score: m.score, version: history.model.version, top: m.top }));
  }
  return decisions;
}

describe('scoreBatch with a trained model, in blocks', () => {
  const reference = rowByRow();

  it('scores a history that spans several blocks with outcomes of every kind', () => {
    expect(history.items.length).toBeGreaterThan(4 * MODEL_BLOCK_ROWS);
    const outcomes = new Set(reference.map((d) => d.outcome));
    expect([...outcomes].sort()).toEqual(['allow', 'block', 'review']);
    // some allowed decisions would name features if explained: dropping them is a real change
    expect(reference.some((d) => d.outcome === 'allow' && d.model_features !== undefined)).toBe(true);
  });

  it('names the features of review and block decisions only, otherwise deciding as row by row', () => {
    // Act
    const { decisions, duplicates } = scoreInBatches(4096);

    // Assess: the same scores to the bit; features exactly as the row-by-row walk names them
    expect(duplicates).toEqual([history.items[990]?.transaction.transactionId]);
    expect(decisions).toHaveLength(reference.length);
    decisions.forEach((d, i) => {
      const expected = { ...(reference[i] as Decision) };
      if (expected.outcome === 'allow') delete expected.model_features;
      expect(d).toStrictEqual(expected);
    });
  });

  it("with explain 'all' names the features of every decision, as row by row", () => {
    // Act
    const { decisions } = scoreInBatches(4096, 'all');

    // Assess
    expect(decisions).toStrictEqual(reference);
  });

  it('prepared, then decided from margins computed apart, gives the decisions of scoreBatch whatever the batch size', () => {
    for (const size of [1, 7, 4096]) {
      // Prepare
      const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
      const seen = new Set<string>();
      const decisions: Decision[] = [];
      const duplicates: string[] = [];
      // A matrix reused from batch to batch, as the scoring loop does: larger than a small batch needs, holding old rows.
      let matrix: Float64Array = new Float64Array(3 * FEATURE_COUNT).fill(7);

      // Act
      for (let i = 0; i < history.items.length; i += size) {
        const prepared = prepareBatch(history.items.slice(i, i + size), seen, { features, rules: HISTORY_RULES, model: history.model, now: () => NOW }, matrix);
        const margins = new Float64Array(prepared.fresh.length);
        blockMargins(history.model.flat, prepared.matrix, FEATURE_COUNT, prepared.fresh.length, margins);
        const out = decidePrepared(prepared, margins, history.model);
        matrix = prepared.matrix;
        for (const d of out.decided) {
          seen.add(d.transaction.transactionId);
          decisions.push(d.decision);
        }
        duplicates.push(...out.duplicates);
      }

      // Assess
      expect({ decisions, duplicates }).toStrictEqual(scoreInBatches(size));
    }
  });

  it('gives the same decisions whatever the batch size', () => {
    for (const explain of ['shown', 'all'] as const) {
      // Act
      const runs = [1, 7, 4096].map((size) => scoreInBatches(size, explain));

      // Assess
      for (const run of runs.slice(1)) expect(run).toStrictEqual(runs[0]);
    }
  });
});
