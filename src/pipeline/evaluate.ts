import {
  averagePrecision,
  cardPrecisionAtK,
  type Point,
  precisionRecallAt,
  prCurve,
  rocAuc,
  rocCurve,
} from '../core/metrics.js';
import { brierScore, type ReliabilityBin, reliabilityCurve } from '../core/model/calibration.js';
import type { Model } from '../core/model/model.js';
import {
  recommendThresholds,
  type ScoredRow,
  type ThresholdBudget,
  type ThresholdOutcome,
  type Thresholds,
  thresholdOutcome,
} from '../core/model/thresholds.js';
import { combineScores } from '../core/scoring.js';
import { type HistoryOptions, replayHistory } from './history.js';

/** The three ways of scoring that are compared. */
export const SYSTEMS = ['rules', 'model', 'combined'] as const;
/** A scoring system. */
export type SystemName = (typeof SYSTEMS)[number];

/** Metrics of one system over the evaluation period. */
export interface SystemMetrics {
  auc: number;
  averagePrecision: number;
  cardPrecisionAt100: number;
  atReview: { threshold: number; precision: number; recall: number; flagged: number };
  atBlock: { threshold: number; precision: number; recall: number; flagged: number };
  roc: Point[];
  pr: Point[];
  /** Histogram of scores (20 bins of 5 points) for legit and fraud transactions. */
  distribution: { legit: number[]; fraud: number[] };
}

/** Everything `evaluate` reports. */
export interface EvaluationReport {
  file: string;
  from: string | null;
  to: string | null;
  labelDelayMs: number;
  modelVersion: string;
  rulesVersion: string;
  rows: number;
  frauds: number;
  days: number;
  systems: Record<SystemName, SystemMetrics>;
  /** How well the model's score / 100 estimates the fraud probability on the evaluation rows. */
  calibration: {
    /** Whether the model file carries a calibration map (its score is then a probability × 100). */
    calibrated: boolean;
    brier: number;
    reliability: ReliabilityBin[];
  };
  importance: { feature: string; share: number }[];
  /** Thresholds recommended on the validation period, when a budget was given. */
  thresholds?: ThresholdReport;
}

/** Thresholds chosen on the validation period and what they, and the ones in force, did on the evaluation period. */
export interface ThresholdReport {
  budget: ThresholdBudget;
  /** `days` is the period's length in days (fractional). */
  validation: { from: string; to: string; rows: number; frauds: number; days: number };
  recommended: Thresholds;
  current: Thresholds;
  /** On the evaluation (test) period. */
  test: { recommended: ThresholdOutcome; current: ThresholdOutcome; days: number };
}

/** Options of {@link evaluateHistory}. */
export interface EvaluateOptions extends Omit<HistoryOptions, 'model'> {
  model: Model;
  from?: number;
  to?: number;
  /**
   * Recommend review and block thresholds for this budget on the `validation` period (on the
   * combined score, which decides outcomes) and measure them on [from, to).
   */
  budget?: ThresholdBudget;
  /** The period thresholds are chosen on, epoch ms [from, to). */
  validation?: { from: number; to: number };
  onProgress?: (bytesRead: number, rows: number) => void;
}

/**
 * Replays labelled history (features and label feedback exactly as in production) and measures
 * rules only, model only and the combined score on the labelled rows of [from, to).
 */
export async function evaluateHistory(
  source: AsyncIterable<Buffer | string>,
  options: EvaluateOptions,
): Promise<EvaluationReport> {
  const from = options.from ?? Number.NEGATIVE_INFINITY;
  const to = options.to ?? Number.POSITIVE_INFINITY;
  const scores: Record<SystemName, number[]> = { rules: [], model: [], combined: [] };
  const labels: number[] = [];
  const days: number[] = [];
  const cards: string[] = [];
  const amounts: number[] = [];
  const validation: ScoredRow[] = [];
  const vFrom = options.budget ? (options.validation?.from ?? Number.NaN) : Number.NaN;
  const vTo = options.budget ? (options.validation?.to ?? Number.NaN) : Number.NaN;
  const block = options.rules.thresholds.block;
  let seen = 0;
  for await (const batch of replayHistory(source, options)) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.label === undefined) continue;
      if (tx.timestamp >= vFrom && tx.timestamp < vTo) {
        validation.push({ score: combineScores(r.rules.score, r.model?.score ?? 0, block), label: tx.label, amount: tx.amount / 10_000 });
      }
      if (tx.timestamp < from || tx.timestamp >= to) continue;
      const m = r.model?.score ?? 0;
      scores.rules.push(r.rules.score);
      scores.model.push(m);
      scores.combined.push(combineScores(r.rules.score, m, options.rules.thresholds.block));
      labels.push(tx.label);
      days.push(Math.floor(tx.timestamp / 86_400_000));
      cards.push(tx.card?.token ?? tx.accountId);
      // Amounts are E4 integers: in currency units for the money figures.
      amounts.push(tx.amount / 10_000);
    }
    seen += batch.rows.length;
    options.onProgress?.(batch.bytesRead, seen);
  }
  const t = options.rules.thresholds;
  const systems = {} as Record<SystemName, SystemMetrics>;
  for (const name of SYSTEMS) {
    const s = scores[name];
    systems[name] = {
      auc: rocAuc(s, labels),
      averagePrecision: averagePrecision(s, labels),
      cardPrecisionAt100: cardPrecisionAtK(
        s.map((score, i) => ({ day: days[i] as number, card: cards[i] as string, score, label: labels[i] as number })),
        100,
      ),
      atReview: { threshold: t.review, ...precisionRecallAt(s, labels, t.review) },
      atBlock: { threshold: t.block, ...precisionRecallAt(s, labels, t.block) },
      roc: thin(rocCurve(s, labels)),
      pr: thin(prCurve(s, labels)),
      distribution: histogram(s, labels),
    };
  }
  const probabilities = scores.model.map((v) => v / 100);
  return {
    file: options.fileKey,
    from: Number.isFinite(from) ? new Date(from).toISOString() : null,
    to: Number.isFinite(to) ? new Date(to).toISOString() : null,
    labelDelayMs: options.labelDelayMs,
    modelVersion: options.model.version,
    rulesVersion: options.rules.version,
    rows: labels.length,
    frauds: labels.filter((l) => l === 1).length,
    days: new Set(days).size,
    systems,
    calibration: {
      calibrated: options.model.file.calibration !== undefined,
      brier: brierScore(probabilities, labels),
      reliability: reliabilityCurve(probabilities, labels),
    },
    importance: Object.entries(options.model.file.importance)
      .map(([feature, share]) => ({ feature, share }))
      .sort((a, b) => b.share - a.share),
    ...(options.budget
      ? {
          thresholds: thresholdReport(
            options.budget,
            { from: vFrom, to: vTo, rows: validation, days: (vTo - vFrom) / 86_400_000 },
            scores.combined.map((score, i) => ({ score, label: labels[i] as number, amount: amounts[i] as number })),
            new Set(days).size,
            { review: t.review, block: t.block },
          ),
        }
      : {}),
  };
}

function thresholdReport(
  budget: ThresholdBudget,
  validation: { from: number; to: number; rows: ScoredRow[]; days: number },
  test: ScoredRow[],
  testDays: number,
  current: Thresholds,
): ThresholdReport {
  const recommended = recommendThresholds(validation.rows, validation.days, budget, current);
  return {
    budget,
    validation: {
      from: new Date(validation.from).toISOString(),
      to: new Date(validation.to).toISOString(),
      rows: validation.rows.length,
      frauds: validation.rows.filter((r) => r.label === 1).length,
      days: validation.days,
    },
    recommended,
    current,
    test: {
      recommended: thresholdOutcome(test, testDays, recommended, budget),
      current: thresholdOutcome(test, testDays, current, budget),
      days: testDays,
    },
  };
}

/** Keeps at most ~500 points of a curve (enough to draw it). */
function thin(points: Point[]): Point[] {
  if (points.length <= 500) return points;
  const step = points.length / 500;
  const out: Point[] = [];
  for (let i = 0; i < points.length; i += step) out.push(points[Math.floor(i)] as Point);
  out.push(points[points.length - 1] as Point);
  return out;
}

function histogram(scores: number[], labels: number[]): { legit: number[]; fraud: number[] } {
  const legit = new Array<number>(20).fill(0);
  const fraud = new Array<number>(20).fill(0);
  scores.forEach((s, i) => {
    const b = Math.min(19, Math.max(0, Math.floor(s / 5)));
    if (labels[i] === 1) fraud[b] = (fraud[b] as number) + 1;
    else legit[b] = (legit[b] as number) + 1;
  });
  return { legit, fraud };
}
