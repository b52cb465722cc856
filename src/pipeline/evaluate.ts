import {
  averagePrecision,
  cardPrecisionAtK,
  type Point,
  precisionRecallAt,
  prCurve,
  rocAuc,
  rocCurve,
} from '../core/metrics.js';
import type { Model } from '../core/model/model.js';
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
  importance: { feature: string; share: number }[];
}

/** Options of {@link evaluateHistory}. */
export interface EvaluateOptions extends Omit<HistoryOptions, 'model'> {
  model: Model;
  from?: number;
  to?: number;
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
  let seen = 0;
  for await (const batch of replayHistory(source, options)) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.label === undefined || tx.timestamp < from || tx.timestamp >= to) continue;
      const m = r.model?.score ?? 0;
      scores.rules.push(r.rules.score);
      scores.model.push(m);
      scores.combined.push(combineScores(r.rules.score, m, options.rules.thresholds.block));
      labels.push(tx.label);
      days.push(Math.floor(tx.timestamp / 86_400_000));
      cards.push(tx.card?.token ?? tx.accountId);
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
    importance: Object.entries(options.model.file.importance)
      .map(([feature, share]) => ({ feature, share }))
      .sort((a, b) => b.share - a.share),
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
