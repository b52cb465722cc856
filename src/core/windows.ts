import { upperBound } from './search.js';
/** The windows every entity is aggregated over. */
export const WINDOWS = ['1m', '1h', '24h', '7d', '30d'] as const;
/** A window name. */
export type WindowName = (typeof WINDOWS)[number];
/** Window lengths in milliseconds, in {@link WINDOWS} order. */
export const WINDOW_MS: readonly number[] = [60_000, 3_600_000, 86_400_000, 7 * 86_400_000, 30 * 86_400_000];
const MAX_WINDOW_MS = 30 * 86_400_000;

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
 * Exact sliding-window aggregates for one entity (an account, card, terminal or merchant).
 *
 * Definition (checked against a brute-force reference in tests): the features of an event at
 * time `t` aggregate every event of the entity observed so far, itself included, whose time is
 * in `(t - w, t]`. Events arriving in time order cost O(1) amortised; a late event is inserted
 * in order and its own features are computed by a scan of its window. Memory holds only events
 * within the longest window plus the allowed lateness of the entity's newest event.
 */
export class EntityWindows {
  private ts: number[] = [];
  private amt: number[] = [];
  private ctry: (string | undefined)[] = [];
  /** Index of the first retained event (earlier ones are evicted lazily). */
  private base = 0;
  /** Per window: index of the first event inside the live window of the newest event. */
  private readonly start = new Array<number>(WINDOWS.length).fill(0);
  private readonly sum = new Array<number>(WINDOWS.length).fill(0);
  private readonly sumSq = new Array<number>(WINDOWS.length).fill(0);
  /**
   * Newest event time per country. Queries in the live window are at t >= every event time, so
   * the countries in (t - w, t] are exactly those last seen after t - w: one small map replaces
   * a counted map per window.
   */
  private readonly lastSeen = new Map<string, number>();
  /** Newest event time seen. */
  latest = Number.NEGATIVE_INFINITY;

  constructor(private readonly latenessMs: number) {}

  /** Number of retained events (for memory accounting and tests). */
  get size(): number {
    return this.ts.length - this.base;
  }

  /** Adds an event and returns the entity's features at its time. */
  observe(o: Observation): EntityFeatures {
    return o.timestamp >= this.latest ? this.append(o) : this.insertLate(o);
  }

  private append(o: Observation): EntityFeatures {
    const n = this.ts.length;
    const previous = n > this.base ? { timestamp: this.ts[n - 1] as number, country: this.ctry[n - 1] } : undefined;
    this.ts.push(o.timestamp);
    this.amt.push(o.amount);
    this.ctry.push(o.country);
    this.latest = o.timestamp;
    const units = o.amount / 10_000;
    if (o.country !== undefined) this.lastSeen.set(o.country, o.timestamp);
    const windows: WindowAggregate[] = [];
    for (let w = 0; w < WINDOWS.length; w++) {
      this.sum[w] = (this.sum[w] as number) + o.amount;
      this.sumSq[w] = (this.sumSq[w] as number) + units * units;
      const edge = o.timestamp - (WINDOW_MS[w] as number);
      let s = this.start[w] as number;
      while ((this.ts[s] as number) <= edge) {
        this.removeFromWindow(w, s);
        s++;
      }
      this.start[w] = s;
      windows.push({
        count: this.ts.length - s,
        sum: this.sum[w] as number,
        sumSq: this.sumSq[w] as number,
        countries: 0,
      });
    }
    this.countCountries(windows, o.timestamp);
    this.evict();
    return previous ? { windows, previous } : { windows };
  }

  private insertLate(o: Observation): EntityFeatures {
    const p = upperBound(this.ts, this.base, this.ts.length, o.timestamp);
    this.ts.splice(p, 0, o.timestamp);
    this.amt.splice(p, 0, o.amount);
    this.ctry.splice(p, 0, o.country);
    const units = o.amount / 10_000;
    if (o.country !== undefined && o.timestamp > (this.lastSeen.get(o.country) ?? Number.NEGATIVE_INFINITY)) {
      this.lastSeen.set(o.country, o.timestamp);
    }
    for (let w = 0; w < WINDOWS.length; w++) {
      if (o.timestamp > this.latest - (WINDOW_MS[w] as number)) {
        this.sum[w] = (this.sum[w] as number) + o.amount;
        this.sumSq[w] = (this.sumSq[w] as number) + units * units;
      } else {
        this.start[w] = (this.start[w] as number) + 1;
      }
    }
    const windows: WindowAggregate[] = [];
    const seen = new Set<string>();
    // Scan backwards from the event over its longest window, closing each shorter window on the way.
    let i = p;
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    for (let w = 0; w < WINDOWS.length; w++) {
      const edge = o.timestamp - (WINDOW_MS[w] as number);
      while (i >= this.base && (this.ts[i] as number) > edge) {
        const a = this.amt[i] as number;
        count++;
        sum += a;
        sumSq += (a / 10_000) * (a / 10_000);
        const c = this.ctry[i];
        if (c !== undefined) seen.add(c);
        i--;
      }
      windows.push({ count, sum, sumSq, countries: seen.size });
    }
    const prev = p - 1;
    return prev >= this.base
      ? { windows, previous: { timestamp: this.ts[prev] as number, country: this.ctry[prev] } }
      : { windows };
  }

  private removeFromWindow(w: number, i: number): void {
    const a = this.amt[i] as number;
    this.sum[w] = (this.sum[w] as number) - a;
    this.sumSq[w] = (this.sumSq[w] as number) - (a / 10_000) * (a / 10_000);
  }

  /**
   * Fills each window's distinct-country count in one pass over the (small) last-seen map, and
   * forgets countries older than every window.
   */
  private countCountries(windows: WindowAggregate[], t: number): void {
    if (this.lastSeen.size === 0) return;
    const stale = t - MAX_WINDOW_MS;
    this.lastSeen.forEach((ts, country) => {
      if (ts <= stale) {
        this.lastSeen.delete(country);
        return;
      }
      for (let w = WINDOWS.length - 1; w >= 0; w--) {
        if (ts <= t - (WINDOW_MS[w] as number)) break;
        (windows[w] as WindowAggregate).countries++;
      }
    });
  }

  /**
   * Drops events no window (even a late event's) can need, compacting the arrays now and then.
   * The newest event at or before the horizon is kept: a late event may still need it as `previous`.
   */
  private evict(): void {
    const horizon = this.latest - MAX_WINDOW_MS - this.latenessMs;
    let b = this.base;
    const limit = this.start[WINDOWS.length - 1] as number;
    while (b + 1 < limit && (this.ts[b + 1] as number) <= horizon) b++;
    this.base = b;
    if (b > 1024 && b * 2 > this.ts.length) {
      this.ts = this.ts.slice(b);
      this.amt = this.amt.slice(b);
      this.ctry = this.ctry.slice(b);
      for (let w = 0; w < WINDOWS.length; w++) this.start[w] = (this.start[w] as number) - b;
      this.base = 0;
    }
  }
}

