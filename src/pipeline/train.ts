import { createHash } from 'node:crypto';
import { type GbdtParams, trainGbdt } from '../core/model/gbdt.js';
import { type ModelFile, modelFile } from '../core/model/model.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import { type HistoryOptions, replayHistory } from './history.js';

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
  const started = Date.now();
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const F = FEATURE_COUNT;
  const maxNeg = options.maxNegatives ?? 200_000;
  let cap = 1 << 16;
  let x = new Float64Array(cap * F);
  let y = new Uint8Array(cap);
  let keyHash = new Float64Array(cap);
  let n = 0;
  let kept = 0;
  let positives = 0;
  // Legit rows are sampled while they are collected (by a hash of their id, so the same rows on
  // every run): whenever more than twice the budget is kept, the rate halves and the rows above it
  // are dropped. Memory stays bounded by the budget, not by the history's length.
  let rate = 1;
  let seenRows = 0;
  // Rows more than the lateness allowance past `to` cannot change a training row's features:
  // stop reading there instead of replaying the rest of a long history.
  const stopAt = to + LATENESS_MS;
  let past = 0;
  read: for await (const batch of replayHistory(source, options)) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.timestamp >= stopAt) {
        if (++past >= 1000) break read;
        continue;
      }
      past = 0;
      if (tx.label === undefined || tx.timestamp < from || tx.timestamp >= to) continue;
      n++;
      const h = tx.label === 0 ? unitHash(tx.transactionId) : 0;
      if (tx.label === 1) positives++;
      else if (h >= rate) continue;
      if (kept === cap) {
        cap *= 2;
        x = grow(x, cap * F);
        y = growU8(y, cap);
        keyHash = grow(keyHash, cap);
      }
      modelVector(tx, r.features, x.subarray(kept * F, (kept + 1) * F));
      y[kept] = tx.label;
      keyHash[kept] = h;
      kept++;
      if (kept - positives > 2 * maxNeg) {
        rate /= 2;
        kept = compact(x, y, keyHash, kept, rate, F);
      }
    }
    seenRows += batch.rows.length;
    options.onProgress?.(batch.bytesRead, seenRows);
  }
  if (positives === 0 || positives === n) {
    throw new RangeError(
      `training needs both fraud and legit labels in the training period; found ${positives} fraud of ${n} labelled rows`,
    );
  }
  // Final trim to the budget, then weights that undo the sampling.
  const keptNegatives = kept - positives;
  if (keptNegatives > maxNeg) {
    rate *= maxNeg / keptNegatives;
    kept = compact(x, y, keyHash, kept, rate, F);
  }
  const m = kept;
  const w = new Float64Array(m);
  for (let i = 0; i < m; i++) w[i] = y[i] === 1 ? 1 : 1 / rate;
  const { model, report } = trainGbdt(
    { x: x.subarray(0, m * F), y: y.subarray(0, m), w: w.subarray(0, m), rows: m, features: F },
    options.gbdt,
  );
  return modelFile(
    model,
    {
      rows: n,
      positives,
      negatives_kept: m - positives,
      negative_weight: 1 / rate,
      from: Number.isFinite(from) ? new Date(from).toISOString() : null,
      to: Number.isFinite(to) ? new Date(to).toISOString() : null,
      label_delay_ms: options.labelDelayMs,
      trees_trained: report.treesTrained,
      best_iteration: report.bestIteration,
      validation_logloss: report.validationLogLoss,
      seconds: Number(((Date.now() - started) / 1000).toFixed(1)),
    },
    report.gain,
    options.now?.() ?? new Date(),
  );
}

/** Drops legit rows whose hash is at or above `rate`, keeping order; returns the rows left. */
function compact(x: Float64Array, y: Uint8Array, keyHash: Float64Array, rows: number, rate: number, F: number): number {
  let m = 0;
  for (let i = 0; i < rows; i++) {
    if (y[i] === 0 && (keyHash[i] as number) >= rate) continue;
    if (m !== i) {
      x.copyWithin(m * F, i * F, (i + 1) * F);
      y[m] = y[i] as number;
      keyHash[m] = keyHash[i] as number;
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
