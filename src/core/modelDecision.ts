import { type Contribution, explainVector, type Model, modelScore } from './model/model.js';
import { FEATURE_COUNT } from './model/vector.js';
import type { RuleHit, RuleSet } from './rules.js';
import { combineScores, type Decision, decideFromHits, outcomeOf } from './scoring.js';

/** Features named on a decision. */
export const TOP_FEATURES = 3;

/** The features of a decision that names none: shared, as `decideFromHits` stores only a non-empty list. */
const NO_FEATURES: Contribution[] = [];

/** Scratch of the attribution walk, reused: deciding is synchronous. */
const contributions = new Float64Array(FEATURE_COUNT);

/** Row `r` of a matrix of model vectors ({@link FEATURE_COUNT} numbers a row), as a view. */
export function vectorRow(matrix: Float64Array, r: number): Float64Array {
  return matrix.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
}

/**
 * The decision of a transaction (known by its id) from the rules it fired and its model margin,
 * as `pathMarginsFlat` gives it for row `r` of `matrix`, the model vectors: the model's features
 * are named only on a decision that is not an allow, from one attribution walk of the row. What
 * deciding needs once the features are observed, wherever it runs: the scoring loop, or the
 * decisions-file thread of `fraudmini score`, which decides from the vectors and hits it is sent.
 */
export function decisionWithMargin(
  transactionId: string,
  hits: RuleHit[],
  margin: number,
  matrix: Float64Array,
  r: number,
  rules: Pick<RuleSet, 'thresholds' | 'version'>,
  model: Model,
  at: string,
): Decision {
  const opinion = { score: modelScore(margin), version: model.version, top: NO_FEATURES };
  const decision = decideFromHits(rules, { transactionId }, hits, at, opinion);
  if (decision.outcome !== 'allow') {
    // Same margin to the bit as the block's (see pathMarginsFlat): only the names are new. The
    // row's vector is cut out of the matrix only here, as most decisions are allows.
    const { top } = explainVector(model, vectorRow(matrix, r), TOP_FEATURES, contributions);
    if (top.length > 0) decision.model_features = top;
  }
  return decision;
}

/** The rules a row fired when it fired none. */
const NO_HITS: RuleHit[] = [];

/**
 * The score of a row that fired no rule, when its decision is an allow; NaN when it is not.
 * `score` is the row's model score (`modelScore` of its margin). Such a decision is what
 * {@link decisionWithMargin} gives with no hits: `score` this, outcome allow, no reasons, rules
 * score 0, model score `score`, no model features. For a writer that sets those fields itself
 * without building the decision of every allowed row.
 */
export function allowedScore(score: number, rules: Pick<RuleSet, 'thresholds'>): number {
  const combined = combineScores(0, score, rules.thresholds.block);
  return outcomeOf(NO_HITS, combined, rules.thresholds) === 'allow' ? combined : Number.NaN;
}
