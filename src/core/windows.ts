import { BlockPool } from './blockPool.js';

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

// The window state of every entity of one kind lives in a WindowTable, indexed by a dense integer
// id: no object per entity, none per window. Scoring is bound by memory latency (each transaction
// touches four random entities), so what an append needs sits together:
//
//   header   one row of a Float64Array per id: newest time, first retained event, country
//            count, block size in use, block address and capacity, the origin of event times,
//            then per window: start, the time of its oldest event, sum, sum of squares. A window
//            reads its edge events only when one actually leaves.
//   block    from a BlockPool (outside the V8 heap: the garbage collector neither scans nor
//            copies it), holding
//     countries  [code, newest time] per country seen in the last 30 days (an entity sees few).
//                Queries in the live window are at t >= every event time, so the countries in
//                (t - w, t] are exactly those last seen after t - w: one short list replaces a
//                counted map per window.
//     events     one number each, in time order (ties in arrival order), read as two 32-bit words
//                (the pool's word view): the time as milliseconds after the entity's origin, and
//                the amount in whole cents beside the country code, cents × 256 + code. The rare
//                event that does not fit (a fraction of a cent, 2^23 cents or more, a code of 256
//                or more, a time outside the 32 bits after the origin) has WIDE + k as its second
//                word, k indexing a side table of [amount, code, time], freed when the event is
//                dropped; its time word is FAR when the time does not fit.
//
// Retained events span the longest window plus the lateness (37 days by default) and 32 bits of
// milliseconds span 49.7 days, so the origin follows the entity: when an appended time no longer
// fits, the origin moves up to the first retained event and the offsets are rewritten (a pass
// over the entity's events every week or two of its time, or never for one that lives shorter).
//
// Event indices count events from the start of the events region, which moves by two numbers
// when a country is added or forgotten (rare: a shift within the block). Numbers holding events
// are copied as words: read as a double, a pair of words can be a NaN whose bits are not kept.
const LATEST = 0;
/** Index (in events) of the first retained event; earlier ones are evicted lazily. */
const BASE = 1;
/** Number of [code, time] pairs in the countries region. */
const COUNTRIES = 2;
/** Numbers in use in the block. */
const USED = 3;
/** The block's pool address and capacity (capacity 0: the id is free). */
const ADDR = 4;
const CAP = 5;
/** Event times are stored as milliseconds after this integer (NaN before the first event). */
const ORIGIN = 6;
/** Per window, at `WIN + w * WIN_STRIDE`: */
const WIN = 7;
const WIN_STRIDE = 4;
/** Index (in events) of the first event inside the live window of the newest event. */
const START = 0;
/** Time of that event (+Infinity while the window is empty). */
const HEAD = 1;
const SUM = 2;
const SUM_SQ = 3;
/** Header numbers per id. */
const HEADER = WIN + WINDOW_COUNT * WIN_STRIDE;
/** Time word of an event whose time is in the side table. */
const FAR = 0xffff_ffff;
/** Second words from here on are WIDE + k: the event is in slot k of the side table. */
const WIDE = 0x8000_0000;
/** Country codes packed beside the cents: cents × CODES + code. */
const CODE_BITS = 8;
const CODES = 1 << CODE_BITS;
const CODE_MASK = CODES - 1;
/** Amounts below this many cents pack: 2^23 × 256 = WIDE. */
const PACKABLE_CENTS = 2 ** 23;
/** E4 units per cent. */
const CENT = 100;
/** Numbers per side-table slot: amount, code, time. */
const WIDE_STRIDE = 3;
/**
 * The least move of an origin worth rewriting the entity's offsets for (about 3 days): an
 * entity whose retained events span nearly 32 bits of milliseconds keeps its origin, and its
 * newest events go to the side table, rather than being rewritten at every event.
 */
const MIN_ORIGIN_MOVE = 2 ** 28;
/** How far before its first event an entity's first origin is put, at most (about 24.9 days). */
const MAX_FIRST_MARGIN = 2 ** 31;

/** Room for one country and two events: most terminals and merchants stay small. */
const INITIAL_CAPACITY = 2 + 2;

/**
 * Exact sliding-window aggregates for many entities of one kind (accounts, cards, terminals or
 * merchants), each a dense integer id from {@link add}.
 *
 * Definition (checked against a brute-force reference in tests): the features of an event at
 * time `t` aggregate every event of the entity observed so far, itself included, whose time is
 * in `(t - w, t]`. Events arriving in time order cost O(1) amortised; a late event is inserted
 * in order and its own features are computed by a scan of its window. Memory holds only events
 * within the longest window plus the allowed lateness of the entity's newest event, 8 bytes
 * each (an event with an amount in fractions of a cent, or over 83,886.07, takes a side-table
 * slot as well).
 *
 * {@link observeInto} writes the features into a caller's flat array (layout
 * {@link ENTITY_LAYOUT}) and allocates nothing per event.
 *
 * @example
 * const table = new WindowTable(7 * 86_400_000, new CountryCodes(), new BlockPool());
 * const id = table.add();
 * const out = new Float64Array(ENTITY_LAYOUT.size);
 * table.observeInto(id, Date.UTC(2024, 0, 1), 125_000, 0, out, 0); // out[ENTITY_LAYOUT.count] === 1
 */
export class WindowTable {
  /** Header rows, {@link HEADER} numbers per id. */
  private h: Float64Array = new Float64Array(HEADER * 64);
  /** Ids handed out so far (free ones included). */
  private ids = 0;
  private readonly freeIds: number[] = [];
  /** Events that did not pack: [amount, code, time] per slot; free slots listed in `wideFree`. */
  private readonly wide: number[] = [];
  private readonly wideFree: number[] = [];
  /** Countries met by a late event's scan (reused: no allocation per event). */
  private readonly seen = new Set<number>();
  /** Where a new entity's origin goes before its first event: room for its late events. */
  private readonly firstMargin: number;

  /**
   * @param latenessMs how late behind an entity's newest event an event may arrive and still get
   *   exact features.
   * @param countries the store's country codes (events hold codes, features report them).
   * @param pool where the entities' blocks come from.
   */
  constructor(
    private readonly latenessMs: number,
    readonly countries: CountryCodes,
    private readonly pool: BlockPool,
  ) {
    this.firstMargin = Math.min(MAX_FIRST_MARGIN, Math.max(0, Math.ceil(latenessMs)));
  }

  /** A new entity with no events; ids of released entities are reused. */
  add(): number {
    const id = this.freeIds.pop() ?? this.ids++;
    if ((id + 1) * HEADER > this.h.length) {
      const bigger = new Float64Array(this.h.length * 2);
      bigger.set(this.h);
      this.h = bigger;
    }
    const h = this.h;
    const b = id * HEADER;
    h[b + LATEST] = Number.NEGATIVE_INFINITY;
    h[b + BASE] = 0;
    h[b + COUNTRIES] = 0;
    h[b + USED] = 0;
    h[b + ADDR] = this.pool.allocAt(INITIAL_CAPACITY);
    h[b + CAP] = this.pool.sizeOf(INITIAL_CAPACITY);
    h[b + ORIGIN] = Number.NaN;
    for (let w = b + WIN; w < b + HEADER; w += WIN_STRIDE) {
      h[w + START] = 0;
      h[w + HEAD] = Number.POSITIVE_INFINITY;
      h[w + SUM] = 0;
      h[w + SUM_SQ] = 0;
    }
    return id;
  }

  /** Gives the entity's block back to the pool; its id may be handed out again by {@link add}. */
  release(id: number): void {
    const h = this.h;
    const b = id * HEADER;
    const addr = h[b + ADDR] as number;
    const o = this.pool.offset(addr);
    this.dropWide(this.pool.words(addr), o + 2 * (h[b + COUNTRIES] as number), o + (h[b + USED] as number));
    this.pool.freeAt(addr, h[b + CAP] as number);
    h[b + CAP] = 0;
    this.freeIds.push(id);
  }

  /** Newest event time of the entity (-Infinity before its first). */
  latest(id: number): number {
    return this.h[id * HEADER + LATEST] as number;
  }

  /** Number of retained events of the entity (for memory accounting and tests). */
  size(id: number): number {
    const b = id * HEADER;
    const h = this.h;
    return (h[b + USED] as number) - 2 * (h[b + COUNTRIES] as number) - (h[b + BASE] as number);
  }

  /** Numbers held in headers and the side table of unpacked events (for memory accounting and tests). */
  get numbers(): number {
    return this.h.length + this.wide.length;
  }

  /**
   * Adds an event to entity `id` (`country` as a {@link CountryCodes} code of this store) and
   * writes the entity's features at its time into `out` from `at`, in the {@link ENTITY_LAYOUT}
   * layout (every number of the entity's part is written).
   */
  observeInto(id: number, timestamp: number, amount: number, country: number, out: Float64Array, at: number): void {
    const b = id * HEADER;
    if (timestamp >= (this.h[b + LATEST] as number)) this.append(b, timestamp, amount, country, out, at);
    else this.insertLate(b, timestamp, amount, country, out, at);
  }

  /**
   * Reads, and changes nothing, what an event at `t` of entity `id` will read: its header, its
   * newest event, its countries, its oldest retained events and the first event of each window
   * that one will leave. Called a few
   * transactions ahead of {@link observeInto}, it lets those cache misses overlap with each other
   * and with the work in between, where {@link observeInto} would wait for them one after the
   * other. Returns a number made of what it read, so that the reads are not left out.
   */
  touch(id: number, t: number): number {
    const h = this.h;
    const b = id * HEADER;
    const addr = h[b + ADDR] as number;
    const u = this.pool.words(addr);
    const o = this.pool.offset(addr);
    const ev = 2 * (o + 2 * (h[b + COUNTRIES] as number));
    const n = 2 * (o + (h[b + USED] as number));
    // The newest event, the countries (at the block's start) and the oldest retained events.
    let seen = (u[n - 1] ?? 0) ^ (u[2 * o] ?? 0) ^ (u[ev + 2 * (h[b + BASE] as number) + 2] ?? 0);
    for (let w = 0, x = b + WIN; w < WINDOW_COUNT; w++, x += WIN_STRIDE) {
      if ((h[x + HEAD] as number) <= t - (WINDOW_MS[w] as number)) seen ^= u[ev + 2 * (h[x + START] as number)] ?? 0;
    }
    return seen;
  }

  private append(b: number, t: number, amount: number, country: number, out: Float64Array, at: number): void {
    if ((this.h[b + USED] as number) + 1 > (this.h[b + CAP] as number)) this.makeRoom(b);
    const h = this.h;
    const pool = this.pool;
    const addr = h[b + ADDR] as number;
    const u = pool.words(addr);
    const o = pool.offset(addr);
    const n = o + (h[b + USED] as number);
    const ev = o + 2 * (h[b + COUNTRIES] as number);
    const events = n - ev + 1;
    let origin = h[b + ORIGIN] as number;
    if (events - 1 > (h[b + BASE] as number)) {
      out[at + PREV_TIME] = this.timeAt(u, 2 * n - 2, origin);
      out[at + PREV_COUNTRY] = this.countryOf(u[2 * n - 1] as number);
    } else {
      out[at + PREV_TIME] = Number.NaN;
      out[at + PREV_COUNTRY] = 0;
    }
    // (NaN, before the first event, is not below FAR either)
    if (!(t - origin < FAR)) origin = this.moveOrigin(b, t);
    this.store(u, 2 * n, t, amount, country, origin);
    h[b + USED] = n + 1 - o;
    h[b + LATEST] = t;
    const units = amount / 10_000;
    const sq = units * units;
    for (let w = 0, x = b + WIN; w < WINDOW_COUNT; w++, x += WIN_STRIDE) {
      let sum = (h[x + SUM] as number) + amount;
      let sumSq = (h[x + SUM_SQ] as number) + sq;
      const edge = t - (WINDOW_MS[w] as number);
      let start = h[x + START] as number;
      if ((h[x + HEAD] as number) <= edge) {
        // The window's oldest events leave: read them (the new event, at least, stays).
        let j = 2 * (ev + start);
        let next: number;
        do {
          const gone = this.amountOf(u[j + 1] as number);
          const goneUnits = gone / 10_000;
          sum -= gone;
          sumSq -= goneUnits * goneUnits;
          start++;
          j += 2;
          next = this.timeAt(u, j, origin);
        } while (next <= edge);
        h[x + START] = start;
        h[x + HEAD] = next;
      } else if ((h[x + HEAD] as number) > t) {
        h[x + HEAD] = t; // the window was empty: the new event is its oldest
      }
      h[x + SUM] = sum;
      h[x + SUM_SQ] = sumSq;
      const f = at + w * 4;
      out[f] = events - start;
      out[f + 1] = sum;
      out[f + 2] = sumSq;
      out[f + 3] = 0;
    }
    if (country !== 0) this.markCountry(b, country, t);
    this.countCountries(b, out, at, t);
    this.evict(b);
  }

  private insertLate(b: number, t: number, amount: number, country: number, out: Float64Array, at: number): void {
    const p = this.upperBound(b, t);
    this.open(b, 2 * (this.h[b + COUNTRIES] as number) + p, 1);
    const h = this.h;
    const pool = this.pool;
    const addr = h[b + ADDR] as number;
    const u = pool.words(addr);
    const o = pool.offset(addr);
    const ev = o + 2 * (h[b + COUNTRIES] as number);
    const origin = h[b + ORIGIN] as number;
    this.store(u, 2 * (ev + p), t, amount, country, origin);
    const units = amount / 10_000;
    const latest = h[b + LATEST] as number;
    const events = o + (h[b + USED] as number) - ev;
    for (let w = 0, x = b + WIN; w < WINDOW_COUNT; w++, x += WIN_STRIDE) {
      if (t > latest - (WINDOW_MS[w] as number)) {
        h[x + SUM] = (h[x + SUM] as number) + amount;
        h[x + SUM_SQ] = (h[x + SUM_SQ] as number) + units * units;
      } else {
        h[x + START] = (h[x + START] as number) + 1;
      }
      const start = h[x + START] as number;
      h[x + HEAD] = start < events ? this.timeAt(u, 2 * (ev + start), origin) : Number.POSITIVE_INFINITY;
    }
    const seen = this.seen;
    seen.clear();
    // Scan backwards from the event over its longest window, closing each shorter window on the way.
    const base = h[b + BASE] as number;
    let i = p;
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    for (let w = 0; w < WINDOW_COUNT; w++) {
      const edge = t - (WINDOW_MS[w] as number);
      while (i >= base && this.timeAt(u, 2 * (ev + i), origin) > edge) {
        const packed = u[2 * (ev + i) + 1] as number;
        const a = this.amountOf(packed);
        count++;
        sum += a;
        sumSq += (a / 10_000) * (a / 10_000);
        const c = this.countryOf(packed);
        if (c !== 0) seen.add(c);
        i--;
      }
      const f = at + w * 4;
      out[f] = count;
      out[f + 1] = sum;
      out[f + 2] = sumSq;
      out[f + 3] = seen.size;
    }
    const prev = 2 * (ev + p - 1);
    out[at + PREV_TIME] = p - 1 >= base ? this.timeAt(u, prev, origin) : Number.NaN;
    out[at + PREV_COUNTRY] = p - 1 >= base ? this.countryOf(u[prev + 1] as number) : 0;
    // Last: a new country shifts the events region.
    if (country !== 0) this.markCountry(b, country, t);
  }

  /** Writes an event at words `j` and `j + 1` (see the layout above). */
  private store(u: Uint32Array, j: number, t: number, amount: number, country: number, origin: number): void {
    const offset = t - origin;
    const timeFits = offset >= 0 && offset < FAR && Number.isInteger(offset);
    const cents = amount / CENT;
    if (timeFits && country < CODES && cents >= 0 && cents < PACKABLE_CENTS && Number.isInteger(cents) && cents * CENT === amount) {
      u[j] = offset;
      u[j + 1] = cents * CODES + country;
      return;
    }
    const k = this.wideFree.pop() ?? this.wide.length / WIDE_STRIDE;
    this.wide[WIDE_STRIDE * k] = amount;
    this.wide[WIDE_STRIDE * k + 1] = country;
    this.wide[WIDE_STRIDE * k + 2] = t;
    u[j] = timeFits ? offset : FAR;
    u[j + 1] = WIDE + k;
  }

  /** The time of the event at words `j` and `j + 1`. */
  private timeAt(u: Uint32Array, j: number, origin: number): number {
    const x = u[j] as number;
    return x !== FAR ? origin + x : (this.wide[WIDE_STRIDE * ((u[j + 1] as number) - WIDE) + 2] as number);
  }

  /** The amount (E4) of an event from its second word. */
  private amountOf(packed: number): number {
    return packed < WIDE ? (packed >>> CODE_BITS) * CENT : (this.wide[WIDE_STRIDE * (packed - WIDE)] as number);
  }

  /** The country code of an event from its second word. */
  private countryOf(packed: number): number {
    return packed < WIDE ? packed & CODE_MASK : (this.wide[WIDE_STRIDE * (packed - WIDE) + 1] as number);
  }

  /**
   * The origin for an event at `t` that does not fit after the current one: before the first
   * event, `t` less the room for late events; later, the first retained event's time, the
   * retained offsets rewritten, when that moves the origin far enough for `t` to fit (else the
   * origin stays, and the event goes to the side table).
   */
  private moveOrigin(b: number, t: number): number {
    const h = this.h;
    const origin = h[b + ORIGIN] as number;
    const addr = h[b + ADDR] as number;
    const u = this.pool.words(addr);
    const ev = this.pool.offset(addr) + 2 * (h[b + COUNTRIES] as number);
    const n = this.pool.offset(addr) + (h[b + USED] as number);
    const first = ev + (h[b + BASE] as number);
    if (first >= n) {
      // No event yet: room for late ones before this one.
      const fresh = Math.floor(t) - this.firstMargin;
      if (Number.isFinite(fresh)) h[b + ORIGIN] = fresh;
      return h[b + ORIGIN] as number;
    }
    const to = Math.floor(this.timeAt(u, 2 * first, origin));
    const move = to - origin;
    if (!(move >= MIN_ORIGIN_MOVE && t - to < FAR)) return origin;
    for (let j = 2 * first; j < 2 * n; j += 2) {
      const x = u[j] as number;
      if (x !== FAR) u[j] = x - move;
    }
    h[b + ORIGIN] = to;
    return to;
  }

  /** Frees the side-table slots of the events in numbers `[from, to)`, which are being dropped. */
  private dropWide(u: Uint32Array, from: number, to: number): void {
    for (let j = 2 * from + 1; j < 2 * to; j += 2) {
      const p = u[j] as number;
      if (p >= WIDE) this.wideFree.push(p - WIDE);
    }
  }

  /** First retained event index whose time is greater than `t`. */
  private upperBound(b: number, t: number): number {
    const h = this.h;
    const addr = h[b + ADDR] as number;
    const u = this.pool.words(addr);
    const ev = this.pool.offset(addr) + 2 * (h[b + COUNTRIES] as number);
    const origin = h[b + ORIGIN] as number;
    let l = h[b + BASE] as number;
    let r = (h[b + USED] as number) - 2 * (h[b + COUNTRIES] as number);
    while (l < r) {
      const mid = (l + r) >>> 1;
      if (this.timeAt(u, 2 * (ev + mid), origin) <= t) l = mid + 1;
      else r = mid;
    }
    return l;
  }

  /** Records that `country` was seen at `t`, if that is newer than what is known. */
  private markCountry(b: number, country: number, t: number): void {
    let addr = this.h[b + ADDR] as number;
    let s = this.pool.chunk(addr);
    let o = this.pool.offset(addr);
    const end = 2 * (this.h[b + COUNTRIES] as number);
    for (let i = o; i < o + end; i += 2) {
      if (s[i] === country) {
        if (t > (s[i + 1] as number)) s[i + 1] = t;
        return;
      }
    }
    this.open(b, end, 2);
    const h = this.h;
    addr = h[b + ADDR] as number;
    s = this.pool.chunk(addr);
    o = this.pool.offset(addr);
    s[o + end] = country;
    s[o + end + 1] = t;
    h[b + COUNTRIES] = (h[b + COUNTRIES] as number) + 1;
  }

  /**
   * Fills each window's distinct-country count in one pass over the (short) country list, and
   * forgets countries older than every window.
   */
  private countCountries(b: number, out: Float64Array, at: number, t: number): void {
    const h = this.h;
    const addr = h[b + ADDR] as number;
    const s = this.pool.chunk(addr);
    const o = this.pool.offset(addr);
    const stale = t - MAX_WINDOW_MS;
    for (let i = o + 2 * (h[b + COUNTRIES] as number) - 2; i >= o; i -= 2) {
      const ts = s[i + 1] as number;
      if (ts <= stale) {
        const n = h[b + USED] as number;
        s.copyWithin(i, i + 2, o + n);
        h[b + USED] = n - 2;
        h[b + COUNTRIES] = (h[b + COUNTRIES] as number) - 1;
        continue;
      }
      for (let w = WINDOW_COUNT - 1; w >= 0; w--) {
        if (ts <= t - (WINDOW_MS[w] as number)) break;
        const f = at + w * 4 + 3;
        out[f] = (out[f] as number) + 1;
      }
    }
  }

  /**
   * Drops events no window (even a late event's) can need, compacting the block now and then.
   * The newest event at or before the horizon is kept: a late event may still need it as `previous`.
   */
  private evict(b: number): void {
    const h = this.h;
    const pool = this.pool;
    const addr = h[b + ADDR] as number;
    const u = pool.words(addr);
    const o = pool.offset(addr);
    const evAt = 2 * (h[b + COUNTRIES] as number);
    const ev = o + evAt;
    const origin = h[b + ORIGIN] as number;
    const horizon = (h[b + LATEST] as number) - MAX_WINDOW_MS - this.latenessMs;
    let base = h[b + BASE] as number;
    const limit = h[b + WIN + (WINDOW_COUNT - 1) * WIN_STRIDE + START] as number;
    while (base + 1 < limit && this.timeAt(u, 2 * (ev + base + 1), origin) <= horizon) base++;
    h[b + BASE] = base;
    // Compact once the dead prefix is a quarter of the events: each moved event is paid for by
    // evictions.
    if (base >= 8 && base * 4 > (h[b + USED] as number) - evAt) this.compact(b);
  }

  /**
   * Room for one more number at the end of a full block: the dead prefix dropped if it is an
   * eighth of the events or more (each moved event paid for by evictions), else a block a quarter
   * larger (amortised O(1) appends; more would leave blocks about three quarters full on average).
   */
  private makeRoom(b: number): void {
    const h = this.h;
    const base = h[b + BASE] as number;
    if (base > 0 && base * 8 >= (h[b + USED] as number) - 2 * (h[b + COUNTRIES] as number)) this.compact(b);
    if ((h[b + USED] as number) + 1 > (h[b + CAP] as number)) this.grow(b, 1);
  }

  /**
   * Drops the dead prefix of the entity's events: in place, unless the block is over twice what
   * is left (a quiet entity after a burst, or a card used weekly): then into a smaller one (room
   * for a quarter as much again, so it is not shrunk again at once), so it does not keep months
   * of room.
   */
  private compact(b: number): void {
    const h = this.h;
    const pool = this.pool;
    const addr = h[b + ADDR] as number;
    const u = pool.words(addr);
    const o = pool.offset(addr);
    const evAt = 2 * (h[b + COUNTRIES] as number);
    const ev = o + evAt;
    const base = h[b + BASE] as number;
    const used = h[b + USED] as number;
    const left = used - base;
    this.dropWide(u, ev, ev + base);
    const cap = h[b + CAP] as number;
    if (cap > 2 * left) {
      const want = left + (left >> 2) + 1;
      const to = pool.allocAt(want);
      const d = pool.words(to);
      const p = 2 * pool.offset(to);
      const from = 2 * o;
      for (let j = 0; j < 2 * evAt; j++) d[p + j] = u[from + j] as number;
      for (let j = 2 * evAt, skip = from + 2 * base; j < 2 * left; j++) d[p + j] = u[skip + j] as number;
      pool.freeAt(addr, cap);
      h[b + ADDR] = to;
      h[b + CAP] = pool.sizeOf(want);
    } else {
      u.copyWithin(2 * ev, 2 * (ev + base), 2 * (o + used));
    }
    for (let x = b + WIN; x < b + HEADER; x += WIN_STRIDE) h[x + START] = (h[x + START] as number) - base;
    h[b + BASE] = 0;
    h[b + USED] = left;
  }

  /** Makes room for at least `extra` more numbers, growing by a quarter at least (amortised O(1) appends). */
  private grow(b: number, extra: number): void {
    const h = this.h;
    const pool = this.pool;
    const addr = h[b + ADDR] as number;
    const cap = h[b + CAP] as number;
    const used = h[b + USED] as number;
    const want = Math.max(used + extra, cap + (cap >> 2));
    const to = pool.allocAt(want);
    const u = pool.words(addr);
    const from = 2 * pool.offset(addr);
    const d = pool.words(to);
    const p = 2 * pool.offset(to);
    for (let j = 0; j < 2 * used; j++) d[p + j] = u[from + j] as number;
    pool.freeAt(addr, cap);
    h[b + ADDR] = to;
    h[b + CAP] = pool.sizeOf(want);
  }

  /** Opens a gap of `k` numbers at block index `i`, shifting what follows (the caller fills it). */
  private open(b: number, i: number, k: number): void {
    if ((this.h[b + USED] as number) + k > (this.h[b + CAP] as number)) this.grow(b, k);
    const h = this.h;
    const addr = h[b + ADDR] as number;
    const s = this.pool.chunk(addr);
    const o = this.pool.offset(addr);
    const used = h[b + USED] as number;
    s.copyWithin(o + i + k, o + i, o + used);
    h[b + USED] = used + k;
  }
}

/**
 * Exact sliding-window aggregates for one entity: a {@link WindowTable} of one, for standalone use
 * and tests (the feature store keeps one table per entity kind instead).
 */
export class EntityWindows {
  private readonly table: WindowTable;
  private readonly id: number;

  /**
   * @param pool where the state's blocks come from (entities may share one; a standalone entity
   *   gets a small pool of its own).
   */
  constructor(latenessMs: number, countries: CountryCodes = new CountryCodes(), pool: BlockPool = new BlockPool(10)) {
    this.table = new WindowTable(latenessMs, countries, pool);
    this.id = this.table.add();
  }

  /** Gives the state's block back to the pool; the entity must not be used afterwards. */
  release(): void {
    this.table.release(this.id);
  }

  /** Newest event time seen. */
  get latest(): number {
    return this.table.latest(this.id);
  }

  /** Number of retained events (for memory accounting and tests). */
  get size(): number {
    return this.table.size(this.id);
  }

  /** Adds an event and returns the entity's features at its time. */
  observe(o: Observation): EntityFeatures {
    const out = new Float64Array(ENTITY_LAYOUT.size);
    this.observeInto(o.timestamp, o.amount, this.table.countries.code(o.country), out, 0);
    return entityFeaturesAt(out, 0, this.table.countries.names);
  }

  /** As {@link WindowTable.observeInto}, for this entity. */
  observeInto(timestamp: number, amount: number, country: number, out: Float64Array, at: number): void {
    this.table.observeInto(this.id, timestamp, amount, country, out, at);
  }
}

/** Reads one entity's features from a flat array (layout {@link ENTITY_LAYOUT}) as objects. */
export function entityFeaturesAt(values: ArrayLike<number>, at: number, countryNames: readonly (string | undefined)[]): EntityFeatures {
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
