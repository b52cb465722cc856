import { Sfc32 } from './random.js';

/**
 * Simulated card transactions in the format of the public fraud-detection handbook
 * ("Reproducible Machine Learning for Credit Card Fraud Detection"), reproduced from its published
 * description of the simulator:
 *
 * - customers at a uniform point of a 100×100 grid, each with a mean amount (uniform 5–100), a
 *   standard deviation of half that, and a mean number of transactions a day (uniform 0–4);
 * - terminals at uniform points of the same grid; a customer uses the terminals within `radius`;
 * - each day a Poisson number of transactions per customer, at a time of day drawn from
 *   N(noon, 20,000 s) (draws outside the day are dropped, as the handbook does), an amount drawn
 *   from N(mean, std) rounded to cents (a negative draw is redrawn uniformly in (0, 2 × mean)), and a
 *   terminal drawn uniformly from the customer's;
 * - fraud scenario 1: every amount over 220 is fraud;
 * - fraud scenario 2: each day `compromisedTerminalsPerDay` terminals are compromised for 28 days,
 *   and all their transactions in that time are fraud;
 * - fraud scenario 3: each day `compromisedCustomersPerDay` customers are compromised for 14 days:
 *   a third of their transactions in that time, drawn at random, are multiplied by 5 and are fraud.
 *
 * Transactions are numbered in time order. Everything is drawn from one seeded generator, so the
 * same options give the same bytes.
 */
export interface HandbookOptions {
  customers: number;
  terminals: number;
  /** Days simulated (the handbook's dataset has 183). */
  days: number;
  /** Radius of the grid disc around a customer whose terminals it uses. */
  radius: number;
  seed: number;
  /** First day, `YYYY-MM-DD` (the handbook starts on 2018-04-01). */
  start: string;
  compromisedTerminalsPerDay: number;
  compromisedCustomersPerDay: number;
}

/** The handbook's own simulation: 5,000 customers, 10,000 terminals, 183 days from 2018-04-01. */
export const HANDBOOK_DEFAULTS: HandbookOptions = {
  customers: 5000,
  terminals: 10_000,
  days: 183,
  radius: 5,
  seed: 0,
  start: '2018-04-01',
  compromisedTerminalsPerDay: 2,
  compromisedCustomersPerDay: 3,
};

/** The header of the written CSV: the handbook's columns in its order. */
export const HANDBOOK_HEADER =
  'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO';

/** Simulated transactions as columns, in time order (row i has TRANSACTION_ID i). */
export interface HandbookTransactions {
  length: number;
  /** Seconds since the start of the first day. */
  seconds: Int32Array;
  customer: Int32Array;
  terminal: Int32Array;
  /** Amount in cents. */
  cents: Int32Array;
  /** 0 (genuine) or 1, 2, 3: the fraud scenario. */
  scenario: Uint8Array;
}

const DAY = 86_400;

/**
 * The simulator's generator: sfc32 seeded from three words derived from the seed (not splitmix32
 * as {@link Sfc32}'s constructor does), so files written before the simulator moved here stay
 * byte-identical for the same seed.
 */
function handbookRng(seed: number): Sfc32 {
  return Sfc32.fromWords(0x9e3779b9 ^ seed, 0x243f6a88 + Math.imul(seed, 0x85ebca6b), 0xb7e15162 ^ Math.imul(seed, 0xc2b2ae35), 20);
}

/** Row indices grouped by an integer key, each group in row (time) order. */
function groupRows(keys: Int32Array, length: number, groups: number): { start: Int32Array; rows: Int32Array } {
  const start = new Int32Array(groups + 1);
  for (let i = 0; i < length; i++) {
    const slot = (keys[i] as number) + 1;
    start[slot] = (start[slot] as number) + 1;
  }
  for (let g = 0; g < groups; g++) start[g + 1] = (start[g + 1] as number) + (start[g] as number);
  const fill = start.slice(0, groups);
  const rows = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const g = keys[i] as number;
    rows[fill[g] as number] = i;
    fill[g] = (fill[g] as number) + 1;
  }
  return { start, rows };
}

/**
 * Runs the simulation. Memory is a few typed arrays (about 20 bytes a transaction), so the
 * handbook's 1.75 million transactions take a few seconds and some 40 MB.
 */
export function simulateHandbook(options: Partial<HandbookOptions> = {}): HandbookTransactions {
  const o = { ...HANDBOOK_DEFAULTS, ...options };
  const rng = handbookRng(o.seed);

  // Profiles.
  const cx = new Float64Array(o.customers);
  const cy = new Float64Array(o.customers);
  const meanAmount = new Float64Array(o.customers);
  const perDay = new Float64Array(o.customers);
  for (let c = 0; c < o.customers; c++) {
    cx[c] = rng.float() * 100;
    cy[c] = rng.float() * 100;
    meanAmount[c] = 5 + rng.float() * 95;
    perDay[c] = rng.float() * 4;
  }
  const tx = new Float64Array(o.terminals);
  const ty = new Float64Array(o.terminals);
  for (let t = 0; t < o.terminals; t++) {
    tx[t] = rng.float() * 100;
    ty[t] = rng.float() * 100;
  }

  // Each customer's terminals within the radius, found through a grid of radius-sized cells.
  const cells = Math.max(1, Math.ceil(100 / o.radius));
  const cellOf = (x: number, y: number): number => Math.min(cells - 1, Math.floor(x / o.radius)) * cells + Math.min(cells - 1, Math.floor(y / o.radius));
  const terminalCell = new Int32Array(o.terminals);
  for (let t = 0; t < o.terminals; t++) terminalCell[t] = cellOf(tx[t] as number, ty[t] as number);
  const byCell = groupRows(terminalCell, o.terminals, cells * cells);
  const nearStart = new Int32Array(o.customers + 1);
  const near: number[] = [];
  const r2 = o.radius * o.radius;
  for (let c = 0; c < o.customers; c++) {
    const gx = Math.min(cells - 1, Math.floor((cx[c] as number) / o.radius));
    const gy = Math.min(cells - 1, Math.floor((cy[c] as number) / o.radius));
    const found: number[] = [];
    for (let i = Math.max(0, gx - 1); i <= Math.min(cells - 1, gx + 1); i++) {
      for (let j = Math.max(0, gy - 1); j <= Math.min(cells - 1, gy + 1); j++) {
        const cell = i * cells + j;
        for (let k = byCell.start[cell] as number; k < (byCell.start[cell + 1] as number); k++) {
          const t = byCell.rows[k] as number;
          const dx = (tx[t] as number) - (cx[c] as number);
          const dy = (ty[t] as number) - (cy[c] as number);
          if (dx * dx + dy * dy < r2) found.push(t);
        }
      }
    }
    // Terminal id order, so the uniform choice below does not depend on the grid's layout.
    found.sort((a, b) => a - b);
    near.push(...found);
    nearStart[c + 1] = near.length;
  }
  const nearTerminals = Int32Array.from(near);

  // Transactions, day by day, each day sorted by time (ties in customer order).
  let capacity = Math.max(1024, Math.ceil(o.customers * o.days * 2.2));
  let seconds = new Int32Array(capacity);
  let customer = new Int32Array(capacity);
  let terminal = new Int32Array(capacity);
  let cents = new Int32Array(capacity);
  let n = 0;
  const grow = (): void => {
    capacity *= 2;
    const more = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(capacity);
      b.set(a);
      return b;
    };
    seconds = more(seconds);
    customer = more(customer);
    terminal = more(terminal);
    cents = more(cents);
  };
  let order = new Int32Array(0);
  for (let day = 0; day < o.days; day++) {
    const first = n;
    for (let c = 0; c < o.customers; c++) {
      const count = rng.poisson(perDay[c] as number);
      const from = nearStart[c] as number;
      const choices = (nearStart[c + 1] as number) - from;
      const mean = meanAmount[c] as number;
      for (let k = 0; k < count; k++) {
        const time = Math.round(DAY / 2 + rng.normal() * 20_000);
        let amount = mean + rng.normal() * (mean / 2);
        if (amount < 0) amount = rng.float() * mean * 2;
        // The handbook rounds to cents; a draw that rounds to 0 becomes one cent (amounts are > 0).
        const amountCents = Math.max(1, Math.round(amount * 100));
        if (time <= 0 || time >= DAY || choices === 0) continue;
        if (n === capacity) grow();
        seconds[n] = day * DAY + time;
        customer[n] = c;
        terminal[n] = nearTerminals[from + rng.int(choices)] as number;
        cents[n] = amountCents;
        n++;
      }
    }
    // Sort the day's rows by time, ties in customer order: one numeric sort of time × size + row.
    const size = n - first;
    if (order.length < size) order = new Int32Array(size * 2);
    const keys = new Float64Array(size);
    for (let i = 0; i < size; i++) keys[i] = ((seconds[first + i] as number) - day * DAY) * size + i;
    keys.sort();
    for (const values of [seconds, customer, terminal, cents]) {
      for (let i = 0; i < size; i++) order[i] = values[first + ((keys[i] as number) % size)] as number;
      values.set(order.subarray(0, size), first);
    }
  }

  const scenario = new Uint8Array(n);
  const dayOf = (i: number): number => Math.floor((seconds[i] as number) / DAY);
  // Scenario 1: large amounts.
  for (let i = 0; i < n; i++) if ((cents[i] as number) > 22_000) scenario[i] = 1;
  // Scenario 2: compromised terminals, 28 days.
  const byTerminal = groupRows(terminal.subarray(0, n), n, o.terminals);
  const terminalScratch = new Int32Array(o.terminals);
  for (let day = 0; day < o.days; day++) {
    for (const t of rng.sample(o.terminals, Math.min(o.compromisedTerminalsPerDay, o.terminals), terminalScratch)) {
      for (let k = byTerminal.start[t] as number; k < (byTerminal.start[t + 1] as number); k++) {
        const i = byTerminal.rows[k] as number;
        const d = dayOf(i);
        if (d >= day && d < day + 28) scenario[i] = 2;
      }
    }
  }
  // Scenario 3: compromised customers, 14 days, a third of their transactions ×5.
  const byCustomer = groupRows(customer.subarray(0, n), n, o.customers);
  const customerScratch = new Int32Array(o.customers);
  let windowScratch = new Int32Array(64);
  for (let day = 0; day < o.days; day++) {
    for (const c of rng.sample(o.customers, Math.min(o.compromisedCustomersPerDay, o.customers), customerScratch)) {
      const inWindow: number[] = [];
      for (let k = byCustomer.start[c] as number; k < (byCustomer.start[c + 1] as number); k++) {
        const i = byCustomer.rows[k] as number;
        const d = dayOf(i);
        if (d >= day && d < day + 14) inWindow.push(i);
      }
      if (windowScratch.length < inWindow.length) windowScratch = new Int32Array(inWindow.length * 2);
      for (const pick of rng.sample(inWindow.length, Math.floor(inWindow.length / 3), windowScratch)) {
        const i = inWindow[pick] as number;
        cents[i] = (cents[i] as number) * 5;
        scenario[i] = 3;
      }
    }
  }
  return {
    length: n,
    seconds: seconds.subarray(0, n),
    customer: customer.subarray(0, n),
    terminal: terminal.subarray(0, n),
    cents: cents.subarray(0, n),
    scenario,
  };
}

const pad2 = (x: number): string => (x < 10 ? `0${x}` : String(x));

/** `YYYY-MM-DD` of each simulated day. */
function dayNames(start: string, days: number): string[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  if (Number.isNaN(t0)) throw new RangeError(`start "${start}" is not a YYYY-MM-DD date`);
  return Array.from({ length: days }, (_, d) => new Date(t0 + d * DAY * 1000).toISOString().slice(0, 10));
}

/**
 * The first `rows` transactions (all when undefined) as the handbook's CSV, header first, in
 * chunks of about 8,192 lines. TX_DATETIME is `YYYY-MM-DD HH:MM:SS` without a zone, as pandas
 * writes the handbook's datetimes; `start` is the first simulated day.
 * @example
 * for (const chunk of handbookCsv(simulateHandbook({ seed: 1 }), '2018-04-01')) out.write(chunk);
 */
export function* handbookCsv(t: HandbookTransactions, start: string, rows?: number): Generator<string> {
  const count = Math.min(rows ?? t.length, t.length);
  const last = count > 0 ? Math.floor((t.seconds[count - 1] as number) / DAY) + 1 : 0;
  const days = dayNames(start, last);
  yield `${HANDBOOK_HEADER}\n`;
  // Lines gathered in an array and joined per chunk: appending to one long string makes ropes
  // whose flattening dominated the time.
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const s = t.seconds[i] as number;
    const day = Math.floor(s / DAY);
    const inDay = s - day * DAY;
    const c = t.cents[i] as number;
    const fraud = t.scenario[i] as number;
    lines.push(
      `${i},${days[day] as string} ${pad2(Math.floor(inDay / 3600))}:${pad2(Math.floor(inDay / 60) % 60)}:${pad2(inDay % 60)},` +
        `${t.customer[i] as number},${t.terminal[i] as number},${Math.floor(c / 100)}.${pad2(c % 100)},${s},${day},${fraud > 0 ? 1 : 0},${fraud}\n`,
    );
    if (lines.length === 8192 || i === count - 1) {
      yield lines.join('');
      lines.length = 0;
    }
  }
}
