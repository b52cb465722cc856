import {
  LABEL_ENTITIES,
  LABEL_WINDOWS,
  type LabelEntity,
  type LabelFeedback,
  type LabelWindowName,
} from './labels.js';
import type { Transaction } from './transaction.js';
import { type EntityFeatures, EntityWindows, type WindowAggregate, WINDOWS, type WindowName } from './windows.js';

/** The entities features are kept for. */
export const ENTITIES = ['account', 'card', 'terminal', 'merchant'] as const;
/** An entity kind. */
export type Entity = (typeof ENTITIES)[number];

/** Windowed features of one transaction, per entity it touches. */
export interface Features {
  account: EntityFeatures;
  card?: EntityFeatures;
  terminal?: EntityFeatures;
  merchant?: EntityFeatures;
  /**
   * Known labels per entity and label window, when label feedback is on: for entity e and window
   * w, `[known, frauds]` at index `(e * LABEL_WINDOWS.length + w) * 2`. Only labels known by the
   * transaction's time (its time − delay or earlier), never its own. Counts are small integers:
   * a plain array holds them inline, where a typed array would cost a buffer outside the heap per
   * transaction.
   */
  labels?: readonly number[];
}

/** Options of a {@link FeatureWindows} store. */
export interface FeatureWindowsOptions {
  /**
   * How late (behind an entity's newest event) an event may arrive and still get exact
   * features. Later events are still scored, over what is retained.
   * @default 7 days
   */
  latenessMs?: number;
  /** Label feedback: when given, features include known-label counts and labels are fed back. */
  labels?: LabelFeedback;
}

const DAY = 86_400_000;

/**
 * In-memory windowed feature state for all entities: the engine behind `features` in scoring.
 * It is explicit state, passed to whoever scores, never a module singleton. Entities idle for
 * longer than the longest window plus the lateness are dropped, so memory follows the window,
 * not the history.
 *
 * @example
 * const store = new FeatureWindows();
 * const f = store.observe(tx); // f.account.windows[0].count: transactions in the last minute
 */
export class FeatureWindows {
  private readonly maps: Record<Entity, Map<string, EntityWindows>> = {
    account: new Map(),
    card: new Map(),
    terminal: new Map(),
    merchant: new Map(),
  };
  private readonly latenessMs: number;
  /** Label feedback, when on. */
  readonly labels: LabelFeedback | undefined;
  private watermark = Number.NEGATIVE_INFINITY;
  private sinceSweep = 0;

  constructor(options: FeatureWindowsOptions = {}) {
    this.latenessMs = options.latenessMs ?? 7 * DAY;
    this.labels = options.labels;
  }

  /** Records the transaction and returns its features (which include it). */
  observe(tx: Transaction): Features {
    if (tx.timestamp > this.watermark) this.watermark = tx.timestamp;
    if (++this.sinceSweep >= 100_000) this.sweep();
    const o = { timestamp: tx.timestamp, amount: tx.amount, country: tx.country };
    const f: Features = { account: this.entity('account', tx.accountId).observe(o) };
    if (tx.card) f.card = this.entity('card', tx.card.token).observe(o);
    if (tx.terminalId !== undefined) f.terminal = this.entity('terminal', tx.terminalId).observe(o);
    if (tx.merchant !== undefined) f.merchant = this.entity('merchant', tx.merchant).observe(o);
    if (this.labels) {
      // Read before this transaction's own label is scheduled: it can never see itself.
      this.labels.advance(this.watermark);
      const counts = LABEL_ZEROS.slice();
      this.labels.snapshotAndSchedule(tx, counts);
      f.labels = counts;
    }
    return f;
  }

  /** Newest event time observed (event-time "now" of the stream). */
  get latest(): number {
    return this.watermark;
  }

  /** How far back (behind the newest event) stored history can still matter to a new event. */
  get horizonMs(): number {
    return 30 * DAY + this.latenessMs;
  }

  /** Forgets everything (before a replay from durable storage). */
  clear(): void {
    for (const m of Object.values(this.maps)) m.clear();
    this.labels?.clear();
    this.watermark = Number.NEGATIVE_INFINITY;
    this.sinceSweep = 0;
  }

  /** Number of entities and retained events, for memory accounting. */
  size(): { entities: number; events: number } {
    let entities = 0;
    let events = 0;
    for (const m of Object.values(this.maps)) {
      entities += m.size;
      for (const w of m.values()) events += w.size;
    }
    return { entities, events };
  }

  private entity(kind: Entity, id: string): EntityWindows {
    const m = this.maps[kind];
    let w = m.get(id);
    if (!w) {
      w = new EntityWindows(this.latenessMs);
      m.set(id, w);
    }
    return w;
  }

  /** Forgets entities with no event inside any window a new event could need. */
  private sweep(): void {
    this.sinceSweep = 0;
    const horizon = this.watermark - 30 * DAY - 2 * this.latenessMs;
    for (const m of Object.values(this.maps)) {
      for (const [id, w] of m) if (w.latest < horizon) m.delete(id);
    }
  }
}

/** A windowed statistic. `prior_*` exclude the transaction being scored. */
export type Stat = 'count' | 'sum' | 'avg' | 'countries' | 'prior_count' | 'prior_sum' | 'prior_avg';

/**
 * Reads one windowed feature: the stable way for rules (and models) to read features, whatever
 * their in-memory layout. Money (`sum`, `avg`, `prior_sum`, `prior_avg`) is in E4 units like
 * `Transaction.amount`. An entity the transaction does not have (no card, no terminal) reads 0.
 * `avg` of an empty window is 0.
 * @example featureValue(f, 'card', '1m', 'count') // transactions on this card in the last minute
 */
export function featureValue(f: Features, entity: Entity, window: WindowName, stat: Stat, amount: number): number {
  const e = f[entity];
  if (!e) return 0;
  const agg = e.windows[WINDOW_INDEX[window]];
  if (!agg) return 0;
  return statOf(agg, stat, amount);
}

/** Index of each window name in {@link WINDOWS}. */
const WINDOW_INDEX: Record<WindowName, number> = Object.fromEntries(WINDOWS.map((w, i) => [w, i])) as Record<
  WindowName,
  number
>;

/**
 * The aggregate of one window (by index in {@link WINDOWS}) of one entity, or undefined when the
 * transaction has no such entity: for code that reads many stats of one window (the model vector).
 */
export function windowAggregate(f: Features, entity: Entity, window: number): WindowAggregate | undefined {
  return f[entity]?.windows[window];
}

/** One statistic of a window aggregate (see {@link featureValue}). */
export function statOf(agg: WindowAggregate, stat: Stat, amount: number): number {
  switch (stat) {
    case 'count':
      return agg.count;
    case 'sum':
      return agg.sum;
    case 'avg':
      return agg.count > 0 ? agg.sum / agg.count : 0;
    case 'countries':
      return agg.countries;
    case 'prior_count':
      return agg.count - 1;
    case 'prior_sum':
      return agg.sum - amount;
    case 'prior_avg':
      return agg.count > 1 ? (agg.sum - amount) / (agg.count - 1) : 0;
  }
}

/** The entity's previous transaction in event time (time and country), if any. */
export function previousOf(f: Features, entity: Entity): { timestamp: number; country: string | undefined } | undefined {
  return f[entity]?.previous;
}

/** `Features.labels` with nothing known, copied for each transaction. */
const LABEL_ZEROS: readonly number[] = Array.from({ length: LABEL_ENTITIES.length * LABEL_WINDOWS.length * 2 }, () => 0);

/** Known labels of an entity in a label window at the transaction's time (zeros when feedback is off). */
export function labelCounts(f: Features, entity: LabelEntity, window: LabelWindowName): { known: number; frauds: number } {
  if (!f.labels) return { known: 0, frauds: 0 };
  const i = (LABEL_ENTITIES.indexOf(entity) * LABEL_WINDOWS.length + LABEL_WINDOWS.indexOf(window)) * 2;
  return { known: f.labels[i] as number, frauds: f.labels[i + 1] as number };
}
