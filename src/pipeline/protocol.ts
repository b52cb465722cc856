import { averagePrecision, cardPrecisionAtK, type CardScore, rocAuc } from '../core/metrics.js';
import { brierScore } from '../core/model/calibration.js';
import type { GbdtParams } from '../core/model/gbdt.js';
import { pathMarginsFlat } from '../core/model/gbdt.js';
import { loadModel, type ModelFile, modelScore } from '../core/model/model.js';
import { FEATURE_COUNT, modelVector } from '../core/model/vector.js';
import { type HistoryOptions, replayHistory } from './history.js';
import { fitModel, TrainingRows, type TuneOptions } from './train.js';

const DAY_MS = 86_400_000;

/** The split of one protocol run, in whole UTC days. */
export interface ProtocolSplit {
  /** First training day, epoch ms of its 00:00 UTC. */
  trainFrom: number;
  /** @default 7 */
  trainDays: number;
  /** Days between training and test whose labels are not yet known when the model is trained. @default 7 */
  delayDays: number;
  /** @default 7 */
  testDays: number;
}

/**
 * The fraud-detection handbook's split: train on the 7 days from 2018-07-25, skip a 7-day
 * delay, test on the 7 days from 2018-08-08.
 */
export const HANDBOOK_SPLIT: ProtocolSplit = { trainFrom: Date.UTC(2018, 6, 25), trainDays: 7, delayDays: 7, testDays: 7 };

/** Options of {@link runProtocol}. */
export interface ProtocolOptions extends Omit<HistoryOptions, 'model' | 'labelDelayMs'> {
  split: ProtocolSplit;
  gbdt?: Partial<GbdtParams>;
  /** Tune the tree parameters on the training week first (`train --tune`). */
  tune?: TuneOptions;
  maxNegatives?: number;
  now?: () => Date;
}

/** What one protocol run measured. */
export interface ProtocolResult {
  trainRows: number;
  trainFrauds: number;
  /** Test rows kept (cards already known to be compromised are left out). */
  testRows: number;
  testFrauds: number;
  auc: number;
  averagePrecision: number;
  /** Card precision@100 per test day, detected cards removed from later days, averaged. */
  cardPrecisionAt100: number;
  /** Brier score of the model's probabilities (score / 100) on the kept test rows. */
  brier: number;
  model: ModelFile;
}

/**
 * Trains and tests on one labelled history the way the fraud-detection handbook does, in one
 * chronological pass: features exactly as scoring computes them, labels fed back with the delay
 * (`split.delayDays`); the model learns from the labelled rows of the training days and scores
 * the test days. As the handbook does, a test day leaves out the cards (accounts when there is
 * no card) with a fraud known by then, that is one on a day before `test day − delay`: a team
 * would already have blocked them. Metrics: ROC AUC, average precision and card precision@100
 * per day with detected cards removed from later days.
 */
export async function runProtocol(source: AsyncIterable<Buffer | string>, options: ProtocolOptions): Promise<ProtocolResult> {
  return fitProtocol(await collectProtocol(source, options), options);
}

/** The rows of one protocol run, features computed: what {@link fitProtocol} trains and tests on. */
export interface ProtocolData {
  split: ProtocolSplit;
  training: TrainingRows;
  /** Model vectors of the kept test rows, row-major. */
  x: Float64Array;
  test: CardScore[];
}

/** The chronological pass of {@link runProtocol}: training rows and kept test rows with their vectors. */
export async function collectProtocol(source: AsyncIterable<Buffer | string>, options: ProtocolOptions): Promise<ProtocolData> {
  const { trainFrom, trainDays, delayDays, testDays } = options.split;
  const trainTo = trainFrom + trainDays * DAY_MS;
  const testFrom = trainTo + delayDays * DAY_MS;
  const testTo = testFrom + testDays * DAY_MS;
  const labelDelayMs = delayDays * DAY_MS;
  const training = new TrainingRows(options.maxNegatives);
  const F = FEATURE_COUNT;
  let cap = 1 << 16;
  let x = new Float64Array(cap * F);
  const test: { card: string; day: number; label: number }[] = [];
  // Day (index) of each card's first fraud from the start of training: whether it is known
  // on a test day.
  const firstFraud = new Map<string, number>();
  let past = 0;
  read: for await (const batch of replayHistory(source, { ...options, labelDelayMs })) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.timestamp >= testTo) {
        if (++past >= 1000) break read;
        continue;
      }
      past = 0;
      if (tx.label === undefined || tx.timestamp < trainFrom) continue;
      const card = tx.card?.token ?? tx.accountId;
      const day = Math.floor(tx.timestamp / DAY_MS);
      if (tx.label === 1 && !firstFraud.has(card)) firstFraud.set(card, day);
      if (tx.timestamp < trainTo) training.add(tx, r.features);
      else if (tx.timestamp >= testFrom) {
        if (test.length === cap) {
          cap *= 2;
          const more = new Float64Array(cap * F);
          more.set(x);
          x = more;
        }
        modelVector(tx, r.features, x.subarray(test.length * F, (test.length + 1) * F));
        test.push({ card, day, label: tx.label });
      }
    }
  }
  // Known on a test day: a fraud on a training day or on a delay day more than the delay
  // before it (the handbook's rule). Those rows leave the test set.
  const kept: CardScore[] = [];
  let k = 0;
  for (const [i, t] of test.entries()) {
    const known = firstFraud.get(t.card);
    if (known !== undefined && known < t.day - delayDays) continue;
    if (k !== i) x.copyWithin(k * F, i * F, (i + 1) * F);
    kept.push({ ...t, score: Number.NaN });
    k++;
  }
  return { split: options.split, training, x: x.subarray(0, k * F), test: kept };
}

/** Trains on collected protocol rows (with `options.gbdt`) and measures on its test rows. */
export function fitProtocol(
  data: ProtocolData,
  options: { gbdt?: Partial<GbdtParams>; calibrate?: boolean; tune?: TuneOptions; now?: () => Date },
): ProtocolResult {
  const F = FEATURE_COUNT;
  const { trainFrom, trainDays, delayDays } = data.split;
  const file = fitModel(data.training, {
    from: trainFrom,
    to: trainFrom + trainDays * DAY_MS,
    labelDelayMs: delayDays * DAY_MS,
    gbdt: options.gbdt,
    calibrate: options.calibrate,
    tune: options.tune,
    now: options.now,
  });
  const model = loadModel(file);
  const margin = new Float64Array(1);
  const kept = data.test.map((t, i) => {
    // Scored one row at a time, as `score` does: the same margin to the bit.
    pathMarginsFlat(model.flat, data.x.subarray(i * F, (i + 1) * F), F, 1, margin);
    return { ...t, score: modelScore(margin[0] as number) };
  });
  const scores = kept.map((k) => k.score);
  const labels = kept.map((k) => k.label);
  return {
    trainRows: data.training.rows,
    trainFrauds: data.training.positives,
    testRows: kept.length,
    testFrauds: labels.filter((l) => l === 1).length,
    auc: rocAuc(scores, labels),
    averagePrecision: averagePrecision(scores, labels),
    cardPrecisionAt100: cardPrecisionAtK(kept, 100, { removeDetected: true }),
    brier: brierScore(scores.map((v) => v / 100), labels),
    model: file,
  };
}
