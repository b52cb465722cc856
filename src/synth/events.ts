/**
 * One day's transactions before they are written, as parallel typed arrays (a row per
 * transaction). A day holds tens of thousands of rows that are read back in time order, i.e.
 * in random order: compact arrays keep those reads in cache where objects scattered over the
 * heap did not, and a run allocates almost nothing per row.
 * @example
 * const day = new EventTable();
 * const i = day.add(3600, 0, 0, 1250, 0, 17, 0); // 01:00:00, customer 0, card 0, 12.50
 */
export class EventTable {
  /** Rows in use. */
  length = 0;
  /** Second of the day (UTC). */
  t = new Int32Array(1024);
  customer = new Int32Array(1024);
  /** Card index, or -1 (transfers). */
  card = new Int32Array(1024);
  /** Amount, cents; for a balance-driven amount, computed when written. */
  cents = new Float64Array(1024);
  /** Channel code. */
  channel = new Uint8Array(1024);
  /** Index of the row's place text (merchant to destination country). */
  place = new Int32Array(1024);
  /** 0 legit, else a scenario code. */
  scenario = new Uint8Array(1024);
  /** When > 0 the amount is this share of the balance when written, rounded down to `roundTo` and clamped. */
  share = new Float64Array(1024);
  minCents = new Float64Array(1024);
  maxCents = new Float64Array(1024);
  roundTo = new Float64Array(1024);

  /** Appends a row and returns its index. */
  add(
    t: number,
    customer: number,
    card: number,
    cents: number,
    channel: number,
    place: number,
    scenario: number,
  ): number {
    if (this.length === this.t.length) this.grow();
    const i = this.length++;
    this.t[i] = t;
    this.customer[i] = customer;
    this.card[i] = card;
    this.cents[i] = cents;
    this.channel[i] = channel;
    this.place[i] = place;
    this.scenario[i] = scenario;
    this.share[i] = 0;
    return i;
  }

  /** Makes row `i`'s amount a share of the balance at the time it is written. */
  setShare(i: number, share: number, minCents: number, maxCents: number, roundTo: number): void {
    this.share[i] = share;
    this.minCents[i] = minCents;
    this.maxCents[i] = maxCents;
    this.roundTo[i] = roundTo;
  }

  clear(): void {
    this.length = 0;
  }

  /** Row indexes sorted by time, ties in insertion order (a typed-array sort of packed keys). */
  timeOrder(): Uint32Array {
    const n = this.length;
    const keys = new Float64Array(n);
    const t = this.t;
    // t < 2^18 and n < 2^26: t * 2^26 + i is exact in a double and sorts by (t, i).
    for (let i = 0; i < n; i++) keys[i] = (t[i] as number) * 67_108_864 + i;
    keys.sort();
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const k = keys[i] as number;
      order[i] = k - Math.floor(k / 67_108_864) * 67_108_864;
    }
    return order;
  }

  private grow(): void {
    const n = this.t.length * 2;
    const bigger = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.t = bigger(this.t, (k) => new Int32Array(k));
    this.customer = bigger(this.customer, (k) => new Int32Array(k));
    this.card = bigger(this.card, (k) => new Int32Array(k));
    this.cents = bigger(this.cents, (k) => new Float64Array(k));
    this.channel = bigger(this.channel, (k) => new Uint8Array(k));
    this.place = bigger(this.place, (k) => new Int32Array(k));
    this.scenario = bigger(this.scenario, (k) => new Uint8Array(k));
    this.share = bigger(this.share, (k) => new Float64Array(k));
    this.minCents = bigger(this.minCents, (k) => new Float64Array(k));
    this.maxCents = bigger(this.maxCents, (k) => new Float64Array(k));
    this.roundTo = bigger(this.roundTo, (k) => new Float64Array(k));
  }
}
