import { BlockPool } from './blockPool.js';
import {
  LABEL_ENTITIES,
  LABEL_WINDOWS,
  type LabelEntity,
  type LabelFeedback,
  type LabelHistory,
  type LabelWindowName,
} from './labels.js';
import type { Transaction } from './transaction.js';
import {
  CountryCodes,
  ENTITY_LAYOUT,
  type EntityFeatures,
  entityFeaturesAt,
  EntityWindows,
  WINDOWS,
  type WindowName,
} from './windows.js';

/** The entities features are kept for. */
export const ENTITIES = ['account', 'card', 'terminal', 'merchant'] as const;
/** An entity kind. */
export type Entity = (typeof ENTITIES)[number];

/**
 * Windowed features of one transaction, for every entity it touches, in one flat array: the
 * features of entity `e` (in {@link ENTITIES} order) start at `e × ENTITY_LAYOUT.size`, laid out
 * as {@link ENTITY_LAYOUT}. An entity the transaction does not have reads count 0 in every window
 * (a present entity's windows always hold at least the transaction itself) and no previous event.
 * One array per transaction instead of an object per window: scoring reads these through
 * {@link featureValue}, {@link previousTime} and friends, never by position.
 */
export interface Features {
  readonly values: readonly number[];
  /** Names of the country codes in `values` (the store's table: append-only, shared). */
  readonly countryNames: readonly (string | undefined)[];
  /**
   * Known labels per entity and label window, when label feedback is on: for entity e and window
   * w, `[known, frauds]` at index `(e * LABEL_WINDOWS.length + w) * 2`. Only labels known by the
   * transaction's time (its time − delay or earlier), never its own. Counts are small integers:
   * a plain array holds them inline, where a typed array would cost a buffer outside the heap per
   * transaction.
   */
  readonly labels?: readonly number[];
}

/** Offset of each entity's features in `Features.values`. */
const ENTITY_AT: Readonly<Record<Entity, number>> = {
  account: 0,
  card: ENTITY_LAYOUT.size,
  terminal: 2 * ENTITY_LAYOUT.size,
  merchant: 3 * ENTITY_LAYOUT.size,
};

/**
 * `Features.values` before any entity is observed: counts 0, no previous event. Built from
 * doubles so copies are arrays of unboxed doubles from the start (no element-kind transition per
 * transaction when the first fraction is written).
 */
const EMPTY_VALUES: readonly number[] = Array.from({ length: ENTITIES.length * ENTITY_LAYOUT.size }, (_, i) =>
  i % ENTITY_LAYOUT.size === ENTITY_LAYOUT.previousTime ? Number.NaN : 0,
);

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
 * const f = store.observe(tx);
 * featureValue(f, 'account', '1m', 'count', tx.amount); // the account's transactions in the last minute
 */
export class FeatureWindows {
  /** Per entity kind, in {@link ENTITIES} order: the windows of each id. */
  private readonly byKind: Map<string, EntityWindows>[] = ENTITIES.map(() => new Map<string, EntityWindows>());
  private readonly countries = new CountryCodes();
  /** Blocks for every entity's window state (see `BlockPool`); a new pool after {@link clear}. */
  private pool = new BlockPool();
  private readonly latenessMs: number;
  /** Label feedback, when on. */
  readonly labels: LabelFeedback | undefined;
  private watermark = Number.NEGATIVE_INFINITY;
  private sinceSweep = 0;
  /** Per observe: the label histories of the transaction's entities (copied where kept). */
  private readonly histories: (LabelHistory | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(options: FeatureWindowsOptions = {}) {
    this.latenessMs = options.latenessMs ?? 7 * DAY;
    this.labels = options.labels;
  }

  /** Records the transaction and returns its features (which include it). */
  observe(tx: Transaction): Features {
    if (tx.timestamp > this.watermark) this.watermark = tx.timestamp;
    if (++this.sinceSweep >= 100_000) this.sweep();
    const values = EMPTY_VALUES.slice();
    const t = tx.timestamp;
    const amount = tx.amount;
    const country = this.countries.code(tx.country);
    // All four lookups first, then the four updates: each lookup is a few cache misses that do
    // not depend on the others, and back to back the CPU waits for them together instead of in
    // turn (faster than lookup-update pairs in an interleaved A/B; docs/performance.md).
    const account = this.entity(0, tx.accountId);
    const card = tx.card ? this.entity(1, tx.card.token) : undefined;
    const terminal = tx.terminalId !== undefined ? this.entity(2, tx.terminalId) : undefined;
    const merchant = tx.merchant !== undefined ? this.entity(3, tx.merchant) : undefined;
    account.observeInto(t, amount, country, values, ENTITY_AT.account);
    card?.observeInto(t, amount, country, values, ENTITY_AT.card);
    terminal?.observeInto(t, amount, country, values, ENTITY_AT.terminal);
    merchant?.observeInto(t, amount, country, values, ENTITY_AT.merchant);
    const feedback = this.labels;
    if (!feedback) return { values, countryNames: this.countries.names };
    // Read before this transaction's own label is scheduled: it can never see itself.
    feedback.advance(this.watermark);
    const create = tx.label !== undefined;
    const histories = this.histories;
    histories[0] = labelHistory(feedback, account, 0, tx.accountId, create);
    histories[1] = card && tx.card ? labelHistory(feedback, card, 1, tx.card.token, create) : undefined;
    histories[2] = terminal && tx.terminalId !== undefined ? labelHistory(feedback, terminal, 2, tx.terminalId, create) : undefined;
    histories[3] = merchant && tx.merchant !== undefined ? labelHistory(feedback, merchant, 3, tx.merchant, create) : undefined;
    const labels = LABEL_ZEROS.slice();
    feedback.snapshotAndScheduleWith(tx, histories, labels);
    return { values, countryNames: this.countries.names, labels };
  }

  /** Newest event time observed (event-time "now" of the stream). */
  get latest(): number {
    return this.watermark;
  }

  /** How far back (behind the newest event) stored history can still matter to a new event. */
  get horizonMs(): number {
    return 30 * DAY + this.latenessMs;
  }

  /** Forgets everything (before a replay from durable storage). Country codes stay: they name the same countries. */
  clear(): void {
    for (const m of this.byKind) m.clear();
    this.pool = new BlockPool();
    this.labels?.clear();
    this.watermark = Number.NEGATIVE_INFINITY;
    this.sinceSweep = 0;
  }

  /** Number of entities and retained events, for memory accounting. */
  size(): { entities: number; events: number } {
    let entities = 0;
    let events = 0;
    for (const m of this.byKind) {
      entities += m.size;
      for (const w of m.values()) events += w.size;
    }
    return { entities, events };
  }

  private entity(kind: number, id: string): EntityWindows {
    const m = this.byKind[kind] as Map<string, EntityWindows>;
    let w = m.get(id);
    if (!w) {
      w = new EntityWindows(this.latenessMs, this.countries, this.pool);
      m.set(id, w);
    }
    return w;
  }

  /** Forgets entities with no event inside any window a new event could need. */
  private sweep(): void {
    this.sinceSweep = 0;
    const horizon = this.watermark - 30 * DAY - 2 * this.latenessMs;
    for (const m of this.byKind) {
      for (const [id, w] of m) {
        if (w.latest < horizon) {
          m.delete(id);
          w.release();
        }
      }
    }
  }
}

/**
 * The label history of an entity, from the one kept on its windows while it is live, else looked
 * up (and kept): four map lookups per transaction fewer than asking the feedback each time.
 */
function labelHistory(
  feedback: LabelFeedback,
  windows: EntityWindows,
  entity: number,
  id: string,
  create: boolean,
): LabelHistory | undefined {
  const kept = windows.labels;
  if (kept !== undefined && !kept.retired) return kept;
  const h = feedback.history(entity, id, create);
  windows.labels = h;
  return h;
}

/** A windowed statistic. `prior_*` exclude the transaction being scored. */
export type Stat = 'count' | 'sum' | 'avg' | 'countries' | 'prior_count' | 'prior_sum' | 'prior_avg';

/**
 * Reads one windowed feature: the stable way for rules (and models) to read features, whatever
 * their in-memory layout. Money (`sum`, `avg`, `prior_sum`, `prior_avg`) is in E4 units like
 * `Transaction.amount`. An entity the transaction does not have (no card, no terminal) reads 0.
 * `avg` of an empty window is 0.
 * @example featureValue(f, 'card', '1m', 'count', tx.amount) // transactions on this card in the last minute
 */
export function featureValue(f: Features, entity: Entity, window: WindowName, stat: Stat, amount: number): number {
  return statAt(f.values, ENTITY_AT[entity] + WINDOW_INDEX[window] * ENTITY_LAYOUT.windowStride, stat, amount);
}

/** Index of each window name in {@link WINDOWS}. */
const WINDOW_INDEX: Record<WindowName, number> = Object.fromEntries(WINDOWS.map((w, i) => [w, i])) as Record<
  WindowName,
  number
>;

/** One statistic of the window aggregate at `at` in a features array (see {@link featureValue}). */
function statAt(v: readonly number[], at: number, stat: Stat, amount: number): number {
  const count = v[at + ENTITY_LAYOUT.count] as number;
  // Every window of a present entity holds the transaction itself: 0 means the entity is absent.
  if (count === 0) return 0;
  switch (stat) {
    case 'count':
      return count;
    case 'sum':
      return v[at + ENTITY_LAYOUT.sum] as number;
    case 'avg':
      return (v[at + ENTITY_LAYOUT.sum] as number) / count;
    case 'countries':
      return v[at + ENTITY_LAYOUT.countries] as number;
    case 'prior_count':
      return count - 1;
    case 'prior_sum':
      return (v[at + ENTITY_LAYOUT.sum] as number) - amount;
    case 'prior_avg':
      return count > 1 ? ((v[at + ENTITY_LAYOUT.sum] as number) - amount) / (count - 1) : 0;
  }
}

/**
 * Where one window of one entity starts in `Features.values` (by index in {@link WINDOWS}): for
 * code that reads many stats of one window (the model vector), with {@link ENTITY_LAYOUT}.
 */
export function windowAt(entity: Entity, window: number): number {
  return ENTITY_AT[entity] + window * ENTITY_LAYOUT.windowStride;
}

/** True when the transaction has this entity (an account always; a card, terminal or merchant if given). */
export function hasEntity(f: Features, entity: Entity): boolean {
  return (f.values[ENTITY_AT[entity]] as number) > 0;
}

/** Time of the entity's previous transaction in event time, or NaN when it has none. */
export function previousTime(f: Features, entity: Entity): number {
  return f.values[ENTITY_AT[entity] + ENTITY_LAYOUT.previousTime] as number;
}

/** Country of the entity's previous transaction; undefined when it has none or it had no country. */
export function previousCountry(f: Features, entity: Entity): string | undefined {
  return f.countryNames[f.values[ENTITY_AT[entity] + ENTITY_LAYOUT.previousCountry] as number];
}

/** The entity's previous transaction in event time (time and country), if any. */
export function previousOf(f: Features, entity: Entity): { timestamp: number; country: string | undefined } | undefined {
  const timestamp = previousTime(f, entity);
  return Number.isNaN(timestamp) ? undefined : { timestamp, country: previousCountry(f, entity) };
}

/** One entity's features as objects (for tests, debugging and display), or undefined when absent. */
export function entityFeatures(f: Features, entity: Entity): EntityFeatures | undefined {
  return hasEntity(f, entity) ? entityFeaturesAt(f.values, ENTITY_AT[entity], f.countryNames) : undefined;
}

/**
 * Builds `Features` from per-entity objects: the inverse of {@link entityFeatures}, for tests and
 * for anyone computing features elsewhere.
 */
export function featuresFrom(parts: {
  account: EntityFeatures;
  card?: EntityFeatures;
  terminal?: EntityFeatures;
  merchant?: EntityFeatures;
  labels?: readonly number[];
}): Features {
  const values = EMPTY_VALUES.slice();
  const countries = new CountryCodes();
  for (const entity of ENTITIES) {
    const e = parts[entity];
    if (!e) continue;
    const at = ENTITY_AT[entity];
    e.windows.forEach((w, i) => {
      const o = at + i * ENTITY_LAYOUT.windowStride;
      values[o + ENTITY_LAYOUT.count] = w.count;
      values[o + ENTITY_LAYOUT.sum] = w.sum;
      values[o + ENTITY_LAYOUT.sumSq] = w.sumSq;
      values[o + ENTITY_LAYOUT.countries] = w.countries;
    });
    if (e.previous) {
      values[at + ENTITY_LAYOUT.previousTime] = e.previous.timestamp;
      values[at + ENTITY_LAYOUT.previousCountry] = countries.code(e.previous.country);
    }
  }
  const f = { values, countryNames: countries.names };
  return parts.labels ? { ...f, labels: parts.labels } : f;
}

/** `Features.labels` with nothing known, copied for each transaction. */
const LABEL_ZEROS: readonly number[] = Array.from({ length: LABEL_ENTITIES.length * LABEL_WINDOWS.length * 2 }, () => 0);

/** Known labels of an entity in a label window at the transaction's time (zeros when feedback is off). */
export function labelCounts(f: Features, entity: LabelEntity, window: LabelWindowName): { known: number; frauds: number } {
  if (!f.labels) return { known: 0, frauds: 0 };
  const i = (LABEL_ENTITIES.indexOf(entity) * LABEL_WINDOWS.length + LABEL_WINDOWS.indexOf(window)) * 2;
  return { known: f.labels[i] as number, frauds: f.labels[i + 1] as number };
}
