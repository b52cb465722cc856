import { describe, expect, it } from 'vitest';
import { LiveRates } from '../../src/app/liveView.js';
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
});
