/**
 * The live view's figures: the counters of `GET /stats` and the rates over the last minute, from
 * the counters sampled as time goes by, and what its charts show: the score distribution of the
 * newest decisions, the precision of the labelled alerts over time, and the files in progress.
 */
import type { Stats } from '../core/records.js';
import type { FileRecord } from '../ports/FileLedger.js';
import type { LabelledAlertPoint, LiveChartSource } from '../ports/LiveChartSource.js';

/** What the live view shows at one time. */
export interface LiveFigures {
  at: string;
  transactions: number;
  alerts: number;
  outcomes: Stats['outcomes'];
  files: Stats['files'];
  /** Decisions stored over the last minute (or since the first sample, scaled to a minute). */
  decisions_per_minute: number;
  alerts_per_minute: number;
  /** Share of all decisions that raised an alert, 0–1; 0 before the first decision. */
  alert_rate: number;
}

const MINUTE_MS = 60_000;

/**
 * Rates from counters sampled over time: keeps the samples of the last minute (and the one just
 * before it, the base of the rates).
 *
 * @example
 * const live = new LiveRates();
 * const figures = live.sample(await decisions.stats(), Date.now());
 */
export class LiveRates {
  private samples: { t: number; transactions: number; alerts: number }[] = [];

  /** Adds a sample of the counters taken at `now` (epoch ms) and returns the figures then. */
  sample(stats: Stats, now: number): LiveFigures {
    this.samples.push({ t: now, transactions: stats.transactions, alerts: stats.alerts });
    // Keep one sample at or before a minute ago: the base the rates are measured from.
    while (this.samples.length > 2 && (this.samples[1]?.t ?? now) <= now - MINUTE_MS) this.samples.shift();
    const base = this.samples[0] ?? { t: now, transactions: stats.transactions, alerts: stats.alerts };
    const minutes = Math.max(now - base.t, 1000) / MINUTE_MS;
    const perMinute = (n: number) => Math.max(0, Math.round(n / minutes));
    return {
      at: new Date(now).toISOString(),
      transactions: stats.transactions,
      alerts: stats.alerts,
      outcomes: stats.outcomes,
      files: stats.files,
      decisions_per_minute: perMinute(stats.transactions - base.transactions),
      alerts_per_minute: perMinute(stats.alerts - base.alerts),
      alert_rate: stats.transactions > 0 ? stats.alerts / stats.transactions : 0,
    };
  }
}

/** How many of the newest decisions and alerts the charts read. */
export const CHART_WINDOW = 10_000;
/** Time buckets of the precision chart at most. */
export const PRECISION_BUCKETS = 12;

/** The precision of the labelled alerts of one stretch of event time. */
export interface PrecisionPoint {
  /** Start and end of the stretch (ISO 8601, end exclusive but for the last). */
  from: string;
  to: string;
  labelled: number;
  fraud: number;
  /** fraud / labelled; null when no alert of the stretch is labelled. */
  precision: number | null;
}

/** A file being processed and its counts so far. */
export interface FileProgress {
  name: string;
  status: FileRecord['status'];
  rows_done: number;
  decided: number;
  alerts: number;
  rejected: number;
  started_at: string;
}

/** What the live view charts. */
export interface LiveCharts {
  /** Decisions per score bucket of 10 points ([0, 10), … [90, 100]), among the newest `window`. */
  score_histogram: { window: number; counts: number[] };
  /** The labelled alerts among the newest `window`, by their transactions' time. */
  precision: { window: number; points: PrecisionPoint[] };
  files_in_progress: FileProgress[];
}

/**
 * Splits labelled alerts into at most `buckets` equal stretches of event time, from the first to
 * the last, with the precision of each: the share of its labelled alerts that were fraud.
 *
 * @example
 * precisionOverTime([{ ts: 0, fraud: true }, { ts: 10, fraud: false }], 2);
 * // [{ labelled: 1, fraud: 1, precision: 1, … }, { labelled: 1, fraud: 0, precision: 0, … }]
 */
export function precisionOverTime(points: readonly LabelledAlertPoint[], buckets = PRECISION_BUCKETS): PrecisionPoint[] {
  if (points.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    min = Math.min(min, p.ts);
    max = Math.max(max, p.ts);
  }
  const n = max === min ? 1 : buckets;
  const width = Math.max(1, (max - min) / n);
  const out = Array.from({ length: n }, (_, i) => ({
    from: new Date(min + i * width).toISOString(),
    to: new Date(i === n - 1 ? max : min + (i + 1) * width).toISOString(),
    labelled: 0,
    fraud: 0,
    precision: null as number | null,
  }));
  for (const p of points) {
    const b = out[Math.min(n - 1, Math.floor((p.ts - min) / width))];
    if (!b) continue;
    b.labelled++;
    if (p.fraud) b.fraud++;
  }
  for (const b of out) b.precision = b.labelled > 0 ? b.fraud / b.labelled : null;
  return out;
}

/** Reads what the live view charts: the newest {@link CHART_WINDOW} decisions and alerts, and the files in progress. */
export async function liveCharts(source: LiveChartSource, files: () => Promise<FileRecord[]>, window = CHART_WINDOW): Promise<LiveCharts> {
  const [counts, labelled, unfinished] = await Promise.all([source.scoreHistogram(window), source.labelledAlerts(window), files()]);
  return {
    score_histogram: { window, counts },
    precision: { window, points: precisionOverTime(labelled) },
    files_in_progress: unfinished.map((f) => ({
      name: f.name,
      status: f.status,
      rows_done: f.rowsDone,
      decided: f.counts.decided,
      alerts: f.counts.alerts,
      rejected: f.counts.rejected,
      started_at: f.startedAt,
    })),
  };
}
