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
  let cap = 1 << 16;
  let x = new Float64Array(cap * FEATURE_COUNT);
  let y = new Uint8Array(cap);
  let keyHash = new Float64Array(cap);
  let n = 0;
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
      if (n === cap) {
        cap *= 2;
        x = grow(x, cap * FEATURE_COUNT);
        y = growU8(y, cap);
        keyHash = grow(keyHash, cap);
      }
      modelVector(tx, r.features, x.subarray(n * FEATURE_COUNT, (n + 1) * FEATURE_COUNT));
      y[n] = tx.label;
      keyHash[n] = unitHash(tx.transactionId);
      n++;
    }
    seenRows += batch.rows.length;
    options.onProgress?.(batch.bytesRead, seenRows);
  }
  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i] as number;
  if (positives === 0 || positives === n) {
    throw new RangeError(
      `training needs both fraud and legit labels in the training period; found ${positives} fraud of ${n} labelled rows`,
    );
  }
  const negatives = n - positives;
  const maxNeg = options.maxNegatives ?? 200_000;
  const rate = negatives > maxNeg ? maxNeg / negatives : 1;
  // Keep time order (the validation tail is the latest rows): filter in place.
  const F = FEATURE_COUNT;
  const w = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (y[i] === 0 && (keyHash[i] as number) >= rate) continue;
    if (m !== i) {
      x.copyWithin(m * F, i * F, (i + 1) * F);
      y[m] = y[i] as number;
    }
    w[m] = y[i] === 1 ? 1 : 1 / rate;
    m++;
  }
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
