import { describe, expect, it } from 'vitest';
import { liveCharts, LiveRates, precisionOverTime } from '../../src/app/liveView.js';
import type { Stats } from '../../src/core/records.js';

const stats = (transactions: number, alerts: number): Stats => ({
  transactions,
  decisions: transactions,
  alerts,
  rejected: 0,
  duplicates: 0,
  outcomes: { allow: transactions - alerts, review: alerts, block: 0 },
  files: { processed: 1, failed: 0, processing: 0 },
});

describe('live view figures', () => {
  it('measures the rates over the last minute, and they fall back to 0 once nothing arrives', () => {
    // Prepare
    const live = new LiveRates();
    const t0 = Date.UTC(2026, 0, 1);

    // Act
    const first = live.sample(stats(100, 10), t0);
    const half = live.sample(stats(400, 40), t0 + 30_000);
    const minute = live.sample(stats(700, 70), t0 + 60_000);
    const later = live.sample(stats(1300, 70), t0 + 90_000);
    const idle = live.sample(stats(1300, 70), t0 + 200_000);

    // Assess
    expect(first).toMatchObject({ transactions: 100, alerts: 10, decisions_per_minute: 0, alert_rate: 0.1 });
    expect(half).toMatchObject({ decisions_per_minute: 600, alerts_per_minute: 60 });
    expect(minute).toMatchObject({ decisions_per_minute: 600, alerts_per_minute: 60, at: new Date(t0 + 60_000).toISOString() });
    // The base is now the sample of a minute before: (1300 − 400) over 60 s.
    expect(later).toMatchObject({ decisions_per_minute: 900, alerts_per_minute: 30 });
    expect(idle).toMatchObject({ decisions_per_minute: 0, alerts_per_minute: 0, alert_rate: 70 / 1300 });
  });

  it('splits labelled alerts into equal stretches of event time, each with its precision, none for a stretch without labels', () => {
    // Prepare: 4 hours of alerts, none labelled in the third
    const t0 = Date.UTC(2026, 0, 1);
    const hour = 3_600_000;
    const points = [
      { ts: t0, fraud: true },
      { ts: t0 + 0.5 * hour, fraud: false },
      { ts: t0 + 1.2 * hour, fraud: true },
      { ts: t0 + 4 * hour, fraud: true },
      { ts: t0 + 3.9 * hour, fraud: false },
    ];

    // Act
    const buckets = precisionOverTime(points, 4);
    const single = precisionOverTime([{ ts: t0, fraud: false }], 4);

    // Assess
    expect(buckets.map((b) => [b.labelled, b.fraud, b.precision])).toEqual([
      [2, 1, 0.5],
      [1, 1, 1],
      [0, 0, null],
      [2, 1, 0.5],
    ]);
    expect(buckets[0]?.from).toBe(new Date(t0).toISOString());
    expect(buckets[3]?.to).toBe(new Date(t0 + 4 * hour).toISOString());
    expect(single).toEqual([{ from: new Date(t0).toISOString(), to: new Date(t0).toISOString(), labelled: 1, fraud: 0, precision: 0 }]);
    expect(precisionOverTime([])).toEqual([]);
  });

  it('reads the charts: score buckets, precision over time and each file in progress with its counts', async () => {
    // Prepare
    const source = {
      scoreHistogram: async (n: number) => [n, 0, 0, 0, 0, 3, 0, 0, 0, 1],
      labelledAlerts: async () => [{ ts: 0, fraud: true }],
    };
    const counts = { rows: 10, accepted: 9, rejected: 1, decided: 8, duplicates: 1, alerts: 2, outcomes: { allow: 6, review: 2, block: 0 } };
    const files = async () => [
      { id: 1, name: 'a.csv', workKey: 'processing/1-a.csv', status: 'processing' as const, rowsDone: 10, counts, startedAt: '2026-01-01T00:00:00.000Z' },
    ];

    // Act
    const charts = await liveCharts(source, files, 500);

    // Assess
    expect(charts.score_histogram).toEqual({ window: 500, counts: [500, 0, 0, 0, 0, 3, 0, 0, 0, 1] });
    expect(charts.precision.points).toHaveLength(1);
    expect(charts.files_in_progress).toEqual([
      { name: 'a.csv', status: 'processing', rows_done: 10, decided: 8, alerts: 2, rejected: 1, started_at: '2026-01-01T00:00:00.000Z' },
    ]);
  });
});
