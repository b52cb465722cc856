import { FeatureWindows } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import { trainGbdt } from '../../src/core/model/gbdt.js';
import { loadModel, type Model, modelFile } from '../../src/core/model/model.js';
import { FEATURE_COUNT, modelVector } from '../../src/core/model/vector.js';
import type { DecidedItem } from '../../src/core/records.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { type PreparedBatch, prepareBatch } from '../../src/pipeline/score.js';
import { labelledHistory, labelledTransaction } from './labelledHistory.js';
import { T0 } from './transactions.js';

/** Rules that fire now and then, so that some outcomes come from the rules and some from the model. */
export const HISTORY_RULES = compileRuleSet({
  version: 'history',
  thresholds: { review: 50, block: 80 },
  rules: [
    { id: 'big', when: 'amount >= 500', weight: 85 },
    { id: 'busy', when: 'count(account, 24h) >= 4', weight: 55 },
  ],
});

export const DAY = 86_400_000;

/**
 * The {@link trainedHistory} prepared in batches of `size` as the scoring loop prepares them
 * (features observed with label feedback, {@link HISTORY_RULES} evaluated, model vectors written),
 * each row with its own source row: what a decisions-file writer is handed to decide.
 */
export function preparedHistory(size: number): PreparedBatch[] {
  const { items, model } = trainedHistory();
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const seen = new Set<string>();
  const out: PreparedBatch[] = [];
  for (let i = 0; i < items.length; i += size) {
    const sourced = items.slice(i, i + size).map((it, k) => ({ ...it, source: { file: 'h.csv', row: i + k + 1, line: i + k + 2 } }));
    const p = prepareBatch(sourced, seen, { features, rules: HISTORY_RULES, model, now: () => new Date(T0) });
    for (const f of p.fresh) seen.add(f.transaction.transactionId);
    out.push(p);
  }
  return out;
}

/** The history of {@link trainedHistory}, once built. */
let built: { items: Omit<DecidedItem, 'decision'>[]; model: Model } | undefined;

/** A labelled history with one transaction sent twice (re-delivery), and a model trained on its first 40 days (built once per test file). */
export function trainedHistory(): { items: Omit<DecidedItem, 'decision'>[]; model: Model } {
  built ??= build();
  return built;
}

function build(): { items: Omit<DecidedItem, 'decision'>[]; model: Model } {
  const txs = labelledHistory({ days: 60 }).rows.map(labelledTransaction);
  const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const cut = Math.floor((txs.length * 2) / 3);
  const x = new Float64Array(cut * FEATURE_COUNT);
  const y = new Uint8Array(cut);
  txs.slice(0, cut).forEach((t, i) => {
    modelVector(t, store.observe(t), x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    y[i] = t.label ?? 0;
  });
  const { model, report } = trainGbdt(
    { x, y, w: new Float64Array(cut).fill(1), rows: cut, features: FEATURE_COUNT },
    { trees: 30, minLeafRows: 10 },
  );
  const training = {
    rows: cut,
    positives: 0,
    negatives_kept: 0,
    negative_weight: 1,
    from: null,
    to: null,
    label_delay_ms: DAY,
    trees_trained: 30,
    best_iteration: 30,
    validation_logloss: null,
    seconds: 0,
  };
  const items = txs.map((transaction) => ({ transaction, source: { file: 'h.csv', row: 0, line: 0 } }));
  items.splice(1000, 0, items[990] as (typeof items)[number]);
  return { items, model: loadModel(modelFile(model, training, report.gain, new Date(T0))) };
}

