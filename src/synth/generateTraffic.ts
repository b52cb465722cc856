import {
  type CategorySpec,
  COUNTRIES,
  type CountrySpec,
  countryDistance,
  ECOM,
  ECOM_CATEGORIES,
  POS_CATEGORIES,
} from './catalog.js';
import { EventTable } from './events.js';
import { datePrefix, RowWriter, TextTable } from './format.js';
import { cumulative, normalQuantiles, Sfc32 } from './random.js';
import { LEGIT, type Scenario, SCENARIOS, scenarioCode } from './scenarios.js';
import {
  buildWorld,
  type City,
  type Customer,
  type Habits,
  MAX_FAVOURITES,
  type OnlineMerchant,
  type Trip,
  type World,
} from './world.js';

/** Options of {@link generateTraffic}. */
export interface TrafficOptions {
  customers: number;
  days: number;
  /** Any 32-bit unsigned integer: the same seed and options give the same bytes. */
  seed: number;
  /** Epoch milliseconds of the first day; the time of day is ignored (days start 00:00 UTC). */
  start: number;
  /** Bytes per chunk, roughly. @default 1 MiB */
  chunkBytes?: number;
}

/** A piece of the CSV output with how far the run has got. */
export interface TrafficChunk {
  /** CSV text as ASCII bytes: the header in the first chunk, then whole rows. */
  csv: Uint8Array;
  /** Days fully generated so far (for progress). */
  daysDone: number;
  /** Data rows generated so far. */
  rows: number;
  /** Fraud rows generated so far, per scenario. */
  frauds: Record<Scenario, number>;
}

/** The header row of generated files. */
export const TRAFFIC_HEADER =
  'transaction_id,timestamp,account_id,card_number,amount,currency,merchant,merchant_category,terminal_id,country,' +
  'origin_country,destination_country,account_balance,channel,label,scenario';

/**
 * Incidents per customer per day of each scenario ({@link SCENARIOS} order). With about 3.5
 * transactions per customer-day they make a little under 1% of rows fraud.
 */
const INCIDENT_RATES: readonly number[] = [0.0006, 0.0016, 0.0002, 0.0005, 0.0003, 0.0011, 0.0011, 0.0008];

/** From this many customer-days on, every scenario occurs at least once. */
const MIN_CUSTOMER_DAYS_FOR_EVERY_SCENARIO = 1000;

const CARD_TESTING = scenarioCode('card_testing');
const HIGH_AMOUNT = scenarioCode('high_amount');
const COMPROMISED_TERMINAL = scenarioCode('compromised_terminal');
const COMPROMISED_CARD = scenarioCode('compromised_card');
const VELOCITY_BURST = scenarioCode('velocity_burst');
const IMPOSSIBLE_TRAVEL = scenarioCode('impossible_travel');
const CROSS_BORDER_TRANSFER = scenarioCode('cross_border_transfer');
const BALANCE_DRAIN = scenarioCode('balance_drain');

const POS_CH = 0;
const ECOM_CH = 1;
const ATM_CH = 2;
const TRANSFER_CH = 3;

const CHANNELS = ['pos', 'ecom', 'atm', 'transfer'];

/** Where a customer is at a moment of a day. */
const HOME = 0;
const ABROAD = 1;
const IN_FLIGHT = 2;

/** A legit debit that would take the balance below minus this many cents is declined (no row). */
const OVERDRAFT_CENTS = 50_000;

/** What card testers try a card with, cents: mostly whole dollars. */
const TEST_AMOUNTS = [100, 100, 200, 300, 500, 500, 1000, 1500, 2000, 2500];

/** Nice values people pick for gift cards, donations and money sent to friends, in dollars. */
const NICE = [5, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 120, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000];

/** Card-present categories a visitor uses, relative weights. */
const TOURIST_WEIGHTS: Record<string, number> = {
  grocery: 6,
  restaurant: 30,
  cafe: 18,
  fuel: 3,
  retail: 10,
  pharmacy: 3,
  fashion: 8,
  electronics: 2,
  home: 0.5,
  entertainment: 12,
};

/** exp(sigma * z) at 4096 normal quantiles z, per category: a log-normal draw is one lookup. */
const Z = normalQuantiles(4096);
const POS_SPREAD = POS_CATEGORIES.map((c) => Z.map((z) => Math.exp(c.sigma * z)));
const ECOM_SPREAD = ECOM_CATEGORIES.map((c) => Z.map((z) => Math.exp(c.sigma * z)));

/** Stores where one payment can be large. */
const BIG_STORE: Record<string, number> = { electronics: 5, home: 4, fashion: 2, retail: 2, grocery: 0.5 };

interface Incident {
  scenario: number;
  customer: number;
}

/**
 * Generates labelled card and account traffic as CSV, day by day in timestamp order:
 * customers with homes, daily rhythms, habits and incomes shop near home and online, take
 * cash, ride transit, travel and send money; fraud scenarios are planted on top (README,
 * "Generate labelled data"). Pure: no I/O, no clock, no `Math.random`, so the same options
 * always give the same bytes. Memory grows with customers, not with days.
 * @example
 * for (const chunk of generateTraffic({ customers: 100, days: 7, seed: 1, start: Date.UTC(2026, 0, 1) })) {
 *   out.write(chunk.csv);
 * }
 */
export function* generateTraffic(options: TrafficOptions): Generator<TrafficChunk> {
  const sim = new Simulator(options);
  const out = sim.out;
  for (let day = 0; day < options.days; day++) {
    const events = sim.simulateDay(day);
    const order = events.timeOrder();
    for (let k = 0; k < order.length; k++) {
      sim.writeRow(events, order[k] as number);
      if (out.full) yield sim.chunk(out.take(), day);
    }
    yield sim.chunk(out.take(), day + 1);
  }
  if (options.days <= 0) yield sim.chunk(out.take(), 0);
}

/** The state of one run: the world, the random stream, balances and what happens each day. */
class Simulator {
  readonly startSec: number;
  private readonly rng: Sfc32;
  private readonly world: World;
  private readonly customers: Customer[];
  private readonly habits: Habits;
  private readonly days: number;
  /** Category of each terminal, for the amount of a payment there. */
  private readonly terminalCategory: Int32Array;
  /** Skimmer windows per terminal and leak windows per card, epoch seconds (0/0: none). */
  private readonly terminalFrom: Float64Array;
  private readonly terminalUntil: Float64Array;
  private readonly cardFrom: Float64Array;
  private readonly cardUntil: Float64Array;
  /** While a card is compromised: the share of its payments inflated, and by how much. */
  private readonly cardInflateShare: Float64Array;
  private readonly cardInflateLow: Float64Array;
  private readonly cardInflateHigh: Float64Array;
  /** Balance of each account, cents. */
  private readonly balance: Float64Array;
  private rows = 0;
  private readonly frauds = new Float64Array(SCENARIOS.length + 1);
  private today = new EventTable();
  private tomorrow = new EventTable();
  private readonly incidents: Incident[][] = [];
  /** Today's legit rows of each customer: [first, end) indexes into `today`. */
  private readonly firstEvent: Int32Array;
  private readonly endEvent: Int32Array;
  private dayStart = 0;
  private day = 0;
  private dayOfWeek = 0;
  readonly out: RowWriter;
  // Text that always goes together is encoded together once, in a TextTable: ids of the first
  // of each kind. Places: `,USD,merchant,category,terminal,country,origin,destination,` of
  // each terminal, then each online merchant, then each transfer route.
  private readonly idPrefixText: number;
  /** `account_id,card_number,` of each card. */
  private readonly cardText: number;
  /** `account_id,,` of each customer (transfers carry no card). */
  private readonly accountText: number;
  private readonly placeText: number;
  /** `,channel,label,scenario\n` of each channel and scenario code. */
  private readonly rowEndText: number;
  /** `YYYY-MM-DDT` of each day. */
  private readonly dateText: number;
  /** Place ids (relative to placeText) of the first online merchant and transfer route. */
  private readonly onlineBase: number;
  private readonly transferBase: number;
  /** Online merchants fraudsters cash out at, per country. */
  private readonly lootOnline: number[][];
  private readonly giftCards: number[][];
  private readonly travelOnline: number[][];
  private readonly bigOnline: number[][];
  private readonly muleCdfs: Float64Array[];
  private readonly farCdfs: Float64Array[];
  private readonly touristCdf: Float64Array;
  private readonly bigStoreCdf: Float64Array;

  constructor(options: TrafficOptions) {
    this.startSec = Math.floor(options.start / 86_400_000) * 86_400;
    this.rng = new Sfc32(options.seed);
    this.days = options.days;
    this.world = buildWorld({ customers: options.customers, days: options.days }, this.rng);
    const w = this.world;
    this.customers = w.customers;
    this.habits = w.habits;
    this.balance = Float64Array.from(w.customers, (c) => c.balance);
    this.firstEvent = new Int32Array(options.customers);
    this.endEvent = new Int32Array(options.customers);
    this.terminalCategory = Int32Array.from(w.terminals, (t) => t.category);
    this.terminalFrom = new Float64Array(w.terminals.length);
    this.terminalUntil = new Float64Array(w.terminals.length);
    this.cardFrom = new Float64Array(w.cards.length);
    this.cardUntil = new Float64Array(w.cards.length);
    this.cardInflateShare = new Float64Array(w.cards.length);
    this.cardInflateLow = new Float64Array(w.cards.length);
    this.cardInflateHigh = new Float64Array(w.cards.length);

    const texts = new TextTable();
    const header = texts.add(`${TRAFFIC_HEADER}\n`);
    this.idPrefixText = texts.add(`G${options.seed >>> 0}-`);
    this.cardText = texts.count;
    for (const k of w.cards) texts.add(`${(w.customers[k.customer] as Customer).id},${k.pan},`);
    this.accountText = texts.count;
    for (const c of w.customers) texts.add(`${c.id},,`);
    this.placeText = texts.count;
    for (const t of w.terminals) texts.add(`,USD,${t.place},`);
    this.onlineBase = w.terminals.length;
    for (const m of w.online) texts.add(`,USD,${m.place},`);
    this.transferBase = w.terminals.length + w.online.length;
    for (const from of COUNTRIES) {
      for (const to of COUNTRIES) texts.add(`,USD,,transfer,,${from.code},${from.code},${to.code},`);
    }
    this.rowEndText = texts.count;
    for (const channel of CHANNELS) {
      for (const s of ['', ...SCENARIOS]) texts.add(s === '' ? `,${channel},0,\n` : `,${channel},1,${s}\n`);
    }
    this.dateText = texts.count;
    for (let d = 0; d < options.days; d++) texts.add(datePrefix(this.startSec + d * 86_400));
    this.out = new RowWriter(texts, options.chunkBytes ?? 1 << 20);
    this.out.put(header);
    const inCategories = (names: string[]): number[][] => {
      const wanted = new Set(names.map((n) => ECOM[n]));
      return w.onlineByCountry.map((ids) => ids.filter((id) => wanted.has((w.online[id] as OnlineMerchant).category)));
    };
    this.lootOnline = inCategories(['electronics', 'gift_cards', 'marketplace', 'fashion', 'travel']);
    this.giftCards = inCategories(['gift_cards']);
    this.travelOnline = inCategories(['travel']);
    this.bigOnline = inCategories(['electronics', 'travel', 'marketplace']);
    this.muleCdfs = COUNTRIES.map((_, h) => cumulative(COUNTRIES.map((c, i) => (i === h ? 0 : c.mule))));
    // Where cloned cards are used: far enough from home that no one could be in both places.
    this.farCdfs = COUNTRIES.map((home, h) =>
      cumulative(COUNTRIES.map((c, i) => (i === h || countryDistance(home, c) < 2500 ? 0 : c.mule + c.travel + 0.001))),
    );
    this.touristCdf = cumulative(POS_CATEGORIES.map((c) => TOURIST_WEIGHTS[c.name] ?? 0.5));
    this.bigStoreCdf = cumulative(POS_CATEGORIES.map((c) => BIG_STORE[c.name] ?? 0));
    this.schedule(options.customers, Math.max(0, options.days));
  }

  /** Plans every incident up front: how many of each scenario, on which day, against whom. */
  private schedule(customers: number, days: number): void {
    for (let d = 0; d <= days; d++) this.incidents.push([]);
    if (customers === 0 || days === 0) return;
    for (const [s, rate] of INCIDENT_RATES.entries()) {
      let count = Math.floor(rate * customers * days + this.rng.float());
      if (count === 0 && customers * days >= MIN_CUSTOMER_DAYS_FOR_EVERY_SCENARIO) count = 1;
      // Scenarios that play out over days (or need a retry) start early enough to be seen.
      const code = s + 1;
      const lead = code === COMPROMISED_CARD || code === COMPROMISED_TERMINAL ? 7 : code === IMPOSSIBLE_TRAVEL ? 2 : 0;
      const firstDays = days > 2 * lead ? days - lead : days;
      for (let k = 0; k < count; k++) {
        const day = this.rng.int(firstDays);
        (this.incidents[day] as Incident[]).push({ scenario: code, customer: this.rng.int(customers) });
      }
    }
  }

  chunk(csv: Uint8Array, daysDone: number): TrafficChunk {
    const frauds = {} as Record<Scenario, number>;
    for (const [i, s] of SCENARIOS.entries()) frauds[s] = this.frauds[i + 1] as number;
    return { csv, daysDone, rows: this.rows, frauds };
  }

  /** All rows of one day (unordered), legit and fraud. */
  simulateDay(day: number): EventTable {
    this.day = day;
    this.dayStart = this.startSec + day * 86_400;
    const date = new Date(this.dayStart * 1000);
    const dayOfMonth = date.getUTCDate();
    this.dayOfWeek = date.getUTCDay();
    // Rows carried over from yesterday (bursts running past midnight) come first.
    const carried = this.tomorrow;
    this.tomorrow = this.today;
    this.tomorrow.clear();
    this.today = carried;
    const customers = this.customers;
    for (let i = 0; i < customers.length; i++) {
      const c = customers[i] as Customer;
      // Salary arrives overnight: an implicit deposit, no row.
      if (c.paydays.includes(dayOfMonth)) this.balance[i] = (this.balance[i] as number) + c.salary;
    }
    const anchored: Incident[] = [];
    for (const inc of this.incidents[day] ?? []) {
      if (inc.scenario === IMPOSSIBLE_TRAVEL) anchored.push(inc);
      else this.startIncident(inc);
    }
    for (let i = 0; i < customers.length; i++) {
      this.firstEvent[i] = this.today.length;
      this.legitDay(i, customers[i] as Customer, dayOfMonth);
      this.endEvent[i] = this.today.length;
    }
    for (const inc of anchored) this.impossibleTravel(inc);
    return this.today;
  }

  /**
   * Writes row `i` of `ev` and moves the account balance. A legit debit past the overdraft limit
   * is declined: no row.
   */
  writeRow(ev: EventTable, i: number): void {
    const customer = ev.customer[i] as number;
    const balance = this.balance[customer] as number;
    const scenario = ev.scenario[i] as number;
    let cents = ev.cents[i] as number;
    const share = ev.share[i] as number;
    if (share > 0) {
      cents = Math.round(Math.max(balance, 0) * share);
      const roundTo = ev.roundTo[i] as number;
      if (roundTo > 0) cents = Math.floor(cents / roundTo) * roundTo;
      cents = Math.min(Math.max(cents, ev.minCents[i] as number), ev.maxCents[i] as number);
    }
    if (scenario === LEGIT && balance - cents < -OVERDRAFT_CENTS) return;
    this.balance[customer] = balance - cents;
    this.rows++;
    this.frauds[scenario] = (this.frauds[scenario] as number) + 1;
    const card = ev.card[i] as number;
    const out = this.out;
    out.put(this.idPrefixText);
    out.integer(this.rows, 9);
    out.comma();
    out.put(this.dateText + this.day);
    out.timeOfDay(ev.t[i] as number);
    out.comma();
    out.put(card >= 0 ? this.cardText + card : this.accountText + customer);
    out.cents(cents);
    out.put(this.placeText + (ev.place[i] as number));
    out.cents(balance);
    out.put(this.rowEndText + (ev.channel[i] as number) * (SCENARIOS.length + 1) + scenario);
  }

  // ---------------------------------------------------------------- legit traffic

  private legitDay(ci: number, c: Customer, dayOfMonth: number): void {
    const rng = this.rng;
    const day = this.day;
    let trip: Trip | undefined;
    for (const tr of c.trips) {
      if (tr.bookingDay === day) this.bookTrip(ci, c, tr);
      if (tr.startDay <= day && day <= tr.endDay) trip = tr;
    }
    const home = COUNTRIES[c.country] as CountrySpec;
    const awayAllDay = trip !== undefined && day > trip.startDay && day < trip.endDay;
    const offset = awayAllDay && trip ? (COUNTRIES[trip.country] as CountrySpec).utcOffset : home.utcOffset;
    const weekend = this.dayOfWeek === 0 || this.dayOfWeek === 6;
    const n = rng.poisson(c.rate * (weekend ? c.weekendFactor : 1) * (trip ? 1.25 : 1));
    for (let k = 0; k < n; k++) {
      const t = this.localTime(ci, offset);
      const where = trip === undefined ? HOME : whereAt(trip, day, t);
      if (where === IN_FLIGHT) continue;
      const card = this.pickCard(c);
      if (rng.float() < c.onlineShare * (where === ABROAD ? 0.5 : 1)) {
        const merchant = this.onlinePurchase(ci, c, card, t);
        // Velocity bait: in-app purchases, split orders and retries, seconds apart.
        if (rng.chance(0.02)) {
          let s = t;
          for (let j = 1 + rng.int(3); j > 0; j--) {
            s += 4 + rng.int(40);
            this.onlineEvent(ci, s, card, this.onlineAmount(c, merchant), merchant);
          }
        }
        continue;
      }
      const term = where === ABROAD && trip ? this.touristTerminal(trip.city) : this.localStore(ci, c);
      this.storePurchase(ci, c, card, t, term);
      // Velocity bait: a shopping trip (a few stores in a row) or a split bill at one till.
      if (rng.chance(weekend ? 0.06 : 0.025)) {
        let s = t;
        for (let j = 1 + rng.int(3); j > 0; j--) {
          s += 20 + Math.round(rng.exponential(400));
          const next = where === ABROAD && trip ? this.touristTerminal(trip.city) : this.localStore(ci, c);
          if (trip === undefined || whereAt(trip, day, s) === where) this.storePurchase(ci, c, card, s, next);
        }
      } else if (rng.chance(0.01)) {
        this.storePurchase(ci, c, card, t + 15 + rng.int(90), term);
      }
    }
    // Cash from an ATM: round amounts, some of them small.
    for (let k = rng.poisson(c.atmRate); k > 0; k--) {
      const t = this.localTime(ci, offset);
      const where = trip === undefined ? HOME : whereAt(trip, day, t);
      if (where === IN_FLIGHT) continue;
      const city = where === ABROAD && trip ? trip.city : c.city;
      const atm = where === HOME && rng.chance(0.8) ? c.favouriteAtm : rng.pick((this.world.cities[city] as City).atms);
      const dollars = rng.lognormal(90 * Math.sqrt(c.scale), 0.6);
      const cents = Math.min(100_000, Math.max(2000, Math.round(dollars / 20) * 2000));
      this.cardEvent(ci, t, c.cards[0] as number, cents, ATM_CH, atm);
    }
    if (trip !== undefined) return;
    if (c.commuter && !weekend) this.commute(ci, c, home.utcOffset);
    // Money sent: friends (often round), rent, family abroad, savings, the odd payment abroad.
    for (let k = rng.poisson(c.p2pRate); k > 0; k--) {
      const cents = rng.chance(0.6)
        ? niceCents(rng.lognormal(45 * c.scale, 0.8))
        : Math.max(500, Math.round(rng.lognormal(40 * c.scale, 0.8) * 100));
      this.transfer(ci, this.localTime(ci, offset), c.country, cents, LEGIT);
    }
    if (dayOfMonth === c.rentDay) this.transfer(ci, 8 * 3600 + rng.int(8 * 3600), c.country, c.rent, LEGIT);
    if (c.remitCountry >= 0 && dayOfMonth === c.remitDay) {
      const cents = rng.chance(0.6)
        ? Math.round(c.remitAmount / 5000) * 5000
        : Math.round(c.remitAmount * rng.range(0.85, 1.15));
      this.transfer(ci, this.localTime(ci, offset), c.remitCountry, Math.max(2000, cents), LEGIT);
    }
    if (rng.chance(0.0007)) {
      // A one-off payment abroad (tuition, a gift, a deposit on a holiday home).
      const to = rng.fromCdf(this.muleCdfs[c.country] as Float64Array);
      this.transfer(ci, this.localTime(ci, offset), to, niceCents(rng.lognormal(500 * c.scale, 0.9)), LEGIT);
    }
    if ((this.balance[ci] as number) > 1.5 * c.salary && rng.chance(0.012)) {
      // Moving savings elsewhere: a large share of the balance at once, like a drain, but legit.
      const i = this.transfer(ci, this.localTime(ci, offset), c.country, 0, LEGIT);
      this.setShare(i, rng.range(0.3, 0.85), 10_000, Number.MAX_SAFE_INTEGER, 10_000);
    }
    if (rng.chance(0.0035)) this.bigPurchase(ci, c, this.localTime(ci, offset));
  }

  /** A local time from the customer's daily rhythm, as a UTC second of the day. */
  private localTime(ci: number, utcOffset: number): number {
    const hour = this.rng.fromCdf(this.habits.hourCdf, ci * 24, 24);
    return toUtc(hour * 3600 + this.rng.int(3600), utcOffset);
  }

  private pickCard(c: Customer): number {
    return (c.cards.length > 1 && this.rng.float() < c.secondCardShare ? c.cards[1] : c.cards[0]) as number;
  }

  /** One of the customer's usual stores (sometimes a new one in town). */
  private localStore(ci: number, c: Customer): number {
    const rng = this.rng;
    const category = this.favouriteCategory(ci);
    if (rng.chance(0.1)) return rng.pick((this.world.cities[c.city] as City).posByCategory[category] as number[]);
    return this.favourite(ci, category);
  }

  /** A card-present category, as often as this customer shops in it. */
  private favouriteCategory(ci: number): number {
    const n = POS_CATEGORIES.length;
    return this.rng.fromCdf(this.habits.posCdf, ci * n, n);
  }

  /** One of the customer's favourite stores of a category. */
  private favourite(ci: number, category: number): number {
    const slot = ci * POS_CATEGORIES.length + category;
    const k = this.rng.int(this.habits.favouriteCount[slot] as number);
    return this.habits.favourites[slot * MAX_FAVOURITES + k] as number;
  }

  private touristTerminal(city: number): number {
    const category = this.rng.fromCdf(this.touristCdf);
    return this.rng.pick((this.world.cities[city] as City).posByCategory[category] as number[]);
  }

  private storePurchase(ci: number, c: Customer, card: number, t: number, term: number): void {
    const category = this.terminalCategory[term] as number;
    const cents = this.amount(POS_CATEGORIES[category] as CategorySpec, POS_SPREAD[category] as Float64Array, c.scale);
    this.cardEvent(ci, t, card, cents, POS_CH, term);
  }

  /** A legit online purchase; returns the merchant. */
  private onlinePurchase(ci: number, c: Customer, card: number, t: number): number {
    const rng = this.rng;
    const u = rng.float();
    let merchant: number;
    if (u < 0.85) merchant = rng.pick(c.favouriteOnline);
    else {
      // Now and then a shop abroad: the card's country changes without anyone travelling.
      const country = u < 0.97 ? c.country : rng.int(COUNTRIES.length);
      const ids = this.world.onlineByCountry[country] as number[];
      merchant = ids[rng.fromCdf(this.world.onlineCdfByCountry[country] as Float64Array)] as number;
    }
    this.onlineEvent(ci, t, card, this.onlineAmount(c, merchant), merchant);
    return merchant;
  }

  private onlineAmount(c: Customer, merchant: number): number {
    const category = (this.world.online[merchant] as OnlineMerchant).category;
    return this.amount(ECOM_CATEGORIES[category] as CategorySpec, ECOM_SPREAD[category] as Float64Array, c.scale);
  }

  /** Two taps a weekday on the city's transit: small whole or near-whole fares. */
  private commute(ci: number, c: Customer, utcOffset: number): void {
    const rng = this.rng;
    const city = this.world.cities[c.city] as City;
    for (let leg = 0; leg < 2; leg++) {
      if (!rng.chance(0.85)) continue;
      // Morning 07:00–09:00 and evening 16:00–19:00, local time.
      const local = leg === 0 ? 7 * 3600 + rng.int(2 * 3600) : 16 * 3600 + rng.int(3 * 3600);
      this.cardEvent(ci, toUtc(local, utcOffset), this.pickCard(c), city.fare, POS_CH, rng.pick(city.transit));
    }
  }

  /** A legit large purchase: furniture, a laptop, a holiday. Several times the usual spend. */
  private bigPurchase(ci: number, c: Customer, t: number): void {
    const rng = this.rng;
    const cents = roundish(rng, Math.max(5000, Math.round(c.typical * rng.lognormal(6, 0.6))));
    const card = this.pickCard(c);
    const online = this.bigOnline[c.country] as number[];
    if (rng.chance(0.45) && online.length > 0) {
      this.onlineEvent(ci, t, card, cents, rng.pick(online));
      return;
    }
    const category = rng.fromCdf(this.bigStoreCdf);
    const pool = (this.world.cities[c.city] as City).posByCategory[category] as number[];
    const term = rng.chance(0.5) ? this.favourite(ci, category) : rng.pick(pool);
    this.cardEvent(ci, t, card, cents, POS_CH, term);
  }

  /** Flights and hotels are booked online days or weeks before a trip: big legit amounts. */
  private bookTrip(ci: number, c: Customer, trip: Trip): void {
    const rng = this.rng;
    const own = this.travelOnline[c.country] as number[];
    const merchant = rng.pick(own.length > 0 ? own : (this.world.onlineByCountry[c.country] as number[]));
    const home = COUNTRIES[c.country] as CountrySpec;
    const far = countryDistance(home, COUNTRIES[trip.country] as CountrySpec) > 3000;
    const cents = Math.round(rng.lognormal(350, 0.6) * Math.sqrt(c.scale) * (far ? 2.2 : 1) * 100);
    this.onlineEvent(ci, this.localTime(ci, home.utcOffset), this.pickCard(c), cents, merchant);
  }

  /** An amount drawn from a category (log-normal), in cents, with the category's round and .99 habits. */
  private amount(spec: CategorySpec, spread: Float64Array, scale: number): number {
    const rng = this.rng;
    const dollars = spec.median * scale * (spread[rng.u32() >>> 20] as number);
    let cents = Math.max(50, Math.round(dollars * 100));
    const u = rng.float();
    if (u < spec.whole) cents = spec.whole > 0.5 ? niceCents(dollars) : Math.max(100, Math.round(cents / 100) * 100);
    else if (u < spec.whole + spec.ninetyNine && cents >= 100) cents = Math.floor(cents / 100) * 100 + 99;
    return cents;
  }

  // ---------------------------------------------------------------- rows

  /**
   * Adds a row for today, or for tomorrow when its time runs past midnight (dropped past the
   * last day). Returns a handle for {@link setShare}: today's index, or -2 - tomorrow's index.
   */
  private add(
    t: number,
    ci: number,
    card: number,
    cents: number,
    channel: number,
    place: number,
    scenario: number,
  ): number {
    if (t < 86_400) return this.today.add(t, ci, card, cents, channel, place, scenario);
    if (this.day + 1 >= this.days) return -1;
    return -2 - this.tomorrow.add(t - 86_400, ci, card, cents, channel, place, scenario);
  }

  /** Makes a row's amount a share of the balance when it is written. */
  private setShare(handle: number, share: number, minCents: number, maxCents: number, roundTo: number): void {
    if (handle >= 0) this.today.setShare(handle, share, minCents, maxCents, roundTo);
    else if (handle <= -2) this.tomorrow.setShare(-2 - handle, share, minCents, maxCents, roundTo);
  }

  /**
   * A legit card payment at a terminal. At a compromised terminal, or on a compromised card,
   * it becomes that scenario's fraud (with an inflated amount, for a card).
   */
  private cardEvent(ci: number, t: number, card: number, cents: number, channel: number, term: number): void {
    const at = this.dayStart + t;
    let scenario = LEGIT;
    let amount = cents;
    if ((this.terminalUntil[term] as number) > at && (this.terminalFrom[term] as number) <= at) {
      scenario = COMPROMISED_TERMINAL;
    }
    else if (channel === POS_CH && this.inflates(card, at)) {
      amount = this.inflate(card, amount);
      scenario = COMPROMISED_CARD;
    }
    this.add(t, ci, card, amount, channel, term, scenario);
  }

  /** A legit online payment; on a compromised card it may be inflated fraud. */
  private onlineEvent(ci: number, t: number, card: number, cents: number, merchant: number): void {
    let scenario = LEGIT;
    let amount = cents;
    if (this.inflates(card, this.dayStart + t)) {
      amount = this.inflate(card, amount);
      scenario = COMPROMISED_CARD;
    }
    this.add(t, ci, card, amount, ECOM_CH, this.onlineBase + merchant, scenario);
  }

  /** While a card is compromised, some of its purchases carry an inflated amount. */
  private inflates(card: number, at: number): boolean {
    return (
      (this.cardUntil[card] as number) > at &&
      (this.cardFrom[card] as number) <= at &&
      this.rng.chance(this.cardInflateShare[card] as number)
    );
  }

  private inflate(card: number, cents: number): number {
    const factor = this.rng.range(this.cardInflateLow[card] as number, this.cardInflateHigh[card] as number);
    return Math.round(cents * factor);
  }

  private transfer(ci: number, t: number, to: number, cents: number, scenario: number): number {
    const from = (this.customers[ci] as Customer).country;
    return this.add(t, ci, -1, cents, TRANSFER_CH, this.transferBase + from * COUNTRIES.length + to, scenario);
  }

  // ---------------------------------------------------------------- fraud

  /** A time of day for fraud: often when the victim is active, often at any hour. */
  private fraudTime(ci: number, c: Customer): number {
    if (this.rng.chance(0.45)) return this.rng.int(86_400);
    return this.localTime(ci, (COUNTRIES[c.country] as CountrySpec).utcOffset);
  }

  private startIncident(inc: Incident): void {
    const c = this.customers[inc.customer] as Customer;
    switch (inc.scenario) {
      case CARD_TESTING:
        this.cardTesting(inc.customer, c);
        break;
      case HIGH_AMOUNT:
        this.highAmount(inc.customer, c);
        break;
      case COMPROMISED_TERMINAL:
        this.compromiseTerminal(inc.customer);
        break;
      case COMPROMISED_CARD:
        this.compromiseCard(c);
        break;
      case VELOCITY_BURST:
        this.velocityBurst(inc.customer, c);
        break;
      case CROSS_BORDER_TRANSFER:
        this.crossBorderTransfer(inc.customer, c);
        break;
      case BALANCE_DRAIN:
        this.balanceDrain(inc.customer, c);
        break;
      default:
        break;
    }
  }

  /**
   * Card testing: a stolen card tried with a burst of tiny amounts (mostly whole) at online
   * merchants without strong authentication, sometimes followed by a cash-out purchase.
   */
  private cardTesting(ci: number, c: Customer): void {
    const rng = this.rng;
    const card = rng.pick(c.cards);
    const weak = this.world.weakOnline;
    const merchants: number[] = [];
    for (let k = 1 + rng.int(3); k > 0; k--) {
      merchants.push(weak.length > 0 && rng.chance(0.85) ? rng.pick(weak) : rng.int(this.world.online.length));
    }
    let t = this.fraudTime(ci, c);
    const gap = Math.exp(rng.range(Math.log(5), Math.log(150)));
    for (let k = 3 + Math.min(12, rng.poisson(3.5)); k > 0; k--) {
      const cents = rng.chance(0.6) ? rng.pick(TEST_AMOUNTS) : 50 + rng.int(950);
      this.add(t, ci, card, cents, ECOM_CH, this.onlineBase + rng.pick(merchants), CARD_TESTING);
      t += 3 + Math.round(rng.exponential(gap));
    }
    if (rng.chance(0.35)) {
      t += 600 + rng.int(4 * 3600);
      const cents = roundish(rng, Math.round(Math.max(c.typical * rng.range(2, 8), rng.range(8000, 60000))));
      this.add(t, ci, card, cents, ECOM_CH, this.onlineBase + this.lootMerchant(c.country), CARD_TESTING);
    }
  }

  /** An amount several times what this customer usually spends, mostly online. */
  private highAmount(ci: number, c: Customer): void {
    const rng = this.rng;
    const card = rng.pick(c.cards);
    let t = this.fraudTime(ci, c);
    for (let k = rng.chance(0.8) ? 1 : 2; k > 0; k--) {
      let cents = Math.max(6000, Math.round(c.typical * rng.lognormal(6, 0.45)));
      if (rng.chance(0.04)) cents *= 3;
      cents = roundish(rng, cents);
      if (rng.chance(0.65)) {
        this.add(t, ci, card, cents, ECOM_CH, this.onlineBase + this.lootMerchant(c.country), HIGH_AMOUNT);
      } else {
        this.add(t, ci, card, cents, POS_CH, this.randomStore(c.country, this.bigStoreCdf), HIGH_AMOUNT);
      }
      t += 300 + rng.int(3 * 3600);
    }
  }

  /** A skimmer on one of the victim's usual stores: every payment there is fraud for days. */
  private compromiseTerminal(ci: number): void {
    const rng = this.rng;
    const term = this.favourite(ci, this.favouriteCategory(ci));
    const from = this.dayStart + rng.int(86_400);
    const until = from + (2 + Math.min(19, rng.poisson(5))) * 86_400 + rng.int(86_400);
    if ((this.terminalUntil[term] as number) > from) {
      this.terminalUntil[term] = Math.max(this.terminalUntil[term] as number, until);
    } else {
      this.terminalFrom[term] = from;
      this.terminalUntil[term] = until;
    }
  }

  /** A card whose details leaked: for 1–3 weeks some of its payments are inflated. */
  private compromiseCard(c: Customer): void {
    const rng = this.rng;
    const card = rng.pick(c.cards);
    const from = this.dayStart + rng.int(86_400);
    this.cardFrom[card] = from;
    this.cardUntil[card] = from + Math.round(rng.range(7, 21) * 86_400);
    this.cardInflateShare[card] = rng.range(0.25, 0.6);
    const low = rng.range(1.6, 2.5);
    this.cardInflateLow[card] = low;
    this.cardInflateHigh[card] = low + rng.range(0.5, 3);
  }

  /** Many ordinary-looking payments in minutes: online shops, or stores in one city of the victim's country. */
  private velocityBurst(ci: number, c: Customer): void {
    const rng = this.rng;
    const card = rng.pick(c.cards);
    let t = this.fraudTime(ci, c);
    const online = rng.chance(0.55);
    // Mean gap 4 s to 2 min, log-uniform: some bursts are frantic, some spread over half an hour.
    const gap = Math.exp(rng.range(Math.log(4), Math.log(120)));
    const city = this.randomCity(c.country);
    for (let k = 4 + Math.min(12, rng.poisson(3.5)); k > 0; k--) {
      const cents = Math.max(500, Math.round(c.typical * rng.lognormal(1.3, 0.6)));
      if (online) {
        const merchant = rng.chance(0.6)
          ? this.lootMerchant(c.country)
          : rng.pick(this.world.onlineByCountry[c.country] as number[]);
        this.add(t, ci, card, cents, ECOM_CH, this.onlineBase + merchant, VELOCITY_BURST);
      } else {
        const term = rng.pick(city.posByCategory[rng.int(POS_CATEGORIES.length)] as number[]);
        this.add(t, ci, card, cents, POS_CH, term, VELOCITY_BURST);
      }
      t += 5 + Math.round(rng.exponential(gap));
    }
  }

  /**
   * A cloned card used in a far country within minutes or a couple of hours of a card-present
   * payment at home. Needs such a payment today; without one, tries again tomorrow.
   */
  private impossibleTravel(inc: Incident): void {
    const rng = this.rng;
    const ci = inc.customer;
    const c = this.customers[ci] as Customer;
    const ev = this.today;
    let anchor = -1;
    const away = c.trips.some((tr) => tr.startDay <= this.day + 1 && this.day - 1 <= tr.endDay);
    if (!away) {
      for (let i = this.firstEvent[ci] as number; i < (this.endEvent[ci] as number); i++) {
        const channel = ev.channel[i] as number;
        if ((channel === POS_CH || channel === ATM_CH) && (ev.card[i] as number) >= 0) anchor = i;
      }
    }
    if (anchor < 0) {
      if (this.day + 1 < this.days) (this.incidents[this.day + 1] as Incident[]).push(inc);
      return;
    }
    const anchorT = ev.t[anchor] as number;
    const card = ev.card[anchor] as number;
    const city = this.randomCity(rng.fromCdf(this.farCdfs[c.country] as Float64Array));
    const gap = Math.round(rng.range(5 * 60, 150 * 60));
    let t = anchorT + gap;
    if (rng.chance(0.3) && anchorT - gap - 3600 > 0) t = anchorT - gap - 3600;
    for (let k = 1 + rng.int(3); k > 0; k--) {
      if (rng.chance(0.45)) {
        const cents = Math.min(100_000, Math.round(rng.range(100, 700) / 20) * 2000);
        this.add(t, ci, card, cents, ATM_CH, rng.pick(city.atms), IMPOSSIBLE_TRAVEL);
      } else {
        const term = rng.pick(city.posByCategory[rng.fromCdf(this.touristCdf)] as number[]);
        const cents = Math.max(800, Math.round(c.typical * rng.lognormal(1.8, 0.6)));
        this.add(t, ci, card, cents, POS_CH, term, IMPOSSIBLE_TRAVEL);
      }
      t += 120 + rng.int(40 * 60);
    }
  }

  /** An account takeover sending money abroad: to mule countries, and to common family ones too. */
  private crossBorderTransfer(ci: number, c: Customer): void {
    const rng = this.rng;
    let t = this.fraudTime(ci, c);
    const to = rng.fromCdf(this.muleCdfs[c.country] as Float64Array);
    // The bank's limit on a transfer caps what a balance-driven amount can reach.
    const limit = Math.round(rng.range(3000, 15_000)) * 100;
    for (let k = rng.chance(0.75) ? 1 : 2; k > 0; k--) {
      if (rng.chance(0.5)) {
        this.transfer(ci, t, to, niceCents(rng.lognormal(900, 0.8)), CROSS_BORDER_TRANSFER);
      } else {
        const i = this.transfer(ci, t, to, 0, CROSS_BORDER_TRANSFER);
        this.setShare(i, rng.range(0.25, 0.8), 20_000, limit, rng.chance(0.6) ? 10_000 : 0);
      }
      t += 600 + rng.int(6 * 3600);
    }
  }

  /** An account takeover emptying the account within hours: transfers, cash, gift cards. */
  private balanceDrain(ci: number, c: Customer): void {
    const rng = this.rng;
    let t = this.fraudTime(ci, c);
    const n = 1 + rng.int(4);
    const atmCity = this.randomCity(c.country);
    const card = c.cards[0] as number;
    const limit = Math.round(rng.range(4000, 25_000)) * 100;
    for (let k = 0; k < n; k++) {
      // Each takes a share of what is left; the last takes (nearly) all of it.
      const share = k === n - 1 ? rng.range(0.85, 1) : rng.range(0.6, 1) / (n - k);
      const u = rng.float();
      if (u < 0.6) {
        const i = this.transfer(ci, t, c.country, 0, BALANCE_DRAIN);
        this.setShare(i, share, 2000, limit, rng.chance(0.5) ? 100 : 0);
      } else if (u < 0.85) {
        const i = this.add(t, ci, card, 0, ATM_CH, rng.pick(atmCity.atms), BALANCE_DRAIN);
        this.setShare(i, share, 2000, 100_000, 2000);
      } else {
        const own = this.giftCards[c.country] as number[];
        const merchant = own.length > 0 ? rng.pick(own) : this.lootMerchant(c.country);
        const i = this.add(t, ci, card, 0, ECOM_CH, this.onlineBase + merchant, BALANCE_DRAIN);
        this.setShare(i, share, 2500, 250_000, 2500);
      }
      t += 120 + Math.round(rng.exponential(40 * 60));
    }
  }

  /** An online merchant where stolen cards buy resellable goods, mostly in the victim's country. */
  private lootMerchant(country: number): number {
    const rng = this.rng;
    const own = this.lootOnline[country] as number[];
    const ids = own.length > 0 && rng.chance(0.8) ? own : (this.lootOnline[rng.int(COUNTRIES.length)] as number[]);
    return ids.length > 0 ? rng.pick(ids) : rng.int(this.world.online.length);
  }

  private randomCity(country: number): City {
    const ids = this.world.citiesByCountry[country] as number[];
    const k = this.rng.fromCdf(this.world.cityCdfByCountry[country] as Float64Array);
    return this.world.cities[ids[k] as number] as City;
  }

  private randomStore(country: number, categoryCdf: Float64Array): number {
    const city = this.randomCity(country);
    return this.rng.pick(city.posByCategory[this.rng.fromCdf(categoryCdf)] as number[]);
  }
}

/** A local second of the day as a UTC second of the same day (wrapping around midnight). */
function toUtc(localSecond: number, utcOffset: number): number {
  const t = localSecond - utcOffset * 3600;
  return t < 0 ? t + 86_400 : t >= 86_400 ? t - 86_400 : t;
}

/** Where a traveller is at second `t` of `day`. */
function whereAt(trip: Trip, day: number, t: number): number {
  if (day === trip.startDay) return t < trip.departSec ? HOME : t < trip.arriveSec ? IN_FLIGHT : ABROAD;
  if (day === trip.endDay) return t < trip.backDepartSec ? ABROAD : t < trip.backArriveSec ? IN_FLIGHT : HOME;
  return ABROAD;
}

/** The nice value nearest to `dollars`, in cents (gift cards, donations, money to friends). */
function niceCents(dollars: number): number {
  let best = NICE[0] as number;
  for (const v of NICE) if (Math.abs(v - dollars) < Math.abs(best - dollars)) best = v;
  return best * 100;
}

/** Big amounts are often whole dollars or .99 prices. */
function roundish(rng: Sfc32, cents: number): number {
  const u = rng.float();
  if (u < 0.3) return Math.max(100, Math.round(cents / 100) * 100);
  if (u < 0.6) return Math.floor(cents / 100) * 100 + 99;
  return cents;
}
