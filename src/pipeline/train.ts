import { createHash } from 'node:crypto';
import type { Features } from '../core/features.js';
import { calibrateEnsemble, fitPlatt } from '../core/model/calibration.js';
import { averagePrecision } from '../core/metrics.js';
import { type Ensemble, type GbdtParams, predictMargin, sigmoid, type TrainingSet, trainGbdt } from '../core/model/gbdt.js';
import { type CalibrationInfo, type ModelFile, modelFile } from '../core/model/model.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import type { Transaction } from '../core/transaction.js';
import type { LabelledTransaction } from '../ports/LabelledHistory.js';
import { type HistoryOptions, replayHistory, replayStored } from './history.js';

/** Events may arrive this late (matches the feature windows' default lateness). */
const LATENESS_MS = 7 * 86_400_000;

/** Options of {@link trainModel}. */
export interface TrainOptions extends Omit<HistoryOptions, 'model'> {
  /** First transaction time used for training (inclusive), epoch ms. */
  from?: number;
  /** End of training (exclusive), epoch ms. */
  to?: number;
  /**
   * Legit rows kept at most; beyond it legit rows are sampled (deterministically, by id) and
   * weighted up so the model stays calibrated. @default 200000
   */
  maxNegatives?: number;
  gbdt?: Partial<GbdtParams>;
  /** See {@link FitOptions.calibrate}. @default true */
  calibrate?: boolean;
  /** See {@link FitOptions.tune}. */
  tune?: TuneOptions;
  onProgress?: (bytesRead: number, rows: number) => void;
  now?: () => Date;
}

/**
 * Trains a model from labelled history: one chronological pass computing features exactly as
 * scoring does (labels fed back with the delay), then gradient-boosted trees on the labelled rows
 * of [from, to). Rows without a label are never trained on; rows before `from` still shape the
 * features.
 */
export async function trainModel(source: AsyncIterable<Buffer | string>, options: TrainOptions): Promise<ModelFile> {
  return trainFromReplay(replayHistory(source, options), options);
}

/**
 * {@link trainModel} over the transactions and labels stored in a data dir (`fraudmini train
 * --from-db`), replayed in event-time order with the labels fed back after the delay.
 */
export async function trainModelFromStore(
  history: AsyncIterable<LabelledTransaction>,
  options: Omit<TrainOptions, 'fileKey' | 'tokenizer' | 'rules'>,
): Promise<ModelFile> {
  return trainFromReplay(replayStored(history, options), options);
}

/** Training from a chronological replay: the labelled rows of [from, to) with their features. */
async function trainFromReplay(
  replay: AsyncIterable<{ rows: readonly { transaction: Transaction; features: Features }[]; bytesRead: number }>,
  options: Omit<TrainOptions, 'fileKey' | 'tokenizer' | 'rules'>,
): Promise<ModelFile> {
  const started = Date.now();
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const rows = new TrainingRows(options.maxNegatives);
  let seenRows = 0;
  // Rows more than the lateness allowance past `to` cannot change a training row's features:
  // stop reading there instead of replaying the rest of a long history.
  const stopAt = to + LATENESS_MS;
  let past = 0;
  read: for await (const batch of replay) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.timestamp >= stopAt) {
        if (++past >= 1000) break read;
        continue;
      }
      past = 0;
      if (tx.label === undefined || tx.timestamp < from || tx.timestamp >= to) continue;
      rows.add(tx, r.features);
    }
    seenRows += batch.rows.length;
    options.onProgress?.(batch.bytesRead, seenRows);
  }
  return fitModel(rows, { ...options, from, to }, started);
}

/**
 * The labelled rows training learns from, as model vectors in time order. Legit rows are sampled
 * while they are collected (by a hash of their id, so the same rows on every run): whenever more
 * than twice the budget is kept, the rate halves and the rows above it are dropped. Memory stays
 * bounded by the budget, not by the history's length.
 */
export class TrainingRows {
  private cap = 1 << 16;
  private x = new Float64Array(this.cap * FEATURE_COUNT);
  private y = new Uint8Array(this.cap);
  private keyHash = new Float64Array(this.cap);
  private time = new Float64Array(this.cap);
  private rate = 1;
  /** Labelled rows offered. */
  rows = 0;
  /** Rows kept (all fraud, sampled legit). */
  kept = 0;
  positives = 0;

  /** @param maxNegatives legit rows kept at most (@default 200000) */
  constructor(private readonly maxNegatives = 200_000) {}

  /** Adds one labelled transaction with the features it had at its time. */
  add(tx: Transaction, features: Features): void {
    const F = FEATURE_COUNT;
    if (tx.label === undefined) return;
    this.rows++;
    const h = tx.label === 0 ? unitHash(tx.transactionId) : 0;
    if (tx.label === 1) this.positives++;
    else if (h >= this.rate) return;
    if (this.kept === this.cap) {
      this.cap *= 2;
      this.x = grow(this.x, this.cap * F);
      this.y = growU8(this.y, this.cap);
      this.keyHash = grow(this.keyHash, this.cap);
      this.time = grow(this.time, this.cap);
    }
    modelVector(tx, features, this.x.subarray(this.kept * F, (this.kept + 1) * F));
    this.y[this.kept] = tx.label;
    this.keyHash[this.kept] = h;
    this.time[this.kept] = tx.timestamp;
    this.kept++;
    if (this.kept - this.positives > 2 * this.maxNegatives) {
      this.rate /= 2;
      this.kept = compact(this.x, this.y, this.keyHash, this.time, this.kept, this.rate, F);
    }
  }

  /**
   * The training set: trimmed to the legit budget, with weights that undo the sampling.
   * @throws RangeError without both fraud and legit rows
   */
  finish(): { set: TrainingSet; negativeWeight: number; time: Float64Array } {
    if (this.positives === 0 || this.positives === this.rows) {
      throw new RangeError(
        `training needs both fraud and legit labels in the training period; found ${this.positives} fraud of ${this.rows} labelled rows`,
      );
    }
    const keptNegatives = this.kept - this.positives;
    if (keptNegatives > this.maxNegatives) {
      this.rate *= this.maxNegatives / keptNegatives;
      this.kept = compact(this.x, this.y, this.keyHash, this.time, this.kept, this.rate, FEATURE_COUNT);
    }
    const m = this.kept;
    const w = new Float64Array(m);
    for (let i = 0; i < m; i++) w[i] = this.y[i] === 1 ? 1 : 1 / this.rate;
    return {
      set: { x: this.x.subarray(0, m * FEATURE_COUNT), y: this.y.subarray(0, m), w, rows: m, features: FEATURE_COUNT },
      negativeWeight: 1 / this.rate,
      time: this.time.subarray(0, m),
    };
  }
}

/** Options of {@link fitModel}. */
export interface FitOptions {
  from: number;
  to: number;
  labelDelayMs: number;
  gbdt?: Partial<GbdtParams>;
  /**
   * Fold a Platt map fitted on the held-out training rows into the trees, so the score is the
   * calibrated fraud probability × 100. @default true
   */
  calibrate?: boolean;
  /** Choose the tree parameters by {@link tuneParams} first (on top of `gbdt`). */
  tune?: TuneOptions;
  now?: () => Date;
}

/** Options of {@link tuneParams}. */
export interface TuneOptions {
  /**
   * Stop trying further candidates after this many seconds (the candidates tried keep their
   * fixed order, so a budget that covers them all gives the same model on every run). @default 300
   */
  budgetSeconds?: number;
  /** Validation folds, the latest rows in equal time blocks. @default 3 */
  folds?: number;
  /** Clock for the budget. @default Date.now */
  clock?: () => number;
}

/**
 * The candidates `--tune` tries, in this order; each changes the defaults in one direction a
 * small training set may need (slower learning, smaller or larger trees, more rows a leaf,
 * stronger regularisation, class weighting, more split candidates where the frauds are).
 */
export const TUNE_CANDIDATES: readonly Partial<GbdtParams>[] = [
  {},
  { trees: 400 },
  { learningRate: 0.1, trees: 200, patience: 40, minTrees: 30 },
  { maxLeaves: 15 },
  { maxLeaves: 63, minLeafRows: 20 },
  { minLeafRows: 100 },
  { lambda: 10 },
  { positiveWeight: 3 },
  { bins: 128, positiveBins: 128 },
];

/** What {@link tuneParams} tried and chose, as recorded in the model file. */
export interface TuningInfo {
  /** Mean average precision of each candidate tried over the folds, in the order tried. */
  candidates: { params: Partial<GbdtParams>; averagePrecision: number }[];
  chosen: Partial<GbdtParams>;
  folds: number;
  /** Gap between a fold's last training row and its first validation row, in ms. */
  gap_ms: number;
  /** False when the budget ran out before every candidate was tried. */
  complete: boolean;
  seconds: number;
}

/**
 * Chooses tree parameters on prequential folds of the training rows (in time order): fold k
 * validates on the k-th of `folds` equal time blocks covering the latest half of the period, and
 * trains on the rows before it less a gap: the label delay (a label is known only that long after
 * its row), at most half a block, so that a short period (a week with a week's delay) still has
 * folds. The candidate with the best mean average
 * precision wins; the defaults win ties. Deterministic: a fixed sequence of candidates.
 */
export function tuneParams(
  set: TrainingSet,
  time: Float64Array,
  labelDelayMs: number,
  base: Partial<GbdtParams>,
  options: TuneOptions = {},
): TuningInfo {
  const clock = options.clock ?? Date.now;
  const started = clock();
  const budgetMs = (options.budgetSeconds ?? 300) * 1000;
  const k = options.folds ?? 3;
  const n = set.rows;
  const t0 = time[0] as number;
  const t1 = time[n - 1] as number;
  // The latest half of the period, in k blocks.
  const block = (t1 - t0) / (2 * k);
  const gap = Math.min(labelDelayMs, block / 2);
  const F = set.features;
  const rowAt = (t: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((time[mid] as number) < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const folds: { trainEnd: number; from: number; to: number }[] = [];
  for (let i = 0; i < k; i++) {
    const vFrom = t0 + (t1 - t0) / 2 + i * block;
    const from = rowAt(vFrom);
    const to = i === k - 1 ? n : rowAt(vFrom + block);
    const trainEnd = rowAt(vFrom - gap);
    if (trainEnd > 0 && to > from) folds.push({ trainEnd, from, to });
  }
  const tried: TuningInfo['candidates'] = [];
  let complete = true;
  for (const candidate of TUNE_CANDIDATES) {
    if (tried.length > 0 && clock() - started > budgetMs) {
      complete = false;
      break;
    }
    const params = { ...base, ...candidate };
    let sum = 0;
    let counted = 0;
    for (const f of folds) {
      const sub: TrainingSet = {
        x: set.x.subarray(0, f.trainEnd * F),
        y: set.y.subarray(0, f.trainEnd),
        w: set.w.subarray(0, f.trainEnd),
        rows: f.trainEnd,
        features: F,
      };
      if (!hasBoth(sub.y) || !hasBoth(set.y.subarray(f.from, f.to))) continue;
      const { model } = trainGbdt(sub, params);
      const margins = new Float64Array(f.to - f.from);
      for (let r = f.from; r < f.to; r++) margins[r - f.from] = predictMargin(model, set.x, r * F);
      sum += averagePrecision(margins, set.y.subarray(f.from, f.to));
      counted++;
    }
    tried.push({ params: candidate, averagePrecision: counted > 0 ? sum / counted : Number.NaN });
  }
  let best = 0;
  for (let i = 1; i < tried.length; i++) {
    if ((tried[i]?.averagePrecision as number) > (tried[best]?.averagePrecision as number) + 1e-9) best = i;
  }
  return {
    candidates: tried,
    chosen: tried[best]?.params ?? {},
    folds: folds.length,
    gap_ms: gap,
    complete,
    seconds: Number(((clock() - started) / 1000).toFixed(1)),
  };
}

function hasBoth(y: Uint8Array): boolean {
  let pos = 0;
  for (const v of y) pos += v;
  return pos > 0 && pos < y.length;
}

/** Fewest frauds among the held-out rows for a calibration map to be fitted. */
const MIN_CALIBRATION_FRAUDS = 10;

/** Fits the trees on collected rows, calibrates them on the held-out rows and builds the model file. */
export function fitModel(rows: TrainingRows, options: FitOptions, started = Date.now()): ModelFile {
  const { set, negativeWeight, time } = rows.finish();
  const tuning = options.tune ? tuneParams(set, time, options.labelDelayMs, options.gbdt ?? {}, options.tune) : undefined;
  const { model, report } = trainGbdt(set, { ...options.gbdt, ...tuning?.chosen });
  const calibrated = options.calibrate === false ? undefined : calibrate(model, set, time, report.validationRows);
  return modelFile(
    calibrated?.ensemble ?? model,
    {
      rows: rows.rows,
      positives: rows.positives,
      negatives_kept: set.rows - rows.positives,
      negative_weight: negativeWeight,
      from: Number.isFinite(options.from) ? new Date(options.from).toISOString() : null,
      to: Number.isFinite(options.to) ? new Date(options.to).toISOString() : null,
      label_delay_ms: options.labelDelayMs,
      trees_trained: report.treesTrained,
      best_iteration: report.bestIteration,
      validation_logloss: report.validationLogLoss,
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    },
    report.gain,
    options.now?.() ?? new Date(),
    calibrated?.info,
    tuning,
  );
}

/**
 * Fits the Platt map on the rows training held out (the latest ones: the map is measured on
 * rows after those the trees learned from, as scoring meets them) and folds it into the trees.
 * Undefined when too few frauds are held out or the map would not keep the ranking.
 */
function calibrate(
  model: Ensemble,
  set: TrainingSet,
  time: Float64Array,
  validationRows: number,
): { ensemble: Ensemble; info: CalibrationInfo } | undefined {
  const F = set.features;
  const start = set.rows - validationRows;
  const y = set.y.subarray(start, set.rows);
  const w = set.w.subarray(start, set.rows);
  const frauds = y.reduce((n, v) => n + v, 0);
  if (validationRows === 0 || frauds < MIN_CALIBRATION_FRAUDS) return undefined;
  const margins = new Float64Array(validationRows);
  for (let r = 0; r < validationRows; r++) margins[r] = predictMargin(model, set.x, (start + r) * F);
  const map = fitPlatt(margins, y, w);
  if (!map) return undefined;
  const before = Float64Array.from(margins, sigmoid);
  const after = Float64Array.from(margins, (m) => sigmoid(map.a * m + map.b));
  return {
    ensemble: calibrateEnsemble(model, map),
    info: {
      method: 'platt',
      a: map.a,
      b: map.b,
      rows: validationRows,
      frauds,
      from: new Date(time[start] as number).toISOString(),
      to: new Date(time[set.rows - 1] as number).toISOString(),
      brier_before: weightedBrier(before, y, w),
      brier_after: weightedBrier(after, y, w),
    },
  };
}

/** Brier score with row weights (the sampling weights of legit rows). */
function weightedBrier(p: Float64Array, y: Uint8Array, w: Float64Array): number {
  let s = 0;
  let tw = 0;
  for (let i = 0; i < p.length; i++) {
    s += (w[i] as number) * ((p[i] as number) - (y[i] as number)) ** 2;
    tw += w[i] as number;
  }
  return s / tw;
}

/** Drops legit rows whose hash is at or above `rate`, keeping order; returns the rows left. */
function compact(
  x: Float64Array,
  y: Uint8Array,
  keyHash: Float64Array,
  time: Float64Array,
  rows: number,
  rate: number,
  F: number,
): number {
  let m = 0;
  for (let i = 0; i < rows; i++) {
    if (y[i] === 0 && (keyHash[i] as number) >= rate) continue;
    if (m !== i) {
      x.copyWithin(m * F, i * F, (i + 1) * F);
      y[m] = y[i] as number;
      keyHash[m] = keyHash[i] as number;
      time[m] = time[i] as number;
    }
    m++;
  }
  return m;
}

/** A stable number in [0, 1) from an id, so sampling is the same on every run. */
function unitHash(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) / 2 ** 32;
}

function grow(a: Float64Array, size: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(size);
  b.set(a);
  return b;
}

function growU8(a: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(size);
  b.set(a);
  return b;
}
