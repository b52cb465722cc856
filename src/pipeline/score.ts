import { firedRules, type RuleHit, type RuleSet } from '../core/rules.js';
import { type Contribution, explainVector, type Model, modelScore } from '../core/model/model.js';
import { pathMarginsFlat } from '../core/model/gbdt.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import { type Decision, decide, decideFromHits } from '../core/scoring.js';
import type { DecidedItem } from '../core/records.js';
import { FEATURE_ROW, type FeatureRow } from '../core/features.js';
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
  // Duplicates first: they touch no feature, so leaving them out before features are observed
  // changes nothing for the others.
  const fresh: Omit<DecidedItem, 'decision'>[] = [];
  for (const item of items) {
    const id = item.transaction.transactionId;
    if (existing.has(id) || inBatch.has(id)) out.duplicates.push(id);
    else {
      inBatch.add(id);
      fresh.push(item);
    }
  }
  const txs = fresh.map((i) => i.transaction);
  for (let from = 0; from < fresh.length; from += MODEL_BLOCK_ROWS) {
    const to = Math.min(fresh.length, from + MODEL_BLOCK_ROWS);
    const rows = featureRows(to - from);
    deps.features.observeBatch(txs, from, to, rows);
    const f = deps.features.row(rows);
    if (deps.model) scoreBlockWithModel(fresh, from, to, f, deps, deps.model, at, out.decided);
    else {
      for (let i = from; i < to; i++) {
        f.at = (i - from) * FEATURE_ROW;
        const item = fresh[i] as Omit<DecidedItem, 'decision'>;
        out.decided.push(decided(item, decide(deps.rules, item.transaction, f, at)));
      }
    }
  }
  return out;
}

/**
 * The feature rows of the block being scored, reused from block to block and batch to batch:
 * scoring is synchronous and nothing keeps a row past its decision, so one matrix serves every
 * caller in the process without a new buffer per batch.
 */
let scratchRows = new Float64Array(0);
function featureRows(rows: number): Float64Array {
  if (scratchRows.length < rows * FEATURE_ROW) scratchRows = new Float64Array(rows * FEATURE_ROW);
  return scratchRows;
}

/** The model's inputs and margins of a block, reused likewise. */
const modelMatrix = new Float64Array(MODEL_BLOCK_ROWS * FEATURE_COUNT);
const modelMargins = new Float64Array(MODEL_BLOCK_ROWS);
const contributions = new Float64Array(FEATURE_COUNT);
const vector = new Float64Array(FEATURE_COUNT);

/** Row `r` of the block's model inputs. */
function rowOf(matrix: Float64Array, r: number): Float64Array {
  return matrix.subarray(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT);
}

/** The scored item, with the source of its row when it has one (and no `source` key otherwise). */
function decided(item: Omit<DecidedItem, 'decision'>, decision: Decision): DecidedItem {
  return item.source
    ? { transaction: item.transaction, decision, source: item.source }
    : { transaction: item.transaction, decision };
}

/**
 * The model path of {@link scoreBatch}, for `fresh[from]` to `fresh[to - 1]`, whose feature rows
 * `f` reads: each row's rules are evaluated and its model vector written into the block's matrix;
 * then the model scores the block tree at a time, and each row is decided.
 */
function scoreBlockWithModel(
  fresh: readonly Omit<DecidedItem, 'decision'>[],
  from: number,
  to: number,
  f: FeatureRow,
  deps: ScoreDeps,
  model: Model,
  at: string,
  into: DecidedItem[],
): void {
  const rows = to - from;
  const matrix = modelMatrix;
  const margins = modelMargins;
  const hits: RuleHit[][] = [];
  const explainAll = deps.explain === 'all';
  for (let r = 0; r < rows; r++) {
    const tx = (fresh[from + r] as Omit<DecidedItem, 'decision'>).transaction;
    f.at = r * FEATURE_ROW;
    matrix.set(modelVector(tx, f, vector), r * FEATURE_COUNT);
    hits.push(firedRules(deps.rules, tx, f));
  }
  // Every row explained: the attribution walk gives the margin too, so no separate pass.
  if (!explainAll) pathMarginsFlat(model.flat, matrix, FEATURE_COUNT, rows, margins);
  for (let r = 0; r < rows; r++) {
    const item = fresh[from + r] as Omit<DecidedItem, 'decision'>;
    const opinion = explainAll
      ? { ...explainVector(model, rowOf(matrix, r), TOP_FEATURES, contributions), version: model.version }
      : { score: modelScore(margins[r] as number), version: model.version, top: NO_FEATURES };
    const decision = decideFromHits(deps.rules, item.transaction, hits[r] as RuleHit[], at, opinion);
    if (!explainAll && decision.outcome !== 'allow') {
      // Same margin to the bit as the block's (see pathMarginsFlat): only the names are new.
      const { top } = explainVector(model, rowOf(matrix, r), TOP_FEATURES, contributions);
      if (top.length > 0) decision.model_features = top;
    }
    into.push(decided(item, decision));
  }
}
