import { upperBound } from './search.js';
import type { Label, Transaction } from './transaction.js';

/** Windows over which known labels are counted (by the time the label became known). */
export const LABEL_WINDOWS = ['1d', '7d', '30d'] as const;
/** A label window name. */
export type LabelWindowName = (typeof LABEL_WINDOWS)[number];
const DAY = 86_400_000;
const LABEL_WINDOW_MS = [DAY, 7 * DAY, 30 * DAY] as const;

/** Entities that carry label history. */
export const LABEL_ENTITIES = ['account', 'card', 'terminal', 'merchant'] as const;
/** History slots per pending label: one per label entity. */
const SLOTS = LABEL_ENTITIES.length;
/** A label entity. */
export type LabelEntity = (typeof LABEL_ENTITIES)[number];

/** Known labels of one entity in one window: how many transactions, how many of them fraud. */
export interface LabelCounts {
  known: number;
  frauds: number;
}

/**
 * A label waiting for the time it becomes known, with the label histories of its entities
 * (looked up once, when it is scheduled, so releasing it needs no lookups).
 */
interface PendingLabel {
  knownAt: number;
  label: Label;
  histories: LabelHistory[];
}

/** Per entity: label events in order of the time they became known, with a running fraud count. */
export class LabelHistory {
  knownAt: number[] = [];
  /** Set when the feedback forgets this history (swept or cleared): whoever kept it must look it up again. */
  retired = false;
  /** prefix[i] = frauds among the first i events (after `base`). */
  prefix: number[] = [0];
  base = 0;
  /** Scheduled labels of this entity not yet known: while any, the history is kept even if empty. */
  pending = 0;

  add(knownAt: number, label: Label): void {
    const n = this.knownAt.length;
    if (n === this.base || (this.knownAt[n - 1] as number) <= knownAt) {
      this.knownAt.push(knownAt);
      this.prefix.push((this.prefix[n] as number) + label);
      return;
    }
    // Known earlier than labels already released (an out-of-order row, or `scheduleAt` in the
    // past): insert in order, or the binary searches in `counts` go wrong.
    // The cursors of `countsAll` stay valid: a label inserted before one of them is known before
    // that cursor's threshold, so it is counted by no window the cursor serves.
    const at = upperBound(this.knownAt, this.base, n, knownAt);
    this.knownAt.splice(at, 0, knownAt);
    this.prefix.splice(at + 1, 0, (this.prefix[at] as number) + label);
    for (let i = at + 2; i < this.prefix.length; i++) this.prefix[i] = (this.prefix[i] as number) + label;
  }

  /**
   * Where the last {@link countsAll} ended: its time, the end index and each window's start.
   * A later time moves them forward (rows of an entity mostly come in time order); an earlier one,
   * or a change of the arrays other than an append, searches again.
   */
  private cursorT = Number.NEGATIVE_INFINITY;
  private cursorHi = 0;
  private readonly cursorLo = [0, 0, 0];

  /** Writes [known, frauds] for every label window at `t` into `out` from `offset`. */
  countsAll(t: number, out: number[] | Float64Array, offset: number): void {
    const known = this.knownAt;
    const n = known.length;
    const lows = this.cursorLo;
    let hi: number;
    if (t >= this.cursorT) {
      // Every label before a cursor was at or before the threshold of the last call, so also of
      // this one: the ends found by scanning on are those a search from `base` would find.
      hi = this.cursorHi;
      while (hi < n && (known[hi] as number) <= t) hi++;
      for (let w = 0; w < LABEL_WINDOW_MS.length; w++) {
        const from = t - (LABEL_WINDOW_MS[w] as number);
        let lo = lows[w] as number;
        while (lo < hi && (known[lo] as number) <= from) lo++;
        lows[w] = lo;
      }
    } else {
      hi = upperBound(known, this.base, n, t);
      for (let w = 0; w < LABEL_WINDOW_MS.length; w++) lows[w] = upperBound(known, this.base, hi, t - (LABEL_WINDOW_MS[w] as number));
    }
    this.cursorT = t;
    this.cursorHi = hi;
    const fraudsToHi = this.prefix[hi] as number;
    for (let w = 0; w < LABEL_WINDOW_MS.length; w++) {
      const lo = lows[w] as number;
      out[offset + 2 * w] = hi - lo;
      out[offset + 2 * w + 1] = fraudsToHi - (this.prefix[lo] as number);
    }
  }

  /** Makes the next {@link countsAll} search from scratch (the arrays changed under the cursors). */
  private resetCursors(): void {
    this.cursorT = Number.NEGATIVE_INFINITY;
    this.cursorHi = this.base;
    this.cursorLo.fill(this.base);
  }

  /** Labels known in (t − w, t]. */
  counts(t: number, w: number): LabelCounts {
    const hi = upperBound(this.knownAt, this.base, this.knownAt.length, t);
    const lo = upperBound(this.knownAt, this.base, hi, t - w);
    return { known: hi - lo, frauds: (this.prefix[hi] as number) - (this.prefix[lo] as number) };
  }

  /** Forgets labels known before `horizon`, compacting now and then. */
  evict(horizon: number): void {
    let b = this.base;
    while (b < this.knownAt.length && (this.knownAt[b] as number) <= horizon) b++;
    this.base = b;
    // Cursors may now point below `base`, at labels forgotten.
    this.resetCursors();
    // Compact once the dead prefix outweighs the live labels (see EntityWindows.evict).
    if (b >= 16 && b * 2 > this.knownAt.length) {
      this.knownAt = this.knownAt.slice(b);
      this.prefix = this.prefix.slice(b);
      this.base = 0;
      this.resetCursors();
    }
  }
}

/** Options of {@link LabelFeedback}. */
export interface LabelFeedbackOptions {
  /**
   * How long after a transaction its outcome (fraud or legit) becomes known, e.g. after a
   * chargeback or an investigation. @default 7 days
   */
  delayMs?: number;
}

/**
 * Label feedback on event time: a labelled transaction at time t contributes to label features
 * only from t + delay on, so no feature ever uses a label that would not yet be known — and never
 * a transaction's own label (it is scheduled after the transaction is scored).
 *
 * Call {@link advance} with the newest event time before reading features at that time, read with
 * {@link counts}, then {@link schedule} the transaction's own label.
 */
export class LabelFeedback {
  readonly delayMs: number;
  private readonly queue = new PendingLabels();
  private readonly maps: Record<LabelEntity, Map<string, LabelHistory>> = {
    account: new Map(),
    card: new Map(),
    terminal: new Map(),
    merchant: new Map(),
  };
  private released = Number.NEGATIVE_INFINITY;
  private sinceSweep = 0;

  constructor(options: LabelFeedbackOptions = {}) {
    this.delayMs = options.delayMs ?? 7 * DAY;
    if (!(this.delayMs >= 0)) throw new RangeError('the label delay must be >= 0');
  }

  /** Makes every label known at or before `t` visible. */
  advance(t: number): void {
    // No early return when `t` is not new: a label scheduled since the last call may already be
    // due (delay 0, or an out-of-order row whose time + delay is behind the newest time).
    if (t > this.released) this.released = t;
    this.queue.release(t);
    if (++this.sinceSweep >= 50_000) this.sweep(this.released);
  }

  /** Labels of `entity` known in (t − window, t]. */
  counts(entity: LabelEntity, key: string | undefined, window: number, t: number): LabelCounts {
    if (key === undefined) return { known: 0, frauds: 0 };
    const h = this.maps[entity].get(key);
    return h ? h.counts(t, LABEL_WINDOW_MS[window] as number) : { known: 0, frauds: 0 };
  }

  /**
   * Writes the known-label counts of every entity and label window at the transaction's time into
   * `out` from `offset` (layout of the label part of a `Features` row), then schedules its own
   * label, so it never sees itself:
   * what feature windows call per transaction. `histories[e]` is the history of entity `e` of
   * {@link LABEL_ENTITIES}, undefined when the transaction has no such entity or it has none yet;
   * with a label, every entity the transaction has must have one (see {@link history}).
   */
  snapshotAndScheduleWith(
    tx: Transaction,
    histories: readonly (LabelHistory | undefined)[],
    out: Float64Array,
    offset: number,
  ): void {
    const t = tx.timestamp;
    for (let e = 0; e < LABEL_ENTITIES.length; e++) histories[e]?.countsAll(t, out, offset + e * LABEL_WINDOW_MS.length * 2);
    if (tx.label !== undefined) this.enqueue(t + this.delayMs, tx.label, histories);
  }

  /**
   * The label history of one entity (by index in {@link LABEL_ENTITIES}), or undefined when it has
   * none; with `create`, made when missing. For callers that keep it beside their own per-entity
   * state and skip the lookup next time: it stays valid until `retired`.
   */
  history(entity: number, key: string, create: boolean): LabelHistory | undefined {
    const m = this.maps[LABEL_ENTITIES[entity] as LabelEntity];
    let h = m.get(key);
    if (!h && create) {
      h = new LabelHistory();
      m.set(key, h);
    }
    return h;
  }

  /** Queues a transaction's label, to become known at its time + the delay. */
  schedule(tx: Transaction, label: Label | undefined = tx.label): void {
    if (label === undefined) return;
    this.enqueue(tx.timestamp + this.delayMs, label, this.historiesOf(tx));
  }

  /** Queues a label learned now (e.g. `POST /transactions/:id/label`), known from `knownAt`. */
  scheduleAt(tx: Transaction, label: Label, knownAt: number): void {
    this.enqueue(knownAt, label, this.historiesOf(tx));
  }

  /** Labels waiting to become known (for tests and memory accounting). */
  get pending(): number {
    return this.queue.size;
  }

  /** Forgets everything (before a replay). */
  clear(): void {
    this.queue.clear();
    for (const m of Object.values(this.maps)) {
      for (const h of m.values()) h.retired = true;
      m.clear();
    }
    this.released = Number.NEGATIVE_INFINITY;
  }

  /** The label histories of every entity of `tx`, created when missing. */
  private historiesOf(tx: Transaction): LabelHistory[] {
    const histories: LabelHistory[] = [];
    const keys = entityKeys(tx);
    for (let e = 0; e < LABEL_ENTITIES.length; e++) {
      const key = keys[e];
      if (key !== undefined) histories.push(this.history(e, key, true) as LabelHistory);
    }
    return histories;
  }

  /** Queues a label for the histories given (undefined ones skipped; at most one per label entity). */
  private enqueue(knownAt: number, label: Label, histories: readonly (LabelHistory | undefined)[]): void {
    for (const h of histories) if (h !== undefined) h.pending++;
    this.queue.push(knownAt, label, histories);
  }

  private sweep(t: number): void {
    this.sinceSweep = 0;
    const horizon = t - 2 * LABEL_WINDOW_MS[2];
    for (const m of Object.values(this.maps)) {
      for (const [key, h] of m) {
        h.evict(horizon);
        // A history with labels still pending stays: they are queued against this very object.
        if (h.base >= h.knownAt.length && h.pending === 0) {
          h.retired = true;
          m.delete(key);
        }
      }
    }
  }
}

/** The entity keys of a transaction, in {@link LABEL_ENTITIES} order. */
export function entityKeys(tx: Transaction): (string | undefined)[] {
  return [tx.accountId, tx.card?.token, tx.terminalId, tx.merchant];
}


/**
 * Labels waiting to become known, soonest first. With one delay and rows in time order, labels
 * are scheduled in the order they become known: those wait in a first-in first-out ring of
 * parallel arrays (time, label, one history slot per label entity), O(1) each and no object per
 * label. Only the out-of-order ones (late rows, labels posted with an earlier time) go to a binary
 * heap of objects. Labels known at the same time may come out in either order; the counts they
 * feed do not depend on it.
 */
class PendingLabels {
  private known = new Float64Array(1024);
  private labels = new Uint8Array(1024);
  /** `LABEL_ENTITIES.length` slots per ring entry. */
  private histories: (LabelHistory | undefined)[] = new Array<LabelHistory | undefined>(1024 * SLOTS).fill(undefined);
  /** Ring index of the oldest entry, and the number of entries. */
  private head = 0;
  private count = 0;
  private readonly heap: PendingLabel[] = [];

  get size(): number {
    return this.count + this.heap.length;
  }

  push(knownAt: number, label: Label, histories: readonly (LabelHistory | undefined)[]): void {
    const mask = this.known.length - 1;
    if (this.count === 0 || (this.known[(this.head + this.count - 1) & mask] as number) <= knownAt) {
      if (this.count === this.known.length) this.grow();
      const i = (this.head + this.count) & (this.known.length - 1);
      this.known[i] = knownAt;
      this.labels[i] = label;
      for (let e = 0; e < SLOTS; e++) this.histories[i * SLOTS + e] = histories[e];
      this.count++;
      return;
    }
    const own: LabelHistory[] = [];
    for (const h of histories) if (h !== undefined) own.push(h);
    pushHeap(this.heap, { knownAt, label, histories: own });
  }

  /** Adds every label known at or before `t` to its histories, soonest first. */
  release(t: number): void {
    const known = this.known;
    const mask = known.length - 1;
    for (;;) {
      const top = this.heap[0];
      if (this.count > 0) {
        const i = this.head;
        const k = known[i] as number;
        if (k <= t && (top === undefined || k <= top.knownAt)) {
          const label = this.labels[i] as Label;
          for (let e = i * SLOTS; e < i * SLOTS + SLOTS; e++) {
            const h = this.histories[e];
            if (h === undefined) continue;
            h.add(k, label);
            h.pending--;
            this.histories[e] = undefined;
          }
          this.head = (i + 1) & mask;
          this.count--;
          continue;
        }
      }
      if (top === undefined || top.knownAt > t) return;
      popHeap(this.heap);
      for (const h of top.histories) {
        h.add(top.knownAt, top.label);
        h.pending--;
      }
    }
  }

  clear(): void {
    this.histories.fill(undefined);
    this.head = 0;
    this.count = 0;
    this.heap.length = 0;
  }

  /** Doubles the ring, unrolling it to start at 0. */
  private grow(): void {
    const n = this.known.length;
    const known = new Float64Array(2 * n);
    const labels = new Uint8Array(2 * n);
    const histories = new Array<LabelHistory | undefined>(2 * n * SLOTS).fill(undefined);
    for (let j = 0; j < this.count; j++) {
      const i = (this.head + j) & (n - 1);
      known[j] = this.known[i] as number;
      labels[j] = this.labels[i] as number;
      for (let e = 0; e < SLOTS; e++) histories[j * SLOTS + e] = this.histories[i * SLOTS + e];
    }
    this.known = known;
    this.labels = labels;
    this.histories = histories;
    this.head = 0;
  }
}

function pushHeap(heap: PendingLabel[], item: PendingLabel): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as PendingLabel).knownAt <= item.knownAt) break;
    heap[i] = heap[parent] as PendingLabel;
    i = parent;
  }
  heap[i] = item;
}

function popHeap(heap: PendingLabel[]): PendingLabel {
  const top = heap[0] as PendingLabel;
  const last = heap.pop() as PendingLabel;
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && (heap[r] as PendingLabel).knownAt < (heap[l] as PendingLabel).knownAt ? r : l;
    if ((heap[c] as PendingLabel).knownAt >= last.knownAt) break;
    heap[i] = heap[c] as PendingLabel;
    i = c;
  }
  heap[i] = last;
  return top;
}
