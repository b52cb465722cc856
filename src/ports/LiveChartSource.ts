/** An alert whose transaction has a known outcome: its event time (epoch ms) and whether it was fraud. */
export interface LabelledAlertPoint {
  ts: number;
  fraud: boolean;
}

/**
 * What the live view's charts read from the stored decisions, over a bounded number of the
 * newest rows so that a reading costs the same at any database size.
 *
 * @example
 * const counts = await charts.scoreHistogram(10_000); // 10 buckets: [0, 10), [10, 20), … [90, 100]
 */
export interface LiveChartSource {
  /** Scores of the newest `recent` decisions in 10 buckets of 10 points, the last holding 100. */
  scoreHistogram(recent: number): Promise<number[]>;
  /** Among the newest `recent` alerts, those whose transaction has a label (its own or reported since). */
  labelledAlerts(recent: number): Promise<LabelledAlertPoint[]>;
}
