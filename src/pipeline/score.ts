import { evaluate, type RuleHit, type RuleSet } from '../core/rules.js';
import { type Contribution, explainVector, type Model, modelScore } from '../core/model/model.js';
import { pathMarginsFlat } from '../core/model/gbdt.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import { type Decision, decide, decideFromHits } from '../core/scoring.js';
import type { DecidedItem } from '../core/records.js';
import type { FeatureSource } from '../ports/FeatureSource.js';

/**
 * Which decisions name the features behind their model score (`model_features`): `shown`, those
 * whose outcome is review or block (the ones a person looks at); `all`, every decision.
 */
export type Explain = 'shown' | 'all';

/** What scoring needs besides the transactions. */
export interface ScoreDeps {
  features: FeatureSource;
  rules: RuleSet;
  /** A trained model: decisions then combine rules and model (see `combineScores`). */
  model?: Model;
  /**
   * Which decisions carry `model_features`. Attributions are the dearest part of a model score,
   * and on an allowed transaction nobody reads them, so by default only review and block pay.
   * @default 'shown'
   */
  explain?: Explain;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Result of scoring a batch: new decisions, and the ids of transactions that already had one. */
export interface ScoredBatch {
  decided: DecidedItem[];
  duplicates: string[];
}

/** Transaction ids already decided (a `Map` of stored decisions or a `Set` of ids both fit). */
export interface DecidedIds {
  has(id: string): boolean;
}

/**
 * Rows whose model margins are computed together. The block's vectors (rows × FEATURE_COUNT
 * doubles) and one tree's nodes stay in the CPU cache together; a batch smaller than this is
 * one block.
 */
export const MODEL_BLOCK_ROWS = 512;

/** Features named on a decision. */
const TOP_FEATURES = 3;

/** The features of a decision that names none: shared, as `decideFromHits` stores only a non-empty list. */
const NO_FEATURES: Contribution[] = [];

/**
 * The score stage. Transactions already decided (in `existing`, or earlier in the same batch)
 * are duplicates: they neither touch the features nor get a second decision, which is what
 * makes re-delivery of a file, a message or a POST idempotent.
 *
 * With a model, rows go through in blocks: each row's features are observed, its rules
 * evaluated and its model vector written into the block's matrix; then the model scores the
 * whole block tree at a time, and each row is decided. Attributions are computed only for the
 * decisions `deps.explain` asks for. How the rows are split into batches does not change any
 * decision.
 */
export function scoreBatch(
  items: readonly Omit<DecidedItem, 'decision'>[],
  existing: DecidedIds,
  deps: ScoreDeps,
): ScoredBatch {
  const now = deps.now ?? (() => new Date());
  const at = now().toISOString();
  const out: ScoredBatch = { decided: [], duplicates: [] };
  const inBatch = new Set<string>();
  const isNew = (id: string): boolean => {
    if (existing.has(id) || inBatch.has(id)) {
      out.duplicates.push(id);
      return false;
    }
    inBatch.add(id);
    return true;
  };
  if (deps.model) scoreWithModelInBlocks(items, isNew, deps, deps.model, at, out.decided);
  else {
    for (const item of items) {
      if (!isNew(item.transaction.transactionId)) continue;
      const decision = decide(deps.rules, item.transaction, deps.features.observe(item.transaction), at);
      out.decided.push(decided(item, decision));
    }
  }
  return out;
}

/** The scored item, with the source of its row when it has one (and no `source` key otherwise). */
function decided(item: Omit<DecidedItem, 'decision'>, decision: Decision): DecidedItem {
  return item.source
    ? { transaction: item.transaction, decision, source: item.source }
    : { transaction: item.transaction, decision };
}

/**
 * The model path of {@link scoreBatch}. Features are observed and rules evaluated as each row
 * comes (in order, as without a model), so nothing holds on to a row's `Features` past its
 * turn; only the model vector and the fired rules wait for the block's margins.
 */
function scoreWithModelInBlocks(
  items: readonly Omit<DecidedItem, 'decision'>[],
  isNew: (id: string) => boolean,
  deps: ScoreDeps,
  model: Model,
  at: string,
  into: DecidedItem[],
): void {
  const size = Math.max(1, Math.min(MODEL_BLOCK_ROWS, items.length));
  const matrix = new Float64Array(size * FEATURE_COUNT);
  const margins = new Float64Array(size);
  const vector = new Float64Array(FEATURE_COUNT);
  const contributions = new Float64Array(FEATURE_COUNT);
  const waiting: Omit<DecidedItem, 'decision'>[] = [];
  const hits: RuleHit[][] = [];
  const explainAll = deps.explain === 'all';
  const finish = (): void => {
    const rows = waiting.length;
    // Every row explained: the attribution walk gives the margin too, so no separate pass.
    if (!explainAll) pathMarginsFlat(model.flat, matrix, FEATURE_COUNT, rows, margins);
    for (let r = 0; r < rows; r++) {
      const item = waiting[r] as Omit<DecidedItem, 'decision'>;
      const row = (): Float64Array => matrix.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
      const opinion = explainAll
        ? { ...explainVector(model, row(), TOP_FEATURES, contributions), version: model.version }
        : { score: modelScore(margins[r] as number), version: model.version, top: NO_FEATURES };
      const decision = decideFromHits(deps.rules, item.transaction, hits[r] as RuleHit[], at, opinion);
      if (!explainAll && decision.outcome !== 'allow') {
        // Same margin to the bit as the block's (see pathMarginsFlat): only the names are new.
        const { top } = explainVector(model, row(), TOP_FEATURES, contributions);
        if (top.length > 0) decision.model_features = top;
      }
      into.push(decided(item, decision));
    }
    waiting.length = 0;
    hits.length = 0;
  };
  for (const item of items) {
    const tx = item.transaction;
    if (!isNew(tx.transactionId)) continue;
    const f = deps.features.observe(tx);
    matrix.set(modelVector(tx, f, vector), waiting.length * FEATURE_COUNT);
    hits.push(evaluate(deps.rules, tx, f).fired);
    waiting.push(item);
    if (waiting.length === size) finish();
  }
  if (waiting.length > 0) finish();
}
