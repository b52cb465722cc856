import { BlockPool } from './blockPool.js';
import { KeyIds } from './entityTable.js';
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
  WINDOWS,
  WindowTable,
  type WindowName,
} from './windows.js';

/** The entities features are kept for. */
export const ENTITIES = ['account', 'card', 'terminal', 'merchant'] as const;
/** An entity kind. */
export type Entity = (typeof ENTITIES)[number];

/** Numbers of the windowed part of a row: {@link ENTITY_LAYOUT} per entity, in {@link ENTITIES} order. */
const WINDOWED = ENTITIES.length * ENTITY_LAYOUT.size;
/** Numbers of the label part of a row: `[known, frauds]` per label entity and label window. */
const LABEL_NUMBERS = LABEL_ENTITIES.length * LABEL_WINDOWS.length * 2;

/**
 * Numbers in one transaction's row of features, and the least stride of a matrix of rows
 * (see {@link FeatureWindows.observeBatch}).
 */
export const FEATURE_ROW = WINDOWED + LABEL_NUMBERS;

/**
 * Windowed features of one transaction, for every entity it touches: one row of numbers in
 * `values` from `at` (a row of a larger matrix, read in place). The features of entity `e` (in
 * {@link ENTITIES} order) start at `e × ENTITY_LAYOUT.size`, laid out as {@link ENTITY_LAYOUT}.
 * An entity the transaction does not have reads count 0 in every window (a present entity's
 * windows always hold at least the transaction itself) and no previous event. Then the known
 * labels per label entity and label window (zeros when label feedback is off): for entity e and
 * window w, `[known, frauds]` at `(e × LABEL_WINDOWS.length + w) × 2` — only labels known by the
 * transaction's time (its time − delay or earlier), never its own.
 *
 * Scoring reads these through {@link featureValue}, {@link previousTime}, {@link labelCounts}
 * and friends, never by position.
 */
export interface Features {
  /** Storage holding the row (possibly with other transactions' rows). */
  readonly values: Float64Array;
  /** Where the row starts in `values`. */
  readonly at: number;
  /** Names of the country codes in `values` (the store's table: append-only, shared). */
  readonly countryNames: readonly (string | undefined)[];
}

/**
 * A {@link Features} whose position can move: one object reads every row of a matrix filled by
 * {@link FeatureWindows.observeBatch}, so walking a batch allocates nothing.
 *
 * @example
 * const matrix = new Float64Array(txs.length * FEATURE_ROW);
 * store.observeBatch(txs, 0, txs.length, matrix);
 * const row = store.row(matrix);
 * for (let i = 0; i < txs.length; i++) {
 *   row.at = i * FEATURE_ROW;
 *   featureValue(row, 'account', '1h', 'count', txs[i].amount);
 * }
 */
export class FeatureRow implements Features {
  constructor(
    public values: Float64Array,
    public at: number,
    readonly countryNames: readonly (string | undefined)[],
  ) {}
}

/** Offset of each entity's features in a row. */
const ENTITY_AT: Readonly<Record<Entity, number>> = {
  account: 0,
  card: ENTITY_LAYOUT.size,
  terminal: 2 * ENTITY_LAYOUT.size,
  merchant: 3 * ENTITY_LAYOUT.size,
};

/** A row before any entity is observed: counts 0, no previous event, no known labels. */
const EMPTY_ROW = Float64Array.from({ length: FEATURE_ROW }, (_, i) =>
  i < WINDOWED && i % ENTITY_LAYOUT.size === ENTITY_LAYOUT.previousTime ? Number.NaN : 0,
);

/** Rows per buffer behind {@link FeatureWindows.observe}: few buffers, none of them large. */
const OBSERVE_ROWS = 512;

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
  /**
   * Numbers per chunk of the state's block pool, as a power of two. A store that lives for a
   * whole run wants large chunks (allocated rarely); one built per request or queue message for
   * a few entities wants small ones, because allocating and zeroing a large chunk costs more than
   * scoring the request. Features are the same whatever the size.
   * @default 20 (8 MiB)
   */
  poolChunkOrder?: number;
  /**
   * Entities held (all kinds together) from which {@link FeatureWindows.observeBatch} reads each
   * row's state a few rows ahead, so that its cache misses overlap. With fewer, their state stays
   * in the CPU's caches and reading ahead only costs. Features are the same either way.
   * @default 32,768
   */
  readAheadFrom?: number;
}

const DAY = 86_400_000;

/** Transactions observed between two sweeps of idle entities. */
const SWEEP_EVERY = 100_000;
/** Rows whose entities {@link FeatureWindows.observeBatch} looks up before observing them. */
const AHEAD_ROWS = 256;
/** How many rows ahead {@link FeatureWindows.observeBatch} reads the state a row will need. */
const TOUCH_DISTANCE = 4;

/**
 * In-memory windowed feature state for all entities: the engine behind `features` in scoring.
 * It is explicit state, passed to whoever scores, never a module singleton. Each entity kind
 * interns its keys to dense integer ids, indexing the window state of a {@link WindowTable}.
 * Entities idle for longer than the longest window plus the lateness are dropped (their ids
 * reused), so memory follows the window, not the history.
 *
 * @example
 * const store = new FeatureWindows();
 * const f = store.observe(tx);
 * featureValue(f, 'account', '1m', 'count', tx.amount); // the account's transactions in the last minute
 */
export class FeatureWindows {
  /** Per entity kind, in {@link ENTITIES} order: the id of each key. */
  private readonly ids: KeyIds[] = ENTITIES.map(() => new KeyIds());
  private readonly countries = new CountryCodes();
  /** Per entity kind: the window state of each id; new tables (and pool) after {@link clear}. */
  private tables: WindowTable[] = [];
  /** Per entity kind, by id: the label history kept for it while label feedback is on. */
  private readonly kept: (LabelHistory | undefined)[][] = ENTITIES.map(() => []);
  private readonly latenessMs: number;
  private readonly poolChunkOrder: number;
  private readonly readAheadFrom: number;
  /** Label feedback, when on. */
  readonly labels: LabelFeedback | undefined;
  private watermark = Number.NEGATIVE_INFINITY;
  private sinceSweep = 0;
  /** Per transaction: the label histories of its entities. */
  private readonly histories: (LabelHistory | undefined)[] = [undefined, undefined, undefined, undefined];
  /** The entities' ids of the rows {@link observeBatch} looks up ahead, four a row. */
  private readonly aheadIds = new Int32Array(4 * AHEAD_ROWS);
  /** The hashes of the keys of the rows looked up ahead, four a row (see {@link hashKeys}). */
  private readonly aheadHashes = new Int32Array(4 * AHEAD_ROWS);
  /** What {@link WindowTable.touch} read: kept, so that its reads are made. */
  private touched = 0;
  /** The buffer {@link observe} hands rows out of, and the next free row in it. */
  private rows = new Float64Array(0);
  private nextRow = 0;

  constructor(options: FeatureWindowsOptions = {}) {
    this.latenessMs = options.latenessMs ?? 7 * DAY;
    this.labels = options.labels;
    this.poolChunkOrder = options.poolChunkOrder ?? 20;
    this.readAheadFrom = options.readAheadFrom ?? 32_768;
    this.tables = this.newTables();
  }

  /** Records the transaction and returns its features (which include it). */
  observe(tx: Transaction): Features {
    if (this.nextRow + FEATURE_ROW > this.rows.length) {
      // A new buffer rather than a reused one: a caller may keep the features it was given.
      this.rows = new Float64Array(OBSERVE_ROWS * FEATURE_ROW);
      this.nextRow = 0;
    }
    const at = this.nextRow;
    this.nextRow += FEATURE_ROW;
    this.observeRow(tx, this.rows, at);
    return new FeatureRow(this.rows, at, this.countries.names);
  }

  /**
   * Records `txs[from]` … `txs[to - 1]` in order, writing the features of `txs[i]` (which include
   * it) into `out` from `(i - from) × stride`: the same features {@link observe} returns one by
   * one, with no allocation per transaction. Read the rows with {@link row}.
   *
   * @param stride numbers per row, at least {@link FEATURE_ROW}.
   * @example
   * const matrix = new Float64Array(1024 * FEATURE_ROW); // reused for every batch
   * store.observeBatch(txs, 0, txs.length, matrix);
   */
  observeBatch(txs: readonly Transaction[], from: number, to: number, out: Float64Array, stride: number = FEATURE_ROW): void {
    if (stride < FEATURE_ROW) throw new RangeError(`a row takes ${FEATURE_ROW} numbers, not ${stride}`);
    if ((to - from) * stride > out.length) throw new RangeError(`${to - from} rows do not fit in ${out.length} numbers`);
    const ids = this.aheadIds;
    let i = from;
    let at = 0;
    while (i < to) {
      if (this.entityCount() < this.readAheadFrom) {
        const end = Math.min(to, i + AHEAD_ROWS);
        for (; i < end; i++, at += stride) this.observeRow(txs[i] as Transaction, out, at);
        continue;
      }
      // The first row of a stretch counts towards the sweep as observeRow does: a sweep falls at a
      // stretch's start, never inside one, so ids looked up ahead are never released before use.
      const first = txs[i] as Transaction;
      if (first.timestamp > this.watermark) this.watermark = first.timestamp;
      if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
      const end = Math.min(to, i + AHEAD_ROWS, i + SWEEP_EVERY - this.sinceSweep);
      // Every key of the stretch first, hashed, then looked up with the key table's slots of the
      // row TOUCH_DISTANCE on read meanwhile: each lookup's cache misses overlap with the next ones'.
      const hashes = this.aheadHashes;
      for (let j = i, k = 0; j < end; j++, k += 4) hashKeys(txs[j] as Transaction, hashes, k);
      for (let j = i, k = 0; j < end; j++, k += 4) {
        if (j + TOUCH_DISTANCE < end) this.touched ^= this.touchKeys(txs[j + TOUCH_DISTANCE] as Transaction, hashes, k + 4 * TOUCH_DISTANCE);
        this.lookUp(txs[j] as Transaction, hashes, ids, k);
      }
      const tables = this.tables;
      for (let j = i, k = 0; j < end; j++, k += 4, at += stride) {
        const tx = txs[j] as Transaction;
        if (j > i) {
          if (tx.timestamp > this.watermark) this.watermark = tx.timestamp;
          this.sinceSweep++;
        }
        // The state a row TOUCH_DISTANCE rows on will read, read now: its misses are under way
        // while this row is observed.
        if (j + TOUCH_DISTANCE < end) {
          const ahead = txs[j + TOUCH_DISTANCE] as Transaction;
          const a = k + 4 * TOUCH_DISTANCE;
          const t = ahead.timestamp;
          let seen = (tables[0] as WindowTable).touch(ids[a] as number, t);
          if ((ids[a + 1] as number) >= 0) seen ^= (tables[1] as WindowTable).touch(ids[a + 1] as number, t);
          if ((ids[a + 2] as number) >= 0) seen ^= (tables[2] as WindowTable).touch(ids[a + 2] as number, t);
          if ((ids[a + 3] as number) >= 0) seen ^= (tables[3] as WindowTable).touch(ids[a + 3] as number, t);
          this.touched ^= seen;
        }
        this.observeWith(tx, ids[k] as number, ids[k + 1] as number, ids[k + 2] as number, ids[k + 3] as number, out, at);
      }
      i = end;
    }
  }

  /**
   * The ids of a transaction's entities (-1 for one it does not have) into `ids` from `k`,
   * interned on first sight; `hashes` holds their keys' hashes from `k` (see {@link hashKeys}).
   */
  private lookUp(tx: Transaction, hashes: Int32Array, ids: Int32Array, k: number): void {
    ids[k] = this.entityHashed(0, tx.accountId, hashes[k] as number);
    ids[k + 1] = tx.card ? this.entityHashed(1, tx.card.token, hashes[k + 1] as number) : -1;
    ids[k + 2] = tx.terminalId !== undefined ? this.entityHashed(2, tx.terminalId, hashes[k + 2] as number) : -1;
    ids[k + 3] = tx.merchant !== undefined ? this.entityHashed(3, tx.merchant, hashes[k + 3] as number) : -1;
  }

  /** Reads the key tables' slots {@link lookUp} will start at for a transaction (see `KeyIds.touch`). */
  private touchKeys(tx: Transaction, hashes: Int32Array, k: number): number {
    const ids = this.ids;
    let seen = (ids[0] as KeyIds).touch(hashes[k] as number);
    if (tx.card) seen ^= (ids[1] as KeyIds).touch(hashes[k + 1] as number);
    if (tx.terminalId !== undefined) seen ^= (ids[2] as KeyIds).touch(hashes[k + 2] as number);
    if (tx.merchant !== undefined) seen ^= (ids[3] as KeyIds).touch(hashes[k + 3] as number);
    return seen;
  }

  /** A reader of the rows of `matrix` (filled by {@link observeBatch}), positioned at `at`. */
  row(matrix: Float64Array, at = 0): FeatureRow {
    return new FeatureRow(matrix, at, this.countries.names);
  }

  private observeRow(tx: Transaction, out: Float64Array, at: number): void {
    if (tx.timestamp > this.watermark) this.watermark = tx.timestamp;
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    // All four lookups first, then the four updates: each lookup is a few cache misses that do
    // not depend on the others, and back to back the CPU waits for them together instead of in
    // turn.
    const account = this.entity(0, tx.accountId);
    const card = tx.card ? this.entity(1, tx.card.token) : -1;
    const terminal = tx.terminalId !== undefined ? this.entity(2, tx.terminalId) : -1;
    const merchant = tx.merchant !== undefined ? this.entity(3, tx.merchant) : -1;
    this.observeWith(tx, account, card, terminal, merchant, out, at);
  }

  /** Observes a transaction whose entities' ids are known (-1: it has none of that kind); no sweep. */
  private observeWith(tx: Transaction, account: number, card: number, terminal: number, merchant: number, out: Float64Array, at: number): void {
    out.set(EMPTY_ROW, at);
    const t = tx.timestamp;
    const amount = tx.amount;
    const country = this.countries.code(tx.country);
    const tables = this.tables;
    (tables[0] as WindowTable).observeInto(account, t, amount, country, out, at + ENTITY_AT.account);
    if (card >= 0) (tables[1] as WindowTable).observeInto(card, t, amount, country, out, at + ENTITY_AT.card);
    if (terminal >= 0) (tables[2] as WindowTable).observeInto(terminal, t, amount, country, out, at + ENTITY_AT.terminal);
    if (merchant >= 0) (tables[3] as WindowTable).observeInto(merchant, t, amount, country, out, at + ENTITY_AT.merchant);
    const feedback = this.labels;
    if (!feedback) return;
    // Read before this transaction's own label is scheduled: it can never see itself.
    feedback.advance(this.watermark);
    const create = tx.label !== undefined;
    const histories = this.histories;
    histories[0] = this.labelHistory(feedback, 0, account, tx.accountId, create);
    histories[1] = card >= 0 && tx.card ? this.labelHistory(feedback, 1, card, tx.card.token, create) : undefined;
    histories[2] = terminal >= 0 && tx.terminalId !== undefined ? this.labelHistory(feedback, 2, terminal, tx.terminalId, create) : undefined;
    histories[3] = merchant >= 0 && tx.merchant !== undefined ? this.labelHistory(feedback, 3, merchant, tx.merchant, create) : undefined;
    feedback.snapshotAndScheduleWith(tx, histories, out, at + WINDOWED);
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
    for (const m of this.ids) m.clear();
    this.tables = this.newTables();
    for (const k of this.kept) k.length = 0;
    this.labels?.clear();
    this.watermark = Number.NEGATIVE_INFINITY;
    this.sinceSweep = 0;
  }

  /** Entities held, all kinds together. */
  private entityCount(): number {
    const ids = this.ids;
    return (ids[0] as KeyIds).size + (ids[1] as KeyIds).size + (ids[2] as KeyIds).size + (ids[3] as KeyIds).size;
  }

  /** Number of entities and retained events, for memory accounting. */
  size(): { entities: number; events: number } {
    let entities = 0;
    let events = 0;
    this.ids.forEach((m, kind) => {
      entities += m.size;
      const table = this.tables[kind] as WindowTable;
      m.forEach((_, id) => (events += table.size(id)));
    });
    return { entities, events };
  }

  /** One table per entity kind, sharing one pool of blocks (8-number blocks at least: most entities are small). */
  private newTables(): WindowTable[] {
    const pool = new BlockPool(this.poolChunkOrder, 3);
    return ENTITIES.map(() => new WindowTable(this.latenessMs, this.countries, pool));
  }

  /** The id of an entity, interned on first sight. */
  private entity(kind: number, key: string): number {
    return this.entityHashed(kind, key, KeyIds.hash(key));
  }

  /** {@link entity} of a key whose `KeyIds.hash` is `h`. */
  private entityHashed(kind: number, key: string, h: number): number {
    const m = this.ids[kind] as KeyIds;
    let id = m.getHashed(key, h);
    if (id < 0) {
      id = (this.tables[kind] as WindowTable).add();
      m.set(key, id);
    }
    return id;
  }

  /**
   * The label history of an entity, from the one kept beside its windows while it is live, else
   * looked up (and kept): four map lookups per transaction fewer than asking the feedback each time.
   */
  private labelHistory(feedback: LabelFeedback, kind: number, id: number, key: string, create: boolean): LabelHistory | undefined {
    const kept = this.kept[kind] as (LabelHistory | undefined)[];
    const h = kept[id];
    if (h !== undefined && !h.retired) return h;
    const found = feedback.history(kind, key, create);
    kept[id] = found;
    return found;
  }

  /** Forgets entities with no event inside any window a new event could need. */
  private sweep(): void {
    this.sinceSweep = 0;
    const horizon = this.watermark - 30 * DAY - 2 * this.latenessMs;
    this.ids.forEach((m, kind) => {
      const table = this.tables[kind] as WindowTable;
      const kept = this.kept[kind] as (LabelHistory | undefined)[];
      for (const [key, id] of m.entries()) {
        if (table.latest(id) < horizon) {
          m.delete(key);
          table.release(id);
          kept[id] = undefined;
        }
      }
    });
  }
}

/** The `KeyIds.hash` of each of a transaction's entity keys into `hashes` from `k`, in {@link ENTITIES} order (0 for one it does not have). */
function hashKeys(tx: Transaction, hashes: Int32Array, k: number): void {
  hashes[k] = KeyIds.hash(tx.accountId);
  hashes[k + 1] = tx.card ? KeyIds.hash(tx.card.token) : 0;
  hashes[k + 2] = tx.terminalId !== undefined ? KeyIds.hash(tx.terminalId) : 0;
  hashes[k + 3] = tx.merchant !== undefined ? KeyIds.hash(tx.merchant) : 0;
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
  return statAt(f.values, f.at + ENTITY_AT[entity] + WINDOW_INDEX[window] * ENTITY_LAYOUT.windowStride, stat, amount);
}

/** Index of each window name in {@link WINDOWS}. */
const WINDOW_INDEX: Record<WindowName, number> = Object.fromEntries(WINDOWS.map((w, i) => [w, i])) as Record<
  WindowName,
  number
>;

/** One statistic of the window aggregate at `at` in a features array (see {@link featureValue}). */
function statAt(v: Float64Array, at: number, stat: Stat, amount: number): number {
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
 * Where one window of one entity starts in a row of features, relative to `Features.at` (by index
 * in {@link WINDOWS}): for code that reads many stats of one window (the model vector), with
 * {@link ENTITY_LAYOUT}.
 */
export function windowAt(entity: Entity, window: number): number {
  return ENTITY_AT[entity] + window * ENTITY_LAYOUT.windowStride;
}

/** True when the transaction has this entity (an account always; a card, terminal or merchant if given). */
export function hasEntity(f: Features, entity: Entity): boolean {
  return (f.values[f.at + ENTITY_AT[entity]] as number) > 0;
}

/** Time of the entity's previous transaction in event time, or NaN when it has none. */
export function previousTime(f: Features, entity: Entity): number {
  return f.values[f.at + ENTITY_AT[entity] + ENTITY_LAYOUT.previousTime] as number;
}

/** Country of the entity's previous transaction; undefined when it has none or it had no country. */
export function previousCountry(f: Features, entity: Entity): string | undefined {
  return f.countryNames[f.values[f.at + ENTITY_AT[entity] + ENTITY_LAYOUT.previousCountry] as number];
}

/** The entity's previous transaction in event time (time and country), if any. */
export function previousOf(f: Features, entity: Entity): { timestamp: number; country: string | undefined } | undefined {
  const timestamp = previousTime(f, entity);
  return Number.isNaN(timestamp) ? undefined : { timestamp, country: previousCountry(f, entity) };
}

/** One entity's features as objects (for tests, debugging and display), or undefined when absent. */
export function entityFeatures(f: Features, entity: Entity): EntityFeatures | undefined {
  return hasEntity(f, entity) ? entityFeaturesAt(f.values, f.at + ENTITY_AT[entity], f.countryNames) : undefined;
}

/**
 * Builds `Features` from per-entity objects: the inverse of {@link entityFeatures}, for tests and
 * for anyone computing features elsewhere. `labels` in the layout of a row's label part (see
 * {@link Features}).
 */
export function featuresFrom(parts: {
  account: EntityFeatures;
  card?: EntityFeatures;
  terminal?: EntityFeatures;
  merchant?: EntityFeatures;
  labels?: readonly number[];
}): Features {
  const values = EMPTY_ROW.slice();
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
  if (parts.labels) values.set(parts.labels.slice(0, LABEL_NUMBERS), WINDOWED);
  return new FeatureRow(values, 0, countries.names);
}

/** Where the known labels of a label entity and label window start in a row, relative to `Features.at`. */
export function labelAt(entity: number, window: number): number {
  return WINDOWED + (entity * LABEL_WINDOWS.length + window) * 2;
}

/** Known labels of an entity in a label window at the transaction's time (zeros when feedback is off). */
export function labelCounts(f: Features, entity: LabelEntity, window: LabelWindowName): { known: number; frauds: number } {
  const i = f.at + labelAt(LABEL_ENTITIES.indexOf(entity), LABEL_WINDOWS.indexOf(window));
  return { known: f.values[i] as number, frauds: f.values[i + 1] as number };
}
