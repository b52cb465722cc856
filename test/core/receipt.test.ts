import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBatch,
  addIngested,
  buildReceipt,
  emptyCounts,
  emptyIngestCounts,
  handOffCounts,
  keepRejections,
  type Rejection,
  tallyBatch,
} from '../../src/core/receipt.js';
import type { Decision, Outcome } from '../../src/core/scoring.js';

function decision(id: string, outcome: Outcome): Decision {
  return {
    transaction_id: id,
    score: outcome === 'allow' ? 0 : 80,
    outcome,
    reasons: [],
    model_score: null,
    model_version: null,
    rules_score: 0,
    rules_version: 'v1',
    decided_at: '2024-01-01T00:00:00.000Z',
  };
}

function rejection(row: number): Rejection {
  return { row, line: row + 1, column: 'amount', reason: 'not a number' };
}

describe('receipt counting rules', () => {
  it('tallies outcomes and alerts of a batch', () => {
    // Act
    const t = tallyBatch([decision('a', 'allow'), decision('b', 'review'), decision('c', 'block'), decision('d', 'review')], 2, 3);
    // Assess
    expect(t).toEqual({ decided: 4, duplicates: 2, rejected: 3, alerts: 3, outcomes: { allow: 1, review: 2, block: 1 } });
  });

  it('keeps rows = accepted + rejected and accepted = decided + duplicates over any batches', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ outcomes: fc.array(fc.constantFrom<Outcome>('allow', 'review', 'block')), duplicates: fc.nat(50), rejected: fc.nat(50) })),
        (batches) => {
          // Act
          let counts = emptyCounts();
          for (const [i, b] of batches.entries()) {
            counts = addBatch(counts, tallyBatch(b.outcomes.map((o, k) => decision(`${i}-${k}`, o)), b.duplicates, b.rejected));
          }
          // Assess
          const decided = batches.reduce((a, b) => a + b.outcomes.length, 0);
          expect(counts.decided).toBe(decided);
          expect(counts.accepted).toBe(counts.decided + counts.duplicates);
          expect(counts.rows).toBe(counts.accepted + counts.rejected);
          expect(counts.outcomes.allow + counts.outcomes.review + counts.outcomes.block).toBe(decided);
          expect(counts.alerts).toBe(counts.outcomes.review + counts.outcomes.block);
        },
      ),
    );
  });

  it('never changes the counts it adds to', () => {
    // Prepare
    const counts = emptyCounts();
    const ingest = emptyIngestCounts();
    // Act
    addBatch(counts, tallyBatch([decision('a', 'block')], 1, 1));
    addIngested(ingest, 5, 2);
    // Assess
    expect(counts).toEqual(emptyCounts());
    expect(ingest).toEqual(emptyIngestCounts());
  });

  it('adds ingested rows and counts every accepted row of a hand-off as queued', () => {
    // Act
    const c = addIngested(addIngested(emptyIngestCounts(), 5, 2), 3, 0);
    // Assess
    expect(c).toEqual({ rows: 10, accepted: 8, rejected: 2 });
    expect(handOffCounts(c, 2)).toEqual({ rows: 10, accepted: 8, rejected: 2, queued: 8, messages: 2 });
  });

  it('keeps rejections up to the limit, in order, without changing the list kept', () => {
    // Prepare
    const kept = [rejection(1)];
    // Act
    const more = keepRejections(kept, [rejection(2), rejection(3), rejection(4)], 3);
    const full = keepRejections(more, [rejection(5)], 3);
    // Assess
    expect(more.map((r) => r.row)).toEqual([1, 2, 3]);
    expect(kept.map((r) => r.row)).toEqual([1]);
    expect(full).toBe(more);
  });
});

describe('buildReceipt', () => {
  it('assembles a scored file receipt with its rules version, keys in a fixed order', () => {
    // Prepare
    const counts = addBatch(emptyCounts(), tallyBatch([decision('a', 'review')], 0, 3));
    // Act
    const r = buildReceipt({
      file: 'tx.csv',
      status: 'failed',
      error: 'it shrank',
      startedAt: '2024-01-01T00:00:00.000Z',
      finishedAt: '2024-01-01T00:00:01.000Z',
      rulesVersion: null,
      counts,
      rejections: [rejection(1)],
    });
    // Assess
    expect(Object.keys(r)).toEqual([
      'file',
      'status',
      'started_at',
      'finished_at',
      'rules_version',
      'counts',
      'rejections',
      'rejections_not_listed',
      'error',
    ]);
    expect(r.rules_version).toBeNull();
    expect(r.rejections_not_listed).toBe(2);
    expect(r.counts).toEqual(counts);
  });

  it('assembles a hand-off receipt with its ETag and no rules version', () => {
    // Act
    const r = buildReceipt({
      file: 'tx.csv',
      etag: '"abc"',
      status: 'processed',
      startedAt: '2024-01-01T00:00:00.000Z',
      finishedAt: '2024-01-01T00:00:01.000Z',
      counts: handOffCounts({ rows: 4, accepted: 4, rejected: 0 }, 1),
      rejections: [],
    });
    // Assess
    expect(Object.keys(r)).toEqual([
      'file',
      'etag',
      'status',
      'started_at',
      'finished_at',
      'counts',
      'rejections',
      'rejections_not_listed',
    ]);
    expect(r.etag).toBe('"abc"');
    expect(r.rejections_not_listed).toBe(0);
  });
});
