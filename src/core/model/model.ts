import { createHash } from 'node:crypto';
import { FraudminiError } from '../errors.js';
import type { Features } from '../features.js';
import type { Transaction } from '../transaction.js';
import { type Ensemble, explainFlat, type GbdtParams, type FlatEnsemble, flatten, pathMarginsFlat, sigmoid, type Tree } from './gbdt.js';
import { FEATURE_COUNT, MODEL_FEATURES, modelVector } from './vector.js';

/** A model file could not be used. */
export class ModelError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** Identifies the file format; bumped when the layout changes. */
export const MODEL_FORMAT = 'fraudmini-gbdt/1';

/** How training went, stored in the model file for audit. */
export interface TrainingInfo {
  rows: number;
  positives: number;
  negatives_kept: number;
  negative_weight: number;
  from: string | null;
  to: string | null;
  label_delay_ms: number;
  trees_trained: number;
  best_iteration: number;
  validation_logloss: number | null;
  seconds: number;
}

/**
 * How a model's scores were calibrated (see `calibration.ts`): its trees and base already hold the
 * map, so its score is the calibrated probability × 100. A file without it scores with the
 * margin the trees give (an older model: the same score as before).
 */
export interface CalibrationInfo {
  method: 'platt';
  /** Slope and offset applied to the uncalibrated margin. */
  a: number;
  b: number;
  /** The held-out (latest) training rows the map was fitted on: count, frauds and time span. */
  rows: number;
  frauds: number;
  from: string;
  to: string;
  /** Brier score of those rows before and after the map (weighted as in training). */
  brier_before: number;
  brier_after: number;
}

/** The versioned JSON model file. */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  version: string;
  created_at: string;
  features: string[];
  training: TrainingInfo;
  importance: Record<string, number>;
  /** Absent on uncalibrated models. */
  calibration?: CalibrationInfo;
  /** What `train --tune` tried and chose; absent without it. */
  tuning?: {
    candidates: { params: Partial<GbdtParams>; averagePrecision: number }[];
    chosen: Partial<GbdtParams>;
    folds: number;
    gap_ms: number;
    complete: boolean;
    seconds: number;
  };
  base: number;
  trees: Tree[];
}

/** A loaded model, ready to score. */
export interface Model {
  version: string;
  /** The trees flattened for fast scoring. */
  flat: FlatEnsemble;
  labelDelayMs: number;
  ensemble: Ensemble;
  file: ModelFile;
}

/** One feature's share in a model score. */
export interface Contribution {
  feature: string;
  /** Change in log-odds this feature caused; positive pushes towards fraud. */
  weight: number;
  value: number;
}

/** A model's opinion of one transaction. */
export interface ModelScore {
  /** 0–100. */
  score: number;
  top: Contribution[];
}

/** Builds the file for a trained ensemble; the version is a hash of the trees. */
export function modelFile(
  ensemble: Ensemble,
  training: TrainingInfo,
  gain: Float64Array,
  now: Date,
  calibration?: CalibrationInfo,
  tuning?: ModelFile['tuning'],
): ModelFile {
  const importance: Record<string, number> = {};
  const total = gain.reduce((a, b) => a + b, 0) || 1;
  MODEL_FEATURES.forEach((name, i) => {
    importance[name] = Number(((gain[i] as number) / total).toFixed(6));
  });
  const body = JSON.stringify({ features: MODEL_FEATURES, base: ensemble.base, trees: ensemble.trees });
  const version = `gbdt-${createHash('sha256').update(body).digest('hex').slice(0, 12)}`;
  return {
    format: MODEL_FORMAT,
    version,
    created_at: now.toISOString(),
    features: [...MODEL_FEATURES],
    training,
    importance,
    ...(calibration ? { calibration } : {}),
    ...(tuning ? { tuning } : {}),
    base: ensemble.base,
    trees: ensemble.trees,
  };
}

/** Validates a parsed model file. */
export function loadModel(doc: unknown): Model {
  const m = doc as Partial<ModelFile> | null;
  if (!m || typeof m !== 'object' || m.format !== MODEL_FORMAT) {
    throw new ModelError(`not a fraudmini model (expected format ${MODEL_FORMAT})`);
  }
  if (!Array.isArray(m.features) || m.features.join(',') !== MODEL_FEATURES.join(',')) {
    throw new ModelError(
      'the model was trained on a different feature set than this version of fraudmini computes; retrain it with `fraudmini train`',
    );
  }
  if (!Array.isArray(m.trees) || typeof m.base !== 'number' || typeof m.version !== 'string') {
    throw new ModelError('the model file is incomplete (trees, base or version missing)');
  }
  for (const [i, t] of m.trees.entries()) {
    const problem = treeProblem(t);
    if (problem) throw new ModelError(`tree ${i} of the model is malformed: ${problem}`);
  }
  const ensemble = { base: m.base, trees: m.trees };
  return {
    version: m.version,
    flat: flatten(ensemble),
    labelDelayMs: m.training?.label_delay_ms ?? 7 * 86_400_000,
    ensemble,
    file: m as ModelFile,
  };
}

/**
 * What is wrong with a parsed tree, if anything. Children must come after their parent (as
 * training writes them): that rules out cycles, which would make scoring loop forever.
 */
function treeProblem(t: unknown): string | undefined {
  const tree = t as Partial<Tree> | null;
  const arrays = [tree?.feature, tree?.threshold, tree?.left, tree?.right, tree?.value];
  const n = Array.isArray(tree?.feature) ? tree.feature.length : 0;
  if (!tree || n === 0 || arrays.some((a) => !Array.isArray(a) || a.length !== n)) {
    return 'feature, threshold, left, right and value must be non-empty arrays of one length';
  }
  const { feature, threshold, left, right, value } = tree as Tree;
  const finite = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
  const hasParent = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const f = feature[j];
    if (!Number.isInteger(f) || (f as number) < -1 || (f as number) >= FEATURE_COUNT) {
      return `node ${j} splits on feature ${String(f)}, not -1 (leaf) or 0–${FEATURE_COUNT - 1}`;
    }
    if (!finite(value[j])) return `node ${j} has no numeric value`;
    if (f === -1) continue;
    if (!finite(threshold[j])) return `node ${j} has no numeric threshold`;
    for (const c of [left[j], right[j]]) {
      if (!Number.isInteger(c) || (c as number) <= j || (c as number) >= n) {
        return `node ${j} has child ${String(c)}; children must be later nodes of the tree (${j + 1}–${n - 1})`;
      }
      // A node shared by two splits would make the flattened tree larger than the file's.
      if (hasParent[c as number] === 1) return `node ${String(c)} is the child of two splits`;
      hasParent[c as number] = 1;
    }
  }
  return undefined;
}

/** The margin of the one row {@link scoreWithModel} scores without attributions. */
const oneMargin = new Float64Array(1);

/** Scores one transaction with a model; `scratch` avoids an allocation per row. */
export function scoreWithModel(
  model: Model,
  tx: Transaction,
  f: Features,
  options: {
    top?: number;
    /** Name the top features only for scores at or above this (e.g. the review threshold). @default 0 */
    explainFrom?: number;
    scratch?: Float64Array;
    contributions?: Float64Array;
  } = {},
): ModelScore {
  const x = modelVector(tx, f, options.scratch);
  const topN = options.top ?? 3;
  const explainFrom = options.explainFrom ?? 0;
  if (topN === 0 || explainFrom > 0) {
    // The cheap walk first; attributions (a heavier walk) only where someone will read them. The
    // margin is summed in the attribution walk's order, so a score is the same to the bit with
    // or without them (evaluate and backtest score as `score` does).
    pathMarginsFlat(model.flat, x, x.length, 1, oneMargin);
    const score = modelScore(oneMargin[0] as number);
    if (topN === 0 || score < explainFrom) return { score, top: [] };
  }
  return explainVector(model, x, topN, options.contributions);
}

/** A margin (log-odds) as a model score, 0–100. */
export function modelScore(margin: number): number {
  return 100 * sigmoid(margin);
}

/**
 * The score of a model vector and the `top` features that pushed it up most, from one attribution
 * walk. The score equals `modelScore` of the margin `pathMarginsFlat` gives the same vector,
 * to the bit. `contributions` (length FEATURE_COUNT) avoids an allocation per call.
 *
 * @example
 * const { score, top } = explainVector(model, modelVector(tx, f), 3);
 */
export function explainVector(
  model: Model,
  x: Float64Array,
  top: number,
  contributions: Float64Array = new Float64Array(FEATURE_COUNT),
): ModelScore {
  const score = modelScore(explainFlat(model.flat, x, contributions));
  return { score, top: topContributions(contributions, x, top) };
}

/**
 * The `n` largest positive contributions, largest first (ties: the earlier feature first), in
 * one pass that keeps the best `n` so far in order (n is small).
 */
function topContributions(c: Float64Array, x: Float64Array, n: number): Contribution[] {
  const best: number[] = [];
  if (n <= 0) return [];
  for (let i = 0; i < FEATURE_COUNT; i++) {
    const v = c[i] as number;
    // below 1e-4 a contribution rounds to 0 in the output: not worth naming
    if (v < 1e-4) continue;
    if (best.length === n && v <= (c[best[n - 1] as number] as number)) continue;
    // Strictly greater moves ahead, so an equal value stays behind the earlier feature.
    let at = best.length === n ? n - 1 : best.length;
    while (at > 0 && v > (c[best[at - 1] as number] as number)) {
      best[at] = best[at - 1] as number;
      at--;
    }
    best[at] = i;
  }
  return best.map((f) => ({
    feature: MODEL_FEATURES[f] as string,
    weight: Math.round((c[f] as number) * 10_000) / 10_000,
    value: Math.round((x[f] as number) * 1e6) / 1e6,
  }));
}
