import { firedRules, type RuleHit, type RuleSet } from '../core/rules.js';
import { explainVector, type Model } from '../core/model/model.js';
import { MARGIN_BLOCK_ROWS, pathMarginsFlat } from '../core/model/gbdt.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import { type Decision, decide, decideFromHits } from '../core/scoring.js';
import { decisionWithMargin, TOP_FEATURES, vectorRow } from '../core/modelDecision.js';
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
 * Rows whose model margins are computed together (see `blockMargins`); a batch smaller than
 * this is one block.
 */
export const MODEL_BLOCK_ROWS = MARGIN_BLOCK_ROWS;

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
  const at = decisionTime(deps);
  const { fresh, duplicates } = splitDuplicates(items, existing);
  const out: ScoredBatch = { decided: [], duplicates };
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
  vectorsAndHits(fresh, from, to, f, deps.rules, matrix, 0, hits);
  // Every row explained: the attribution walk gives the margin too, so no separate pass.
  if (!explainAll) pathMarginsFlat(model.flat, matrix, FEATURE_COUNT, rows, margins);
  for (let r = 0; r < rows; r++) {
    const item = fresh[from + r] as Omit<DecidedItem, 'decision'>;
    into.push(
      explainAll
        ? decided(
            item,
            decideFromHits(deps.rules, item.transaction, hits[r] as RuleHit[], at, {
              ...explainVector(model, vectorRow(matrix, r), TOP_FEATURES, contributions),
              version: model.version,
            }),
          )
        : decideWithMargin(item, hits[r] as RuleHit[], margins[r] as number, matrix, r, deps.rules, model, at),
    );
  }
}

/**
 * Observes the features of `fresh[from]` to `fresh[to - 1]` (read through `f`, row `r` at
 * `r × FEATURE_ROW`), and writes each one's model vector into `matrix` from row `first` on and
 * the rules it fired into `hits`.
 */
function vectorsAndHits(
  fresh: readonly Omit<DecidedItem, 'decision'>[],
  from: number,
  to: number,
  f: FeatureRow,
  rules: RuleSet,
  matrix: Float64Array,
  first: number,
  hits: RuleHit[][],
): void {
  for (let r = 0, i = from; i < to; r++, i++) {
    const tx = (fresh[i] as Omit<DecidedItem, 'decision'>).transaction;
    f.at = r * FEATURE_ROW;
    matrix.set(modelVector(tx, f, vector), (first + r) * FEATURE_COUNT);
    hits.push(firedRules(rules, tx, f));
  }
}

/**
 * The decision of a row from the rules it fired and its model margin (as `pathMarginsFlat` gives
 * it for row `r` of `matrix`, the model vectors): the model's features are named only on a
 * decision that is not an allow, from one attribution walk of the row.
 */
function decideWithMargin(
  item: Omit<DecidedItem, 'decision'>,
  hits: RuleHit[],
  margin: number,
  matrix: Float64Array,
  r: number,
  rules: RuleSet,
  model: Model,
  at: string,
): DecidedItem {
  return decided(item, decisionWithMargin(item.transaction.transactionId, hits, margin, matrix, r, rules, model, at));
}

/** The time a batch's decisions carry, as ISO 8601. */
function decisionTime(deps: ScoreDeps): string {
  return (deps.now ?? (() => new Date()))().toISOString();
}

/**
 * `items` less the duplicates: transactions already decided (in `existing`, or earlier in the same
 * batch). Duplicates touch no feature, so leaving them out before features are observed changes
 * nothing for the others.
 */
function splitDuplicates(
  items: readonly Omit<DecidedItem, 'decision'>[],
  existing: DecidedIds,
): { fresh: Omit<DecidedItem, 'decision'>[]; duplicates: string[]; ids: Set<string> } {
  const ids = new Set<string>();
  const duplicates: string[] = [];
  const fresh: Omit<DecidedItem, 'decision'>[] = [];
  for (const item of items) {
    const id = item.transaction.transactionId;
    if (existing.has(id) || ids.has(id)) duplicates.push(id);
    else {
      ids.add(id);
      fresh.push(item);
    }
  }
  return { fresh, duplicates, ids };
}

/**
 * A batch scored up to its model margins ({@link prepareBatch}): its rows' features are observed,
 * their rules evaluated and their model vectors written; {@link decidePrepared} decides them once
 * the margins of `matrix` are known, wherever they were computed.
 */
export interface PreparedBatch {
  readonly fresh: readonly Omit<DecidedItem, 'decision'>[];
  readonly duplicates: string[];
  /** The ids of `fresh`: decided as far as a later batch is concerned. */
  readonly ids: DecidedIds;
  /** The rules each row of `fresh` fired. */
  readonly hits: RuleHit[][];
  /** The model vector of each row of `fresh`, FEATURE_COUNT numbers each. */
  readonly matrix: Float64Array;
  readonly rules: RuleSet;
  readonly at: string;
}

/** What {@link prepareBatch} and {@link decidePrepared} need: a model, and no attribution of every row. */
export type PreparedScoreDeps = ScoreDeps & { model: Model; explain?: 'shown' };

/**
 * The first half of {@link scoreBatch} with a model: duplicates set apart, then each row's
 * features observed, its rules evaluated and its model vector written into `matrix` (a new one
 * when it is too small for the batch). The features are observed now, so the next batch can be
 * prepared while this one's margins are computed elsewhere; deciding it needs nothing else.
 */
export function prepareBatch(
  items: readonly Omit<DecidedItem, 'decision'>[],
  existing: DecidedIds,
  deps: PreparedScoreDeps,
  matrix?: Float64Array,
): PreparedBatch {
  const at = decisionTime(deps);
  const { fresh, duplicates, ids } = splitDuplicates(items, existing);
  const m = matrix && matrix.length >= fresh.length * FEATURE_COUNT ? matrix : new Float64Array(fresh.length * FEATURE_COUNT);
  const hits: RuleHit[][] = [];
  const txs = fresh.map((i) => i.transaction);
  for (let from = 0; from < fresh.length; from += MODEL_BLOCK_ROWS) {
    const to = Math.min(fresh.length, from + MODEL_BLOCK_ROWS);
    const rows = featureRows(to - from);
    deps.features.observeBatch(txs, from, to, rows);
    vectorsAndHits(fresh, from, to, deps.features.row(rows), deps.rules, m, from, hits);
  }
  return { fresh, duplicates, ids, hits, matrix: m, rules: deps.rules, at };
}

/**
 * The second half: each row of `p` decided from the rules it fired and its model margin,
 * `margins[i]` for row `i` of `p.matrix` as `blockMargins` gives it. The decisions are those
 * {@link scoreBatch} makes of the same rows.
 */
export function decidePrepared(p: PreparedBatch, margins: Float64Array, model: Model): ScoredBatch {
  const decidedItems: DecidedItem[] = [];
  for (let i = 0; i < p.fresh.length; i++) {
    const item = p.fresh[i] as Omit<DecidedItem, 'decision'>;
    decidedItems.push(decideWithMargin(item, p.hits[i] as RuleHit[], margins[i] as number, p.matrix, i, p.rules, model, p.at));
  }
  return { decided: decidedItems, duplicates: p.duplicates };
}
