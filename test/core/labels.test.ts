import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureWindows, labelCounts } from '../../src/core/features.js';
import {
  entityKeys,
  LABEL_ENTITIES,
  LABEL_WINDOWS,
  LabelFeedback,
  LabelHistory,
  type LabelEntity,
  type LabelWindowName,
} from '../../src/core/labels.js';
import type { Label, Transaction } from '../../src/core/transaction.js';
import { makeTx } from '../helpers/transactions.js';

const T = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WINDOW_MS: Record<LabelWindowName, number> = { '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY };

/** A transaction touching all four label entities. */
function tx(id: string, timestamp: number, label: Label | undefined, keys: Partial<Record<LabelEntity, string>> = {}): Transaction {
  return makeTx({
    transactionId: id,
    timestamp,
    accountId: keys.account ?? 'acc-1',
    card: { token: keys.card ?? 'card-1', masked: '411111******1111' },
    terminalId: keys.terminal ?? 'term-1',
    merchant: keys.merchant ?? 'merch-1',
    label,
  });
}

/**
 * One generated event: its time, the entities it touches and its label. Times are to the
 * millisecond. Most events step forward on an hour grid with a jitter of a millisecond either
 * way; some land at an earlier event's known time (its time + the delay), or that plus a label
 * window's length, give or take a millisecond, which is where a label visible 1 ms early or a
 * window edge 1 ms off shows. Either kind may fall behind the newest time (an out-of-order row).
 */
interface EventSpec {
  at:
    | { kind: 'step'; hours: number; backHours: number; jitterMs: number }
    | { kind: 'near'; of: number; window: number; offsetMs: number };
  account: number;
  card: number | null;
  terminal: number | null;
  merchant: number | null;
  label: Label | null;
}

/** A step forward on the hour grid, a millisecond either way; one in eight falls up to 2 days behind. */
const step = fc.record({
  kind: fc.constant('step' as const),
  hours: fc.integer({ min: 0, max: 96 }),
  backHours: fc.integer({ min: 0, max: 7 }).chain((n) => (n === 0 ? fc.integer({ min: 1, max: 48 }) : fc.constant(0))),
  jitterMs: fc.integer({ min: -1, max: 1 }),
});

/** An earlier event's known time, or that plus a label window, a millisecond either way. */
const near = fc.record({
  kind: fc.constant('near' as const),
  of: fc.nat(),
  window: fc.constantFrom(0, DAY, 7 * DAY, 30 * DAY),
  offsetMs: fc.integer({ min: -1, max: 1 }),
});

const eventSpec: fc.Arbitrary<EventSpec> = fc.record({
  at: fc.oneof({ weight: 3, arbitrary: step }, { weight: 1, arbitrary: near }),
  account: fc.integer({ min: 0, max: 2 }),
  card: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 5 }),
  terminal: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 5 }),
  merchant: fc.option(fc.integer({ min: 0, max: 1 }), { freq: 5 }),
  label: fc.option(fc.constantFrom<Label>(0, 1), { freq: 6 }),
});

/** A delay of 0 (often), 1 ms, or a whole number of hours up to 10 days give or take 2 ms. */
const delayMs = fc.oneof(
  fc.constant(0),
  fc.constant(1),
  fc.tuple(fc.integer({ min: 1, max: 240 }), fc.integer({ min: -2, max: 2 })).map(([h, ms]) => h * HOUR + ms),
);

function buildTransactions(specs: EventSpec[], delay: number): Transaction[] {
  let newest = T;
  const txs: Transaction[] = [];
  specs.forEach((s, i) => {
    let timestamp: number;
    if (s.at.kind === 'step') {
      newest += s.at.hours * HOUR;
      timestamp = newest - s.at.backHours * HOUR + s.at.jitterMs;
    } else {
      const earlier = txs[s.at.of % Math.max(1, i)];
      timestamp = (earlier?.timestamp ?? T) + delay + s.at.window + s.at.offsetMs;
      newest = Math.max(newest, timestamp);
    }
    txs.push(
      makeTx({
        transactionId: `tx-${i}`,
        timestamp,
        accountId: `acc-${s.account}`,
        ...(s.card !== null ? { card: { token: `card-${s.card}`, masked: 'x' } } : {}),
        ...(s.terminal !== null ? { terminalId: `term-${s.terminal}` } : {}),
        ...(s.merchant !== null ? { merchant: `merch-${s.merchant}` } : {}),
        ...(s.label !== null ? { label: s.label } : {}),
      }),
    );
  });
  return txs;
}

/**
 * Brute force, straight from the definition: among transactions processed before `txs[j]` that
 * share the entity key and carry a label, count those whose label is known (t + delay) by the
 * time of `txs[j]` and inside the window (T − w, T].
 */
function referenceCounts(
  txs: Transaction[],
  j: number,
  entity: LabelEntity,
  window: LabelWindowName,
  delay: number,
): { known: number; frauds: number } {
  const me = txs[j];
  if (!me) throw new RangeError(`no transaction ${j}`);
  const e = LABEL_ENTITIES.indexOf(entity);
  const key = entityKeys(me)[e];
  let known = 0;
  let frauds = 0;
  if (key === undefined) return { known, frauds };
  for (const other of txs.slice(0, j)) {
    if (other.label === undefined || entityKeys(other)[e] !== key) continue;
    const knownAt = other.timestamp + delay;
    if (knownAt <= me.timestamp && knownAt > me.timestamp - WINDOW_MS[window]) {
      known++;
      frauds += other.label;
    }
  }
  return { known, frauds };
}

describe('FeatureWindows with label feedback', () => {
  it('never counts a label before it is known, and counts every label that is (property)', () => {
    fc.assert(
      fc.property(fc.array(eventSpec, { minLength: 1, maxLength: 60 }), delayMs, (specs, delay) => {
        // Prepare
        const txs = buildTransactions(specs, delay);
        const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: delay }) });

        // Act
        const features = txs.map((t) => store.observe(t));

        // Assess
        features.forEach((f, j) => {
          for (const entity of LABEL_ENTITIES) {
            for (const window of LABEL_WINDOWS) {
              const expected = referenceCounts(txs, j, entity, window, delay);
              expect(labelCounts(f, entity, window), `tx ${j} ${entity} ${window} delay ${delay}`).toEqual(expected);
            }
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never counts a transaction its own label, even with no delay', () => {
    // Prepare
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: 0 }) });

    // Act
    const first = store.observe(tx('fraud-1', T, 1));
    const second = store.observe(tx('later', T, 0));

    // Assess: the fraud sees nothing; a later row at the same instant sees the fraud (known at T + 0).
    for (const entity of LABEL_ENTITIES) {
      expect(labelCounts(first, entity, '1d')).toEqual({ known: 0, frauds: 0 });
      expect(labelCounts(second, entity, '1d')).toEqual({ known: 1, frauds: 1 });
    }
  });

  it('sees a label exactly at time + delay, not a millisecond earlier', () => {
    // Prepare
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: 2 * DAY }) });
    store.observe(tx('fraud', T, 1));

    // Act
    const before = store.observe(tx('before', T + 2 * DAY - 1, 0));
    const at = store.observe(tx('at', T + 2 * DAY, 0));

    // Assess
    expect(labelCounts(before, 'terminal', '30d')).toEqual({ known: 0, frauds: 0 });
    expect(labelCounts(at, 'terminal', '30d')).toEqual({ known: 1, frauds: 1 });
  });

  it('windows labels by the time they became known, (T − w, T]', () => {
    // Prepare: a fraud known at T + 1d.
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    store.observe(tx('fraud', T, 1));

    // Act
    const inside = store.observe(tx('inside', T + 2 * DAY - 1, 0));
    const edge = store.observe(tx('edge', T + 2 * DAY, 0));

    // Assess: at T + 2d the 1-day window is (T + 1d, T + 2d], which excludes the label.
    expect(labelCounts(inside, 'card', '1d')).toEqual({ known: 1, frauds: 1 });
    expect(labelCounts(edge, 'card', '1d')).toEqual({ known: 0, frauds: 0 });
    expect(labelCounts(edge, 'card', '7d')).toEqual({ known: 1, frauds: 1 });
  });

  it('gives an out-of-order row only the labels known at its own time', () => {
    // Prepare: two labelled rows, then a row 10 days in the past on the same terminal.
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    store.observe(tx('old-fraud', T, 1));
    store.observe(tx('new-fraud', T + 20 * DAY, 1));

    // Act
    const late = store.observe(tx('late', T + 10 * DAY, 0));

    // Assess: the fraud known at T + 21d is not visible at T + 10d; the one known at T + 1d is.
    expect(labelCounts(late, 'terminal', '30d')).toEqual({ known: 1, frauds: 1 });
  });

  it('gives a late row 1 ms before a released label is known nothing of it, and the row at that instant all', () => {
    // Prepare: a fraud at T known at T + 1d is released by a row two days on.
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    store.observe(tx('fraud', T, 1));
    store.observe(tx('newer', T + 2 * DAY, 0));

    // Act: two rows behind the newest time, 1 ms before and at the label's known time.
    const early = store.observe(tx('late-early', T + DAY - 1, 0));
    const at = store.observe(tx('late-at', T + DAY, 0));

    // Assess
    expect(labelCounts(early, 'account', '1d')).toEqual({ known: 0, frauds: 0 });
    expect(labelCounts(at, 'account', '1d')).toEqual({ known: 1, frauds: 1 });
  });

  it('does not leak a future label into a late row after labels were released out of order', () => {
    // Prepare: A (known T + 11d) is released first; B, a late row, is known at T + 1d and released after it.
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    store.observe(tx('a', T + 10 * DAY, 1));
    store.observe(tx('c', T + 12 * DAY, 0));
    store.observe(tx('b', T, 0));
    store.observe(tx('d', T + 12 * DAY + 1, 0));

    // Act: a late row at T + 5d.
    const late = store.observe(tx('late', T + 5 * DAY, 0));

    // Assess: only B's label (known T + 1d) is known at T + 5d; A's fraud (known T + 11d) is not.
    expect(labelCounts(late, 'account', '30d')).toEqual({ known: 1, frauds: 0 });
  });

  it('sees labels scheduled after the feedback forgot the history the windows kept', () => {
    // Prepare: the account's history is kept on its windows, then the feedback forgets it.
    const feedback = new LabelFeedback({ delayMs: 0 });
    const store = new FeatureWindows({ labels: feedback });
    store.observe(tx('a', T, 1));
    feedback.clear();
    feedback.scheduleAt(tx('api', T + HOUR, undefined), 1, T + HOUR);

    // Act
    const next = store.observe(tx('b', T + 2 * HOUR, 0));

    // Assess: only the label posted after the reset counts, through the new history.
    expect(labelCounts(next, 'account', '1d')).toEqual({ known: 1, frauds: 1 });
  });

  it('sees labels of a history the feedback swept and made again while the windows kept the old one', () => {
    // Prepare: one labelled row on account acc-1, then 50,000 rows of other accounts two months
    // later, so the feedback's periodic sweep forgets acc-1's history (the windows keep theirs).
    const feedback = new LabelFeedback({ delayMs: 0 });
    const store = new FeatureWindows({ labels: feedback, latenessMs: 90 * DAY });
    store.observe(tx('a', T, 1));
    for (let i = 0; i < 50_000; i++) store.observe(makeTx({ transactionId: `o${i}`, accountId: `other-${i % 7}`, timestamp: T + 61 * DAY + i }));
    feedback.scheduleAt(tx('api', T + 62 * DAY, undefined), 1, T + 62 * DAY);

    // Act
    const next = store.observe(tx('b', T + 62 * DAY + HOUR, 0));

    // Assess
    expect(labelCounts(next, 'account', '1d')).toEqual({ known: 1, frauds: 1 });
  });

  it('reads zeros for features without label feedback', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(tx('fraud', T, 1));

    // Act
    const f = store.observe(tx('next', T + 30 * DAY, 0));

    // Assess
    expect(labelCounts(f, 'account', '30d')).toEqual({ known: 0, frauds: 0 });
  });
});

describe('LabelFeedback', () => {
  it('counts nothing for unknown or absent keys', () => {
    // Prepare
    const labels = new LabelFeedback({ delayMs: 0 });
    labels.schedule(tx('fraud', T, 1));
    labels.advance(T + DAY);

    // Act
    const unknown = labels.counts('terminal', 'never-seen', 2, T + DAY);
    const absent = labels.counts('merchant', undefined, 2, T + DAY);
    const seen = labels.counts('terminal', 'term-1', 2, T + DAY);

    // Assess
    expect(unknown).toEqual({ known: 0, frauds: 0 });
    expect(absent).toEqual({ known: 0, frauds: 0 });
    expect(seen).toEqual({ known: 1, frauds: 1 });
  });

  it('scheduleAt makes a label known from the given time, whatever the transaction time', () => {
    // Prepare: a label learned at T + 5h for a transaction at T (e.g. an analyst's verdict).
    const labels = new LabelFeedback({ delayMs: 30 * DAY });
    const t = tx('reported', T, undefined);
    labels.scheduleAt(t, 1, T + 5 * HOUR);

    // Act
    labels.advance(T + 5 * HOUR - 1);
    const early = labels.counts('account', 'acc-1', 0, T + 5 * HOUR - 1);
    labels.advance(T + 5 * HOUR);
    const known = labels.counts('account', 'acc-1', 0, T + 5 * HOUR);
    const dayLater1d = labels.counts('account', 'acc-1', 0, T + 5 * HOUR + DAY);
    const dayLater7d = labels.counts('account', 'acc-1', 1, T + 5 * HOUR + DAY);

    // Assess: the 30-day delay does not apply; the 1-day window (t − 1d, t] drops it after a day.
    expect(early).toEqual({ known: 0, frauds: 0 });
    expect(known).toEqual({ known: 1, frauds: 1 });
    expect(dayLater1d).toEqual({ known: 0, frauds: 0 });
    expect(dayLater7d).toEqual({ known: 1, frauds: 1 });
    expect(labels.pending).toBe(0);
  });

  it('keeps known-time order when a label learned later was known earlier', () => {
    // Prepare: a label known at T + 3d is released first, then one known at T + 1d is scheduled.
    const labels = new LabelFeedback({ delayMs: 0 });
    labels.scheduleAt(tx('a', T, undefined), 0, T + 3 * DAY);
    labels.advance(T + 3 * DAY);
    labels.scheduleAt(tx('b', T, undefined), 1, T + DAY);

    // Act
    labels.advance(T + 3 * DAY);
    const at2d = labels.counts('terminal', 'term-1', 2, T + 2 * DAY);
    const at3d = labels.counts('terminal', 'term-1', 2, T + 3 * DAY);

    // Assess
    expect(at2d).toEqual({ known: 1, frauds: 1 });
    expect(at3d).toEqual({ known: 2, frauds: 1 });
  });

  it('releases labels scheduled in and out of known-time order each at its own time', () => {
    // Prepare: in order (T + 10h, T + 20h), then one known earlier than both (T + 5h)
    const labels = new LabelFeedback({ delayMs: 0 });
    labels.scheduleAt(tx('a', T, undefined), 1, T + 10 * HOUR);
    labels.scheduleAt(tx('c', T, undefined), 0, T + 20 * HOUR);
    labels.scheduleAt(tx('b', T, undefined), 1, T + 5 * HOUR);
    const seen = (t: number): number => {
      labels.advance(t);
      return labels.counts('account', 'acc-1', 2, t).known;
    };

    // Act
    const counts = [seen(T + 4 * HOUR), seen(T + 5 * HOUR), seen(T + 19 * HOUR), seen(T + 20 * HOUR)];

    // Assess
    expect(counts).toEqual([0, 1, 2, 3]);
    expect(labels.pending).toBe(0);
  });

  it('keeps a label pending across sweeps of its entity, which are idle for months meanwhile', () => {
    // Prepare: a label on term-old known only after 90 days of other traffic (sweeps run every
    // 50,000 advances and drop entities whose labels are all older than 60 days)
    const labels = new LabelFeedback({ delayMs: 0 });
    labels.schedule(tx('old', T, 1, { terminal: 'term-old' }));
    labels.advance(T);
    labels.scheduleAt(tx('late', T, undefined, { terminal: 'term-old' }), 1, T + 90 * DAY);

    // Act
    for (let i = 0; i < 100_000; i++) labels.advance(T + (i * 90 * DAY) / 100_000);
    labels.advance(T + 90 * DAY);

    // Assess
    expect(labels.counts('terminal', 'term-old', 0, T + 90 * DAY)).toEqual({ known: 1, frauds: 1 });
  });

  it('ignores a transaction without a label and rejects a negative delay', () => {
    // Prepare
    const labels = new LabelFeedback();

    // Act
    labels.schedule(tx('unlabelled', T, undefined));

    // Assess
    expect(labels.pending).toBe(0);
    expect(labels.delayMs).toBe(7 * DAY);
    expect(() => new LabelFeedback({ delayMs: -1 })).toThrow(RangeError);
    expect(() => new LabelFeedback({ delayMs: Number.NaN })).toThrow(/label delay/);
  });

  it('forgets everything on clear', () => {
    // Prepare
    const labels = new LabelFeedback({ delayMs: 0 });
    labels.schedule(tx('fraud', T, 1));
    labels.schedule(tx('pending', T + DAY, 1));
    labels.advance(T);

    // Act
    labels.clear();
    const pendingAfterClear = labels.pending;
    labels.advance(T + DAY);

    // Assess: the label still pending is dropped at once, not released later
    expect(pendingAfterClear).toBe(0);
    expect(labels.pending).toBe(0);
    expect(labels.counts('account', 'acc-1', 2, T + DAY)).toEqual({ known: 0, frauds: 0 });
  });

  it('schedule makes a label known its delay after the transaction', () => {
    // Prepare
    const labels = new LabelFeedback({ delayMs: DAY });
    labels.schedule(tx('fraud', T, 1));

    // Act
    labels.advance(T + DAY - 1);
    const before = labels.counts('account', 'acc-1', 0, T + DAY - 1);
    labels.advance(T + DAY);
    const at = labels.counts('account', 'acc-1', 0, T + DAY);

    // Assess
    expect(before).toEqual({ known: 0, frauds: 0 });
    expect(at).toEqual({ known: 1, frauds: 1 });
  });
});

describe('LabelFeedback against a brute-force model', () => {
  /**
   * What the feedback must answer: every label scheduled, whether an advance has passed its time
   * (it is no longer pending), and the newest time advanced to: a read counts the labels known by
   * its time and by that newest time.
   */
  class Reference {
    readonly labels: { key: string; knownAt: number; label: Label; released: boolean }[] = [];
    private newest = Number.NEGATIVE_INFINITY;
    schedule(key: string, knownAt: number, label: Label): void {
      this.labels.push({ key, knownAt, label, released: false });
    }
    advance(t: number): void {
      this.newest = Math.max(this.newest, t);
      for (const l of this.labels) if (l.knownAt <= t) l.released = true;
    }
    /** With `knownBy` +Infinity: what a label history answers, which holds every label scheduled. */
    counts(key: string, window: number, t: number, knownBy = this.newest): { known: number; frauds: number } {
      const w = [DAY, 7 * DAY, 30 * DAY][window] as number;
      const by = Math.min(t, knownBy);
      const inWindow = this.labels.filter((l) => l.key === key && l.knownAt > t - w && l.knownAt <= by);
      return { known: inWindow.length, frauds: inWindow.filter((l) => l.label === 1).length };
    }
    get pending(): number {
      return this.labels.filter((l) => !l.released).length;
    }
  }

  const op = fc.oneof(
    fc.record({ kind: fc.constant('schedule' as const), key: fc.nat(2), at: fc.nat(40 * 24), label: fc.constantFrom<Label>(0, 1) }),
    fc.record({ kind: fc.constant('advance' as const), at: fc.nat(40 * 24) }),
    fc.record({ kind: fc.constant('query' as const), key: fc.nat(2), at: fc.nat(80 * 24), window: fc.nat(2) }),
  );

  it('counts exactly the labels known in (t − w, t] by the newest time advanced to, whatever order labels are scheduled and advanced past in', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        // Prepare
        const labels = new LabelFeedback({ delayMs: 0 });
        const reference = new Reference();

        // Act / Assess: after every step, every key and window as the model says
        for (const o of ops) {
          const at = T + o.at * HOUR;
          if (o.kind === 'schedule') {
            labels.scheduleAt(tx(`t${o.key}`, T, undefined, { account: `a${o.key}` }), o.label, at);
            reference.schedule(`a${o.key}`, at, o.label);
          } else if (o.kind === 'advance') {
            labels.advance(at);
            reference.advance(at);
          } else {
            expect(labels.counts('account', `a${o.key}`, o.window, at)).toEqual(reference.counts(`a${o.key}`, o.window, at));
            // All windows at once, as feature windows read them: cursors kept from the last read
            // at an earlier time, searched again at a later one.
            const all = new Float64Array(6);
            labels.history(0, `a${o.key}`, false)?.countsAll(at, all, 0);
            const expected = [0, 1, 2].flatMap((w) => {
              const c = reference.counts(`a${o.key}`, w, at, Number.POSITIVE_INFINITY);
              return [c.known, c.frauds];
            });
            expect([...all]).toEqual(expected);
          }
          expect(labels.pending).toBe(reference.pending);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact over thousands of labels mostly in order, some out of order, and sweeps what no window can reach', () => {
    // Prepare: 3,000 labels on two keys, known 10 days after their row, one in four earlier than
    // that (anywhere up to 10 days on): pending labels out of order, some due and some not at each step
    const labels = new LabelFeedback({ delayMs: 0 });
    const reference = new Reference();
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let now = T;
    for (let i = 0; i < 3000; i++) {
      now += Math.floor(rand() * 2 * HOUR);
      const knownAt = rand() < 0.25 ? now + Math.floor(rand() * 10 * DAY) : now + 10 * DAY;
      const key = rand() < 0.8 ? 'a0' : 'a1';
      const label: Label = rand() < 0.3 ? 1 : 0;
      labels.scheduleAt(tx(`t${i}`, T, undefined, { account: key }), label, knownAt + 3 * HOUR);
      reference.schedule(key, knownAt + 3 * HOUR, label);
      if (i % 7 === 0) {
        labels.advance(now);
        reference.advance(now);
        for (const window of [0, 1, 2]) {
          expect(labels.counts('account', 'a0', window, now)).toEqual(reference.counts('a0', window, now));
          expect(labels.counts('account', 'a1', window, now - 5 * DAY)).toEqual(reference.counts('a1', window, now - 5 * DAY));
        }
      }
      expect(labels.pending).toBe(reference.pending);
    }
    // A label still pending far ahead keeps its history through the sweep.
    labels.scheduleAt(tx('later', T, undefined, { account: 'a2' }), 1, now + 200 * DAY);
    const kept = labels.history(0, 'a2', false);
    // A label known shortly before the sweep stays counted after it.
    labels.scheduleAt(tx('recent', T, undefined, { account: 'a3' }), 1, now + 95 * DAY);

    // Act: enough events for a sweep, 100 days on: every label released is beyond every window
    for (let i = 0; i < 50_000; i++) labels.advance(now + 100 * DAY);

    // Assess: released histories are forgotten (and marked so), the pending one stays and counts
    expect(labels.history(0, 'a0', false)).toBeUndefined();
    expect(labels.history(0, 'a1', false)).toBeUndefined();
    expect(labels.counts('account', 'a0', 2, now + 100 * DAY)).toEqual({ known: 0, frauds: 0 });
    expect(labels.counts('account', 'a3', 2, now + 100 * DAY)).toEqual({ known: 1, frauds: 1 });
    expect(labels.history(0, 'a2', false)).toBe(kept);
    expect(kept?.retired).toBe(false);
    labels.advance(now + 200 * DAY);
    expect(labels.counts('account', 'a2', 0, now + 200 * DAY)).toEqual({ known: 1, frauds: 1 });
    expect(labels.pending).toBe(0);
  });
  it('keeps every pending label when more than 1,024 wait at once, the ring wrapped when it grows', () => {
    // Prepare: labels known a minute apart, in order (the ring, not the heap), each on all four
    // entities with keys that cycle at different rates, one in three a fraud. Releasing some
    // before each growth moves the ring's head, so it has wrapped when it doubles.
    const MINUTE = 60_000;
    const labels = new LabelFeedback({ delayMs: 0 });
    const reference = new Reference();
    const keysOf = (i: number): Record<LabelEntity, string> => ({
      account: `a${i % 3}`,
      card: `c${i % 2}`,
      terminal: `t${i % 5}`,
      merchant: `m${i % 7}`,
    });
    let scheduled = 0;
    const schedule = (n: number): void => {
      for (const end = scheduled + n; scheduled < end; scheduled++) {
        const keys = keysOf(scheduled);
        const label: Label = scheduled % 3 === 0 ? 1 : 0;
        const knownAt = T + scheduled * MINUTE;
        labels.scheduleAt(tx(`t${scheduled}`, T, undefined, keys), label, knownAt);
        for (const entity of LABEL_ENTITIES) reference.schedule(`${entity}:${keys[entity]}`, knownAt, label);
      }
    };
    /** Releases every label known by the time of label `i`, then checks every key of every entity in every window. */
    const advanceAndCheck = (i: number): void => {
      const at = T + i * MINUTE;
      labels.advance(at);
      reference.advance(at);
      expect(labels.pending).toBe(reference.pending / LABEL_ENTITIES.length);
      for (const entity of LABEL_ENTITIES) {
        const keys = new Set(Array.from({ length: 7 }, (_, k) => keysOf(k)[entity]));
        for (const key of keys) {
          for (const window of [0, 1, 2]) {
            expect(labels.counts(entity, key, window, at), `${entity} ${key} window ${window}`).toEqual(
              reference.counts(`${entity}:${key}`, window, at),
            );
          }
        }
      }
    };

    // Act / Assess: 300 released, then 1,700 more pending (the ring of 1,024 grows with its head
    // at 300); 500 more released, then 600 more pending (2,100: it grows again, head at 500)
    schedule(600);
    advanceAndCheck(299);
    schedule(1700);
    expect(labels.pending).toBe(2000);
    advanceAndCheck(799);
    schedule(600);
    expect(labels.pending).toBe(2100);
    // Every label comes out at its own time, soonest first, on every entity it touches.
    for (let i = 800; i < scheduled + 100; i += 97) advanceAndCheck(i);
    expect(labels.pending).toBe(0);
  });
});

describe('LabelHistory.countsAll', () => {
  const D = 86_400_000;
  /** [known, frauds] per window (1d, 7d, 30d) at `t`. */
  function read(h: LabelHistory, t: number): number[] {
    const out = new Float64Array(6);
    h.countsAll(t, out, 0);
    return [...out];
  }

  it('reads an earlier time after a later one as if it were the first read', () => {
    // Prepare: labels known on days 1 to 5, frauds on days 2 and 4
    const h = new LabelHistory();
    for (let d = 1; d <= 5; d++) h.add(d * D, d % 2 === 0 ? 1 : 0);

    // Act / Assess: a read at day 5 leaves cursors past days 1–5; a read 1 ms before day 3 must
    // not count day 3, 4 or 5, and one back at day 5 counts them again
    expect(read(h, 5 * D)).toEqual([1, 0, 5, 2, 5, 2]);
    expect(read(h, 3 * D - 1)).toEqual([1, 1, 2, 1, 2, 1]);
    expect(read(h, 5 * D)).toEqual([1, 0, 5, 2, 5, 2]);
  });

  it('counts labels appended and inserted out of order since the last read', () => {
    const h = new LabelHistory();
    h.add(10 * D, 0);
    expect(read(h, 10 * D)).toEqual([1, 0, 1, 0, 1, 0]);
    h.add(11 * D, 1);
    h.add(10.5 * D, 1);
    h.add(2 * D, 1);
    expect(read(h, 11 * D)).toEqual([2, 2, 3, 2, 4, 3]);
    expect(read(h, 31 * D)).toEqual([0, 0, 0, 0, 4, 3]);
  });

  it('does not count labels evicted since the last read', () => {
    // Prepare: labels on days 1, 2 and 3, read at day 3 (the 30-day window's cursor at day 1)
    const h = new LabelHistory();
    for (let d = 1; d <= 3; d++) h.add(d * D, 1);
    expect(read(h, 3 * D)).toEqual([1, 1, 3, 3, 3, 3]);

    // Act: forget days 1 and 2
    h.evict(2 * D);

    // Assess: the same read counts only day 3
    expect(read(h, 3 * D)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('moves a label out of a window it entered after every earlier label had left that window', () => {
    // Prepare: a label on day 1, read on day 10 (it has left the 1- and 7-day windows)
    const h = new LabelHistory();
    h.add(1 * D, 1);
    expect(read(h, 10 * D)).toEqual([0, 0, 0, 0, 1, 1]);

    // Act: a label on day 11, read then and once it has left the 7-day window
    h.add(11 * D, 0);

    // Assess
    expect(read(h, 11 * D)).toEqual([1, 0, 1, 0, 2, 1]);
    expect(read(h, 19 * D)).toEqual([0, 0, 0, 0, 2, 1]);
  });

  it('keeps reading forward after a compaction that forgot only labels outside every window', () => {
    // Prepare: a label a day on days 1 to 100 (frauds on even days), read on day 100
    const h = new LabelHistory();
    for (let d = 1; d <= 100; d++) h.add(d * D, d % 2 === 0 ? 1 : 0);
    expect(read(h, 100 * D)).toEqual([1, 1, 7, 4, 30, 15]);

    // Act: forget days 1 to 60 (more than half: the history compacts), then one more label
    h.evict(60 * D);
    h.add(101 * D, 1);

    // Assess: days 95–101 and 72–101
    expect(read(h, 101 * D)).toEqual([1, 1, 7, 4, 30, 16]);
  });

  it('keeps every label through a compaction that leaves it far more room than it needs', () => {
    // Prepare: a label a day on days 1 to 100 (frauds on even days)
    const h = new LabelHistory();
    for (let d = 1; d <= 100; d++) h.add(d * D, d % 2 === 0 ? 1 : 0);

    // Act: forget days 1 to 90 (ten labels left, of room for far more), then two more labels
    h.evict(90 * D);
    const left = h.size;
    h.add(101 * D, 1);
    h.add(102 * D, 0);

    // Assess: days 91–100 kept, then days 96–102 and 73–102 (of which 91–102 are kept)
    expect(left).toBe(10);
    expect(h.size).toBe(12);
    expect(read(h, 102 * D)).toEqual([1, 0, 7, 4, 12, 6]);
  });

  it('matches a brute-force count through appends, inserts, evictions and compactions, reads mostly forward (property)', () => {
    const windows = [D, 7 * D, 30 * D];
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('add' as const), dt: fc.integer({ min: -3 * D, max: D }), label: fc.constantFrom<Label>(0, 1) }), weight: 6 },
      { arbitrary: fc.record({ kind: fc.constant('read' as const), dt: fc.integer({ min: -40 * D, max: 2 * D }) }), weight: 4 },
      { arbitrary: fc.record({ kind: fc.constant('evict' as const), dt: fc.integer({ min: -90 * D, max: 0 }) }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const h = new LabelHistory();
        let kept: { knownAt: number; label: Label }[] = [];
        let now = 100 * D;
        for (const o of ops) {
          if (o.kind === 'add') {
            // Mostly known after the newest label (appended), sometimes before it (inserted)
            now = Math.max(now, now + o.dt);
            const knownAt = o.dt < 0 ? now + o.dt : now;
            h.add(knownAt, o.label);
            kept.push({ knownAt, label: o.label });
          } else if (o.kind === 'evict') {
            const horizon = now + o.dt;
            h.evict(horizon);
            // Eviction forgets the labels known at or before the horizon that come first in known-time order
            const sorted = [...kept].sort((a, b) => a.knownAt - b.knownAt);
            let cut = 0;
            while (cut < sorted.length && (sorted[cut] as { knownAt: number }).knownAt <= horizon) cut++;
            kept = sorted.slice(cut);
          } else {
            const t = now + o.dt;
            const expected = windows.flatMap((w) => {
              const inside = kept.filter((l) => l.knownAt > t - w && l.knownAt <= t);
              return [inside.length, inside.filter((l) => l.label === 1).length];
            });
            if (JSON.stringify(read(h, t)) !== JSON.stringify(expected)) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
