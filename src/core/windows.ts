import { BlockPool } from './blockPool.js';
import type { LabelHistory } from './labels.js';

/** The windows every entity is aggregated over. */
export const WINDOWS = ['1m', '1h', '24h', '7d', '30d'] as const;
/** A window name. */
export type WindowName = (typeof WINDOWS)[number];
/** Window lengths in milliseconds, in {@link WINDOWS} order. */
export const WINDOW_MS: readonly number[] = [60_000, 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];
const MAX_WINDOW_MS = 30 * 86_400_000;
const WINDOW_COUNT = WINDOWS.length;

/** Aggregate over one window, including the transaction being scored. */
export interface WindowAggregate {
  count: number;
  /** Sum of amounts, exact E4 integer. */
  sum: number;
  /** Sum of squared amounts in currency units² (for spread; not used at decision boundaries). */
  sumSq: number;
  /** Distinct countries seen in the window (transactions without a country not counted). */
  countries: number;
}

/** What the store knows about one entity at the time of one transaction. */
export interface EntityFeatures {
  /** Aggregates per window, in {@link WINDOWS} order, each over `(t - w, t]` including this one. */
  windows: WindowAggregate[];
  /** The entity's latest earlier event in event time (`ts <= t`, excluding this one), if any. */
  previous?: { timestamp: number; country: string | undefined };
}

/** One observation to aggregate. */
export interface Observation {
  timestamp: number;
  amount: number;
  country: string | undefined;
}

/**
 * Layout of one entity's features in a flat number array (see `Features.values`): per window, in
 * {@link WINDOWS} order, `count, sum, sumSq, countries`; then the previous event's time (NaN when
 * there is none) and its country code (0 when it had no country; see {@link CountryCodes}).
 */
export const ENTITY_LAYOUT = {
  /** Numbers per window. */
  windowStride: 4,
  count: 0,
  sum: 1,
  sumSq: 2,
  countries: 3,
  previousTime: WINDOW_COUNT * 4,
  previousCountry: WINDOW_COUNT * 4 + 1,
  /** Numbers per entity. */
  size: WINDOW_COUNT * 4 + 2,
} as const;

const PREV_TIME = ENTITY_LAYOUT.previousTime;
const PREV_COUNTRY = ENTITY_LAYOUT.previousCountry;

/**
 * Small integer codes for country strings, so each stored event holds a number instead of a
 * string reference, and per-entity country bookkeeping compares numbers. Code 0 is "no country".
 * Append-only: a code, once given, names the same country for the life of the store.
 */
export class CountryCodes {
  private readonly codes = new Map<string, number>();
  /** `names[code]`; `names[0]` is undefined (no country). */
  readonly names: (string | undefined)[] = [undefined];

  /** The code of a country, assigning the next one on first sight; 0 for undefined. */
  code(country: string | undefined): number {
    if (country === undefined) return 0;
    let c = this.codes.get(country);
    if (c === undefined) {
      c = this.names.length;
      this.codes.set(country, c);
      this.names.push(country);
    }
    return c;
  }
}

// One entity's state is one block of doubles from a BlockPool (a view into a large chunk), filled
// to a length kept beside it. Its bytes live outside the V8 heap: the garbage collector neither
// scans nor copies them, and growing it does not churn the young generation (as a plain array of
// doubles did, each growth a new copy that was then promoted). With tens of thousands of entities, scoring is bound by memory latency (each
// transaction touches four random entities), so everything an append needs sits together:
//
//   header     newest time, first retained event, country count, then per window: start, the
//              time of its oldest event, sum, sum of squares. A window reads its edge events
//              only when one actually leaves.
//   countries  [code, newest time] per country seen in the last 30 days (an entity sees few).
//              Queries in the live window are at t >= every event time, so the countries in
//              (t - w, t] are exactly those last seen after t - w: one short list replaces a
//              counted map per window.
//   events     [time, amount, country code] triples in time order (ties in arrival order).
//
// Event indices count events from the start of the events region, which moves by two numbers
// when a country is added or forgotten (rare: a shift within the array).
const LATEST = 0;
/** Index (in events) of the first retained event; earlier ones are evicted lazily. */
const BASE = 1;
/** Number of [code, time] pairs in the countries region. */
const COUNTRIES = 2;
/** Per window, at `WIN + w * WIN_STRIDE`: */
const WIN = 3;
const WIN_STRIDE = 4;
/** Index (in events) of the first event inside the live window of the newest event. */
const START = 0;
/** Time of that event (+Infinity while the window is empty). */
const HEAD = 1;
const SUM = 2;
const SUM_SQ = 3;
const HEADER = WIN + WINDOW_COUNT * WIN_STRIDE;
const STRIDE = 3;
const TIME = 0;
const AMOUNT = 1;
const COUNTRY = 2;

/** Room for the header, one country and two events: most terminals and merchants stay small. */
const INITIAL_CAPACITY = HEADER + 2 + 2 * STRIDE;
/** What a released entity's state points to: nothing to read, nowhere to write. */
const RELEASED = new Float64Array(0);

/** A new entity's state, in a block of `pool` (which may hold old numbers: every header field is set). */
function emptyState(pool: BlockPool): Float64Array {
  const s = pool.alloc(INITIAL_CAPACITY);
  s[LATEST] = Number.NEGATIVE_INFINITY;
  s[BASE] = 0;
  s[COUNTRIES] = 0;
  for (let h = WIN; h < HEADER; h += WIN_STRIDE) {
    s[h + START] = 0;
    s[h + HEAD] = Number.POSITIVE_INFINITY;
    s[h + SUM] = 0;
    s[h + SUM_SQ] = 0;
  }
  return s;
}

/** Where the events region of a state array starts. */
function eventsAt(s: Float64Array): number {
  return HEADER + 2 * (s[COUNTRIES] as number);
}

/**
 * Exact sliding-window aggregates for one entity (an account, card, terminal or merchant).
 *
 * Definition (checked against a brute-force reference in tests): the features of an event at
 * time `t` aggregate every event of the entity observed so far, itself included, whose time is
 * in `(t - w, t]`. Events arriving in time order cost O(1) amortised; a late event is inserted
 * in order and its own features are computed by a scan of its window. Memory holds only events
 * within the longest window plus the allowed lateness of the entity's newest event.
 *
 * The hot path, {@link observeInto}, writes the features into a caller's flat array (layout
 * {@link ENTITY_LAYOUT}) and allocates nothing per event; {@link observe} returns them as objects.
 */
export class EntityWindows {
  /** Header, countries, events (see the layout above); only the first {@link n} numbers are in use. */
  private s: Float64Array;
  private n = HEADER;
  /**
   * The entity's label history, kept here by the feature store when label feedback is on, so a
   * transaction looks each entity up once for both (see `FeatureWindows.observe`).
   */
  labels: LabelHistory | undefined = undefined;

  /**
   * @param pool where the state's blocks come from; the feature store shares one among all its
   *   entities (a standalone entity gets a small pool of its own).
   */
  constructor(
    private readonly latenessMs: number,
    private readonly countries: CountryCodes = new CountryCodes(),
    private readonly pool: BlockPool = new BlockPool(10),
  ) {
    this.s = emptyState(pool);
  }

  /** Gives the state's block back to the pool; the entity must not be used afterwards. */
  release(): void {
    this.pool.free(this.s);
    this.s = RELEASED;
    this.n = 0;
  }

  /** Newest event time seen. */
  get latest(): number {
    return this.s[LATEST] as number;
  }

  /** Number of retained events (for memory accounting and tests). */
  get size(): number {
    return (this.n - eventsAt(this.s)) / STRIDE - (this.s[BASE] as number);
  }

  /** Adds an event and returns the entity's features at its time. */
  observe(o: Observation): EntityFeatures {
    const out = new Array<number>(ENTITY_LAYOUT.size).fill(0);
    this.observeInto(o.timestamp, o.amount, this.countries.code(o.country), out, 0);
    return entityFeaturesAt(out, 0, this.countries.names);
  }

  /**
   * Adds an event (`country` as a {@link CountryCodes} code of this store) and writes the entity's
   * features at its time into `out` from `at`, in the {@link ENTITY_LAYOUT} layout.
   */
  observeInto(timestamp: number, amount: number, country: number, out: number[], at: number): void {
    if (timestamp >= (this.s[LATEST] as number)) this.append(timestamp, amount, country, out, at);
    else this.insertLate(timestamp, amount, country, out, at);
  }

  private append(t: number, amount: number, country: number, out: number[], at: number): void {
    const n = this.n;
    if (n + STRIDE > this.s.length) this.grow(STRIDE);
    const s = this.s;
    const ev = eventsAt(s);
    const events = (n - ev) / STRIDE + 1;
    if (events - 1 > (s[BASE] as number)) {
      out[at + PREV_TIME] = s[n - STRIDE + TIME] as number;
      out[at + PREV_COUNTRY] = s[n - STRIDE + COUNTRY] as number;
    } else {
      out[at + PREV_TIME] = Number.NaN;
      out[at + PREV_COUNTRY] = 0;
    }
    s[n + TIME] = t;
    s[n + AMOUNT] = amount;
    s[n + COUNTRY] = country;
    this.n = n + STRIDE;
    s[LATEST] = t;
    const units = amount / 10_000;
    const sq = units * units;
    for (let w = 0, h = WIN; w < WINDOW_COUNT; w++, h += WIN_STRIDE) {
      let sum = (s[h + SUM] as number) + amount;
      let sumSq = (s[h + SUM_SQ] as number) + sq;
      const edge = t - (WINDOW_MS[w] as number);
      let start = s[h + START] as number;
      if ((s[h + HEAD] as number) <= edge) {
        // The window's oldest events leave: read them (the new event, at least, stays).
        let i = ev + start * STRIDE;
        do {
          const gone = s[i + AMOUNT] as number;
          const goneUnits = gone / 10_000;
          sum -= gone;
          sumSq -= goneUnits * goneUnits;
          start++;
          i += STRIDE;
        } while ((s[i + TIME] as number) <= edge);
        s[h + START] = start;
        s[h + HEAD] = s[i + TIME] as number;
      } else if ((s[h + HEAD] as number) > t) {
        s[h + HEAD] = t; // the window was empty: the new event is its oldest
      }
      s[h + SUM] = sum;
      s[h + SUM_SQ] = sumSq;
      const o = at + w * 4;
      out[o] = events - start;
      out[o + 1] = sum;
      out[o + 2] = sumSq;
      out[o + 3] = 0;
    }
    if (country !== 0) this.markCountry(country, t);
    this.countCountries(out, at, t);
    this.evict();
  }

  private insertLate(t: number, amount: number, country: number, out: number[], at: number): void {
    const p = this.upperBound(t);
    const slot = eventsAt(this.s) + p * STRIDE;
    this.open(slot, STRIDE);
    const s = this.s;
    const ev = eventsAt(s);
    s[slot + TIME] = t;
    s[slot + AMOUNT] = amount;
    s[slot + COUNTRY] = country;
    const units = amount / 10_000;
    const latest = s[LATEST] as number;
    const events = (this.n - ev) / STRIDE;
    for (let w = 0, h = WIN; w < WINDOW_COUNT; w++, h += WIN_STRIDE) {
      if (t > latest - (WINDOW_MS[w] as number)) {
        s[h + SUM] = (s[h + SUM] as number) + amount;
        s[h + SUM_SQ] = (s[h + SUM_SQ] as number) + units * units;
      } else {
        s[h + START] = (s[h + START] as number) + 1;
      }
      const start = s[h + START] as number;
      s[h + HEAD] = start < events ? (s[ev + start * STRIDE + TIME] as number) : Number.POSITIVE_INFINITY;
    }
    const seen = new Set<number>();
    // Scan backwards from the event over its longest window, closing each shorter window on the way.
    const base = s[BASE] as number;
    let i = p;
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    for (let w = 0; w < WINDOW_COUNT; w++) {
      const edge = t - (WINDOW_MS[w] as number);
      while (i >= base && (s[ev + i * STRIDE + TIME] as number) > edge) {
        const a = s[ev + i * STRIDE + AMOUNT] as number;
        count++;
        sum += a;
        sumSq += (a / 10_000) * (a / 10_000);
        const c = s[ev + i * STRIDE + COUNTRY] as number;
        if (c !== 0) seen.add(c);
        i--;
      }
      const o = at + w * 4;
      out[o] = count;
      out[o + 1] = sum;
      out[o + 2] = sumSq;
      out[o + 3] = seen.size;
    }
    const prev = ev + (p - 1) * STRIDE;
    out[at + PREV_TIME] = p - 1 >= base ? (s[prev + TIME] as number) : Number.NaN;
    out[at + PREV_COUNTRY] = p - 1 >= base ? (s[prev + COUNTRY] as number) : 0;
    // Last: a new country shifts the events region.
    if (country !== 0) this.markCountry(country, t);
  }

  /** First retained event index whose time is greater than `t`. */
  private upperBound(t: number): number {
    const s = this.s;
    const ev = eventsAt(s);
    let l = s[BASE] as number;
    let h = (this.n - ev) / STRIDE;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if ((s[ev + mid * STRIDE + TIME] as number) <= t) l = mid + 1;
      else h = mid;
    }
    return l;
  }

  /** Records that `country` was seen at `t`, if that is newer than what is known. */
  private markCountry(country: number, t: number): void {
    const end = eventsAt(this.s);
    for (let i = HEADER; i < end; i += 2) {
      if (this.s[i] === country) {
        if (t > (this.s[i + 1] as number)) this.s[i + 1] = t;
        return;
      }
    }
    this.open(end, 2);
    const s = this.s;
    s[end] = country;
    s[end + 1] = t;
    s[COUNTRIES] = (s[COUNTRIES] as number) + 1;
  }

  /**
   * Fills each window's distinct-country count in one pass over the (short) country list, and
   * forgets countries older than every window.
   */
  private countCountries(out: number[], at: number, t: number): void {
    const s = this.s;
    const stale = t - MAX_WINDOW_MS;
    for (let i = eventsAt(s) - 2; i >= HEADER; i -= 2) {
      const ts = s[i + 1] as number;
      if (ts <= stale) {
        s.copyWithin(i, i + 2, this.n);
        this.n -= 2;
        s[COUNTRIES] = (s[COUNTRIES] as number) - 1;
        continue;
      }
      for (let w = WINDOW_COUNT - 1; w >= 0; w--) {
        if (ts <= t - (WINDOW_MS[w] as number)) break;
        const o = at + w * 4 + 3;
        out[o] = (out[o] as number) + 1;
      }
    }
  }

  /**
   * Drops events no window (even a late event's) can need, compacting the array now and then.
   * The newest event at or before the horizon is kept: a late event may still need it as `previous`.
   */
  private evict(): void {
    const s = this.s;
    const ev = eventsAt(s);
    const horizon = (s[LATEST] as number) - MAX_WINDOW_MS - this.latenessMs;
    let b = s[BASE] as number;
    const limit = s[WIN + (WINDOW_COUNT - 1) * WIN_STRIDE + START] as number;
    while (b + 1 < limit && (s[ev + (b + 1) * STRIDE + TIME] as number) <= horizon) b++;
    s[BASE] = b;
    // Compact once the dead prefix is a quarter of the events: each moved event is paid for by
    // evictions. In place, unless the block is over three times what is left (a quiet entity
    // after a burst, or a card used weekly): then into a smaller one (room for half as much again,
    // so it is not shrunk again at once), so it does not keep months of room.
    const n = this.n;
    if (b >= 8 && b * 4 * STRIDE > n - ev) {
      const dead = b * STRIDE;
      const left = n - dead;
      if (s.length > 3 * left) {
        const smaller = this.pool.alloc(left + (left >> 1));
        smaller.set(s.subarray(0, ev));
        smaller.set(s.subarray(ev + dead, n), ev);
        this.pool.free(s);
        this.s = smaller;
      } else {
        s.copyWithin(ev, ev + dead, n);
      }
      const c = this.s;
      for (let h = WIN; h < HEADER; h += WIN_STRIDE) c[h + START] = (c[h + START] as number) - b;
      c[BASE] = 0;
      this.n = left;
    }
  }

  /** Makes room for at least `extra` more numbers, doubling (amortised O(1) appends). */
  private grow(extra: number): void {
    const s = this.s;
    const bigger = this.pool.alloc(Math.max(this.n + extra, 2 * s.length));
    bigger.set(s.subarray(0, this.n));
    this.pool.free(s);
    this.s = bigger;
  }

  /** Opens a gap of `k` numbers at index `i`, shifting what follows (the caller fills it). */
  private open(i: number, k: number): void {
    if (this.n + k > this.s.length) this.grow(k);
    this.s.copyWithin(i + k, i, this.n);
    this.n += k;
  }
}

/** Reads one entity's features from a flat array (layout {@link ENTITY_LAYOUT}) as objects. */
export function entityFeaturesAt(values: readonly number[], at: number, countryNames: readonly (string | undefined)[]): EntityFeatures {
  const windows: WindowAggregate[] = [];
  for (let w = 0; w < WINDOW_COUNT; w++) {
    const o = at + w * 4;
    windows.push({
      count: values[o] as number,
      sum: values[o + 1] as number,
      sumSq: values[o + 2] as number,
      countries: values[o + 3] as number,
    });
  }
  const previousTime = values[at + PREV_TIME] as number;
  if (Number.isNaN(previousTime)) return { windows };
  return { windows, previous: { timestamp: previousTime, country: countryNames[values[at + PREV_COUNTRY] as number] } };
}
