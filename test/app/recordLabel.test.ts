import { describe, expect, it } from 'vitest';
import { recordLabel, type RecordLabelDeps } from '../../src/app/recordLabel.js';
import type { Label, Transaction } from '../../src/core/transaction.js';
import { InMemoryEventClock } from '../fakes/InMemoryEventClock.js';

const HOUR = 3_600_000;

/** In-memory ports: stored transactions, a first-wins label store, a clock, the labels fed back. */
function fakes(txs: Transaction[], now: number, labelDelayMs = 24 * HOUR) {
  const clock = new InMemoryEventClock();
  void clock.advance(now);
  const labels = new Map<string, { label: Label; knownAt: number }>();
  const fedBack: [string, Label, number][] = [];
  const deps: RecordLabelDeps = {
    findTransaction: async (id) => txs.find((t) => t.transactionId === id),
    putLabel: async (id, label, knownAt) => {
      const prior = labels.get(id);
      if (prior) return { status: prior.label === label ? 'unchanged' : 'conflict', ...prior };
      labels.set(id, { label, knownAt });
      return { status: 'recorded', label, knownAt };
    },
    feedBack: async (tx, label, knownAt) => {
      fedBack.push([tx.transactionId, label, knownAt]);
    },
    clock,
    labelDelayMs,
  };
  return { deps, labels, fedBack };
}

const tx = (id: string, timestamp: number, label?: Label): Transaction => ({
  transactionId: id,
  timestamp,
  accountId: 'A1',
  amount: 10_000,
  currency: 'USD',
  attributes: {},
  ...(label === undefined ? {} : { label }),
});

describe('recordLabel', () => {
  it('records a new label known at the event-time clock, and feeds it back once', async () => {
    // Prepare
    const { deps, labels, fedBack } = fakes([tx('T1', 10 * HOUR)], 12 * HOUR);

    // Act
    const first = await recordLabel('T1', 1, deps);
    const again = await recordLabel('T1', 1, deps);
    const other = await recordLabel('T1', 0, deps);

    // Assess
    expect(first).toEqual({ status: 'recorded', label: 1, knownAt: 12 * HOUR });
    expect(again).toEqual({ status: 'unchanged', label: 1, knownAt: 12 * HOUR });
    expect(other).toEqual({ status: 'conflict', label: 1, knownAt: 12 * HOUR });
    expect([...labels]).toEqual([['T1', { label: 1, knownAt: 12 * HOUR }]]);
    expect(fedBack).toEqual([['T1', 1, 12 * HOUR]]);
  });

  it('never makes a label known before its transaction, nor before an empty clock has a time', async () => {
    // Prepare: the clock behind the transaction (it arrived late), and a clock that never moved
    const late = fakes([tx('T2', 20 * HOUR)], 12 * HOUR);
    const empty = fakes([tx('T3', 5 * HOUR)], -Infinity);

    // Act
    const onLate = await recordLabel('T2', 0, late.deps);
    const onEmpty = await recordLabel('T3', 0, empty.deps);

    // Assess
    expect(onLate).toEqual({ status: 'recorded', label: 0, knownAt: 20 * HOUR });
    expect(onEmpty).toEqual({ status: 'recorded', label: 0, knownAt: 5 * HOUR });
  });

  it('keeps the label a transaction arrived with, known at its time plus the delay', async () => {
    // Prepare
    const { deps, labels, fedBack } = fakes([tx('T4', 10 * HOUR, 1)], 30 * HOUR, 2 * HOUR);

    // Act
    const same = await recordLabel('T4', 1, deps);
    const other = await recordLabel('T4', 0, deps);

    // Assess: nothing stored or fed back (the arrival label is already in the features)
    expect(same).toEqual({ status: 'unchanged', label: 1, knownAt: 12 * HOUR });
    expect(other).toEqual({ status: 'conflict', label: 1, knownAt: 12 * HOUR });
    expect(labels.size).toBe(0);
    expect(fedBack).toEqual([]);
  });

  it('answers not_found for an unknown transaction and stores nothing', async () => {
    // Prepare
    const { deps, labels } = fakes([], 0);

    // Act
    const result = await recordLabel('NOPE', 1, deps);

    // Assess
    expect(result).toEqual({ status: 'not_found' });
    expect(labels.size).toBe(0);
  });

  it('does not feed back a label that lost to one stored concurrently', async () => {
    // Prepare: another writer stored legit between the lookup and this write
    const { deps, labels, fedBack } = fakes([tx('T5', HOUR)], 2 * HOUR);
    labels.set('T5', { label: 0, knownAt: 2 * HOUR });

    // Act
    const result = await recordLabel('T5', 1, deps);

    // Assess
    expect(result).toEqual({ status: 'conflict', label: 0, knownAt: 2 * HOUR });
    expect(fedBack).toEqual([]);
  });
});
