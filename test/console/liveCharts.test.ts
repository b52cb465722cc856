/**
 * What the live view's charts read from SQLite: the score buckets of the newest decisions and the
 * labelled alerts among the newest alerts, each over a bounded window of the newest rows.
 */
import { describe, expect, it } from 'vitest';
import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import type { Decision } from '../../src/core/scoring.js';
import { makeDecision, makeTx, T0 } from '../helpers/transactions.js';

describe('SqliteReviewStore as the live charts\' source', () => {
  it('counts the newest decisions per score bucket, and lists the labelled alerts among the newest alerts', async () => {
    // Prepare: five decisions, three alerting; one alert labelled with its row, one reported later, one not labelled
    const state = new SqliteStateStore({ path: ':memory:' });
    const rows: [number, Decision['outcome'], 0 | 1 | undefined][] = [
      [5, 'allow', undefined],
      [15, 'allow', undefined],
      [55, 'review', undefined],
      [95, 'block', 1],
      [100, 'block', undefined],
    ];
    await state.commit(
      rows.map(([score, outcome, label], i) => ({
        transaction: makeTx({ transactionId: `tx-${i}`, timestamp: T0 + i * 60_000, ...(label !== undefined ? { label } : {}) }),
        decision: makeDecision({ transaction_id: `tx-${i}`, score, outcome }),
      })),
    );
    await state.putLabel('tx-2', 0, T0 + 10 * 60_000);
    const charts = new SqliteReviewStore({ db: state.db });

    // Act
    const all = await charts.scoreHistogram(100);
    const newest = await charts.scoreHistogram(2);
    const labelled = await charts.labelledAlerts(100);
    const newestAlert = await charts.labelledAlerts(1);

    // Assess
    expect(all).toEqual([1, 1, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(newest).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(labelled).toEqual([
      { ts: T0 + 2 * 60_000, fraud: false },
      { ts: T0 + 3 * 60_000, fraud: true },
    ]);
    expect(newestAlert).toEqual([]);
    state.close();
  });
});
