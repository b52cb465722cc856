import { BlockPool } from './blockPool.js';
import type { Label, Transaction } from './transaction.js';

/** Windows over which known labels are counted (by the time the label became known). */
export const LABEL_WINDOWS = ['1d', '7d', '30d'] as const;
/** A label window name. */
export type LabelWindowName = (typeof LABEL_WINDOWS)[number];
const DAY = 86_400_000;
const LABEL_WINDOW_MS = [DAY, 7 * DAY, 30 * DAY] as const;
/** The three label windows by name, for the cursor's unrolled fields. */
const [W1D, W7D, W30D] = LABEL_WINDOW_MS;

/** Entities that carry label history. */
export const LABEL_ENTITIES = ['account', 'card', 'terminal', 'merchant'] as const;
/** A label entity. */
export type LabelEntity = (typeof LABEL_ENTITIES)[number];

/** Known labels of one entity in one window: how many transactions, how many of them fraud. */
export interface LabelCounts {
  known: number;
  frauds: number;
}

/** The labels of a history that has none yet (shared: nothing is written to it). */
const NO_LABELS = new Float64Array(0);

/**
 * Per entity: its labels in order of the time they become known (those still to become known
 * included), with a running fraud count, and a read cursor kept in the object itself (see
 * {@link countsAll}).
 */
export class LabelHistory {
  /**
   * `[knownAt, frauds]` per label, in knownAt order, from `ev[at]` on: `frauds` counts the frauds
   * among this label and every one before it. Absolute (only differences are read), so compaction
   * keeps them. Labels before `base` are forgotten; `len` numbers are in use of the `cap` at pool
   * address `addr`. `ev` is the pool's chunk itself, shared by the histories in it: a read goes
   * from this object to the labels with no view object per history between them. Doubled as it
   * fills and compacted in place, outside the JavaScript heap: a plain array, reallocated as it
   * grew and copied when compacted, kept the young generation's collections copying and promoting
   * label histories (most of what a labelled run promoted), and an array buffer each would be
   * external memory V8 answers with full collections.
   */
  private ev: Float64Array = NO_LABELS;
  private at = 0;
  private len = 0;
  private cap = 0;
  private addr = 0;
  /** Frauds among the labels compacted away (before the first pair of `ev`). */
  private cum0 = 0;
  /** Index of the first label not forgotten. */
  private base = 0;
  /** Set when the feedback forgets this history (swept or cleared): whoever kept it must look it up again. */
  retired = false;

  // The cursor of countsAll. At time `cursorT`: `hi` is the first label known after it (`nextHi`
  // its time, +Infinity when there is none) and `cumHi` the frauds before `hi`; per label window
  // w, `lo_w` is the first label known after `cursorT − w` (`head_w` its time) and `cumLo_w` the
  // frauds before it. Fields, not arrays: a read at which no label enters or leaves a window
  // touches nothing but this object. `stale` makes the next read search from scratch (the labels
  // changed other than by an append at the end).
  private cursorT = Number.NEGATIVE_INFINITY;
  private stale = false;
  private hi = 0;
  private nextHi = Number.POSITIVE_INFINITY;
  private cumHi = 0;
  private lo0 = 0;
  private lo1 = 0;
  private lo2 = 0;
  private head0 = Number.POSITIVE_INFINITY;
  private head1 = Number.POSITIVE_INFINITY;
  private head2 = Number.POSITIVE_INFINITY;
  private cumLo0 = 0;
  private cumLo1 = 0;
  private cumLo2 = 0;

  /**
   * @param pool where the labels' room comes from: the feedback's, shared by all its histories
   *   (by default one of this history's own, with small chunks).
   */
  constructor(private readonly pool: BlockPool = new BlockPool(10, 3)) {}

  /** Labels not forgotten. */
  get size(): number {
    return (this.len >> 1) - this.base;
  }

  add(knownAt: number, label: Label): void {
    const len = this.len;
    if (len + 2 > this.cap) this.moveTo(Math.max(8, 2 * this.cap));
    const ev = this.ev;
    const o = this.at;
    const n = len >> 1;
    if (n === this.base || (ev[o + 2 * n - 2] as number) <= knownAt) {
      ev[o + len] = knownAt;
      ev[o + len + 1] = this.fraudsBefore(n) + label;
      this.len = len + 2;
      // The cursors that stood at the end now stand on this label.
      if (this.hi === n) this.nextHi = knownAt;
      if (this.lo0 === n) this.head0 = knownAt;
      if (this.lo1 === n) this.head1 = knownAt;
      if (this.lo2 === n) this.head2 = knownAt;
      return;
    }
    // Known earlier than labels already released (an out-of-order row, or `scheduleAt` in the
    // past): insert in order, or the searches go wrong; the cursor searches again.
    const k = this.upperBound(this.base, n, knownAt);
    const frauds = this.fraudsBefore(k) + label;
    ev.copyWithin(o + 2 * k + 2, o + 2 * k, o + len);
    ev[o + 2 * k] = knownAt;
    ev[o + 2 * k + 1] = frauds;
    this.len = len + 2;
    for (let i = o + 2 * k + 3; i < o + len + 2; i += 2) ev[i] = (ev[i] as number) + label;
    this.stale = true;
  }

  /** Gives the labels' room back to the pool: the history is forgotten, nothing reads it again. */
  release(): void {
    if (this.cap > 0) this.pool.freeAt(this.addr, this.cap);
    this.ev = NO_LABELS;
    this.at = 0;
    this.cap = 0;
    this.len = 0;
    this.base = 0;
  }

  /**
   * Moves the labels from number `from` on into a block of `room` numbers: twice the room when
   * full (four labels at first), half when compaction leaves a quarter in use.
   */
  private moveTo(room: number, from = 0): void {
    const pool = this.pool;
    const addr = pool.allocAt(room);
    const chunk = pool.chunk(addr);
    const at = pool.offset(addr);
    chunk.set(this.ev.subarray(this.at + from, this.at + this.len), at);
    if (this.cap > 0) pool.freeAt(this.addr, this.cap);
    this.ev = chunk;
    this.at = at;
    this.cap = pool.sizeOf(room);
    this.addr = addr;
  }

  /**
   * Writes [known, frauds] for every label window at `t` into `out` from `offset`. A later time
   * than the last read moves the cursor forward over the labels that entered or left a window
   * (rows of an entity mostly come in time order); an earlier one searches.
   */
  countsAll(t: number, out: number[] | Float64Array, offset: number): void {
    if (t < this.cursorT || this.stale) this.seek(t);
    else {
      if (this.nextHi <= t) this.moveHi(t);
      let from = t - W1D;
      if (this.head0 <= from) {
        const lo = this.skip(this.lo0, from);
        this.lo0 = lo;
        this.head0 = this.timeAt(lo);
        this.cumLo0 = this.fraudsBefore(lo);
      }
      from = t - W7D;
      if (this.head1 <= from) {
        const lo = this.skip(this.lo1, from);
        this.lo1 = lo;
        this.head1 = this.timeAt(lo);
        this.cumLo1 = this.fraudsBefore(lo);
      }
      from = t - W30D;
      if (this.head2 <= from) {
        const lo = this.skip(this.lo2, from);
        this.lo2 = lo;
        this.head2 = this.timeAt(lo);
        this.cumLo2 = this.fraudsBefore(lo);
      }
      this.cursorT = t;
    }
    const hi = this.hi;
    const cumHi = this.cumHi;
    out[offset] = hi - this.lo0;
    out[offset + 1] = cumHi - this.cumLo0;
    out[offset + 2] = hi - this.lo1;
    out[offset + 3] = cumHi - this.cumLo1;
    out[offset + 4] = hi - this.lo2;
    out[offset + 5] = cumHi - this.cumLo2;
  }

  /** Labels known in (t − w, t], and by `knownBy` (labels known later are not counted). */
  counts(t: number, w: number, knownBy = t): LabelCounts {
    const hi = this.upperBound(this.base, this.len >> 1, Math.min(t, knownBy));
    const lo = this.upperBound(this.base, hi, t - w);
    return { known: hi - lo, frauds: this.fraudsBefore(hi) - this.fraudsBefore(lo) };
  }

  /** Forgets labels known before `horizon`, compacting now and then. */
  evict(horizon: number): void {
    const ev = this.ev;
    const o = this.at;
    const n = this.len >> 1;
    let b = this.base;
    while (b < n && (ev[o + 2 * b] as number) <= horizon) b++;
    this.base = b;
    // A cursor standing on a label now forgotten (lo2 is the lowest of its indices) searches again.
    if (this.lo2 < b) this.stale = true;
    // Compact once the dead prefix outweighs the live labels (see EntityWindows.evict); the
    // cursor's indices move with the labels, its fraud counts are absolute.
    if (b >= 16 && b * 2 > n) {
      this.cum0 = this.fraudsBefore(b);
      // In place, or into half the room once a quarter of it is in use.
      const len = this.len - 2 * b;
      if (len === 0) this.release();
      else if (4 * len <= this.cap && this.cap > 8) this.moveTo(this.cap >> 1, 2 * b);
      else ev.copyWithin(o, o + 2 * b, o + this.len);
      this.len = len;
      this.base = 0;
      this.hi -= b;
      this.lo0 -= b;
      this.lo1 -= b;
      this.lo2 -= b;
    }
  }

  /** Frauds among the labels before index `i`. */
  private fraudsBefore(i: number): number {
    return i === 0 ? this.cum0 : (this.ev[this.at + 2 * i - 1] as number);
  }

  /** Time of label `i`, +Infinity past the last. */
  private timeAt(i: number): number {
    return 2 * i < this.len ? (this.ev[this.at + 2 * i] as number) : Number.POSITIVE_INFINITY;
  }

  /** Moves `hi` over the labels known by `t`. */
  private moveHi(t: number): void {
    const ev = this.ev;
    const o = this.at;
    const n = this.len >> 1;
    let hi = this.hi;
    while (hi < n && (ev[o + 2 * hi] as number) <= t) hi++;
    this.hi = hi;
    this.nextHi = this.timeAt(hi);
    this.cumHi = this.fraudsBefore(hi);
  }

  /** The first index from `lo` (at most `hi`) of a label known after `from`. */
  private skip(lo: number, from: number): number {
    const ev = this.ev;
    const o = this.at;
    const hi = this.hi;
    while (lo < hi && (ev[o + 2 * lo] as number) <= from) lo++;
    return lo;
  }

  /** Places the cursor at `t` by binary search. */
  private seek(t: number): void {
    const hi = this.upperBound(this.base, this.len >> 1, t);
    this.hi = hi;
    this.nextHi = this.timeAt(hi);
    this.cumHi = this.fraudsBefore(hi);
    let lo = this.upperBound(this.base, hi, t - W1D);
    this.lo0 = lo;
    this.head0 = this.timeAt(lo);
    this.cumLo0 = this.fraudsBefore(lo);
    lo = this.upperBound(this.base, hi, t - W7D);
    this.lo1 = lo;
    this.head1 = this.timeAt(lo);
    this.cumLo1 = this.fraudsBefore(lo);
    lo = this.upperBound(this.base, hi, t - W30D);
    this.lo2 = lo;
    this.head2 = this.timeAt(lo);
    this.cumLo2 = this.fraudsBefore(lo);
    this.cursorT = t;
    this.stale = false;
  }

  /** First index in `[l, r)` of a label known after `t`. */
  private upperBound(l: number, r: number, t: number): number {
    const ev = this.ev;
    const o = this.at;
    while (l < r) {
      const mid = (l + r) >>> 1;
      if ((ev[o + 2 * mid] as number) <= t) l = mid + 1;
      else r = mid;
    }
    return l;
  }
}

/** Options of {@link LabelFeedback}. */
export interface LabelFeedbackOptions {
  /**
   * How long after a transaction its outcome (fraud or legit) becomes known, e.g. after a
   * chargeback or an investigation. @default 7 days
   */
  delayMs?: number;
  /**
   * Numbers per chunk of the pool the label histories keep their labels in, as a power of two:
   * small, as a store built per request or queue message holds a few labels, and a long run's
   * histories take a chunk every 128 KiB of labels either way.
   * @default 14 (128 KiB)
   */
  poolChunkOrder?: number;
}

/**
 * Label feedback on event time: a labelled transaction at time t contributes to label features
 * only from t + delay on, so no feature ever uses a label that would not yet be known — and never
 * a transaction's own label (it is scheduled after the transaction is scored).
 *
 * Call {@link advance} with the newest event time before reading features at that time, read with
 * {@link counts}, then {@link schedule} the transaction's own label.
 *
 * A label goes into its entities' histories when it is scheduled, with the time it becomes known:
 * a read at time t counts only labels known by t, and reads come at or before the newest time
 * advanced to, so no label is ever read early. Scheduling touches the histories the transaction
 * has just read, where releasing each label when it becomes known would touch them again days
 * later, out of every cache.
 */
export class LabelFeedback {
  readonly delayMs: number;
  /** When the labels not yet known become known (only counted, for {@link pending}). */
  private readonly queue = new PendingTimes();
  /** Where the histories keep their labels; a new one after {@link clear}. */
  private pool: BlockPool;
  private readonly poolChunkOrder: number;
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
    this.poolChunkOrder = options.poolChunkOrder ?? 14;
    this.pool = new BlockPool(this.poolChunkOrder, 3);
  }

  /** Makes every label known at or before `t` visible. */
  advance(t: number): void {
    if (t > this.released) this.released = t;
    this.queue.release(t);
    if (++this.sinceSweep >= 50_000) this.sweep(this.released);
  }

  /** Labels of `entity` known in (t − window, t], among those visible (see {@link advance}). */
  counts(entity: LabelEntity, key: string | undefined, window: number, t: number): LabelCounts {
    if (key === undefined) return { known: 0, frauds: 0 };
    const h = this.maps[entity].get(key);
    return h ? h.counts(t, LABEL_WINDOW_MS[window] as number, this.released) : { known: 0, frauds: 0 };
  }

  /**
   * Writes the known-label counts of every entity and label window at the transaction's time into
   * `out` from `offset` (layout of the label part of a `Features` row), then schedules its own
   * label, so it never sees itself:
   * what feature windows call per transaction, after advancing to a time at or after the
   * transaction's. `histories[e]` is the history of entity `e` of {@link LABEL_ENTITIES},
   * undefined when the transaction has no such entity or it has none yet; with a label, every
   * entity the transaction has must have one (see {@link history}).
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
      h = new LabelHistory(this.pool);
      m.set(key, h);
    }
    return h;
  }

  /** Schedules a transaction's label, to become known at its time + the delay. */
  schedule(tx: Transaction, label: Label | undefined = tx.label): void {
    if (label === undefined) return;
    this.enqueue(tx.timestamp + this.delayMs, label, this.historiesOf(tx));
  }

  /** Schedules a label learned now (e.g. `POST /transactions/:id/label`), known from `knownAt`. */
  scheduleAt(tx: Transaction, label: Label, knownAt: number): void {
    this.enqueue(knownAt, label, this.historiesOf(tx));
  }

  /** Labels scheduled and not yet known (for tests and memory accounting). */
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
    // The retired histories keep the old pool: whoever still holds one never writes it again.
    this.pool = new BlockPool(this.poolChunkOrder, 3);
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

  /** Adds a label to the histories given (undefined ones skipped; at most one per label entity). */
  private enqueue(knownAt: number, label: Label, histories: readonly (LabelHistory | undefined)[]): void {
    for (let e = 0; e < histories.length; e++) histories[e]?.add(knownAt, label);
    this.queue.push(knownAt);
  }

  private sweep(t: number): void {
    this.sinceSweep = 0;
    const horizon = t - 2 * LABEL_WINDOW_MS[2];
    for (const m of Object.values(this.maps)) {
      for (const [key, h] of m) {
        h.evict(horizon);
        // A history keeps the labels still to become known (they are after the horizon).
        if (h.size === 0) {
          h.retired = true;
          h.release();
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
 * The times labels scheduled become known, soonest first, to count those still to come. With one
 * delay and rows in time order they are scheduled in order: those wait in a first-in first-out
 * ring, O(1) each; only out-of-order ones (late rows, labels posted with an earlier time) go to a
 * binary heap.
 */
class PendingTimes {
  private known = new Float64Array(1024);
  /** Ring index of the oldest entry, and the number of entries. */
  private head = 0;
  private count = 0;
  private readonly heap: number[] = [];

  get size(): number {
    return this.count + this.heap.length;
  }

  push(knownAt: number): void {
    const mask = this.known.length - 1;
    if (this.count === 0 || (this.known[(this.head + this.count - 1) & mask] as number) <= knownAt) {
      if (this.count === this.known.length) this.grow();
      this.known[(this.head + this.count) & (this.known.length - 1)] = knownAt;
      this.count++;
      return;
    }
    pushHeap(this.heap, knownAt);
  }

  /** Drops every time at or before `t`. */
  release(t: number): void {
    const known = this.known;
    const mask = known.length - 1;
    while (this.count > 0 && (known[this.head] as number) <= t) {
      this.head = (this.head + 1) & mask;
      this.count--;
    }
    while (this.heap.length > 0 && (this.heap[0] as number) <= t) popHeap(this.heap);
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.heap.length = 0;
  }

  /** Doubles the ring, unrolling it to start at 0. */
  private grow(): void {
    const n = this.known.length;
    const known = new Float64Array(2 * n);
    for (let j = 0; j < this.count; j++) known[j] = this.known[(this.head + j) & (n - 1)] as number;
    this.known = known;
    this.head = 0;
  }
}

function pushHeap(heap: number[], item: number): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap[parent] as number) <= item) break;
    heap[i] = heap[parent] as number;
    i = parent;
  }
  heap[i] = item;
}

function popHeap(heap: number[]): number {
  const top = heap[0] as number;
  const last = heap.pop() as number;
  if (heap.length === 0) return top;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && (heap[r] as number) < (heap[l] as number) ? r : l;
    if ((heap[c] as number) >= last) break;
    heap[i] = heap[c] as number;
    i = c;
  }
  heap[i] = last;
  return top;
}
