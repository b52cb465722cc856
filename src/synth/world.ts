import {
  BANKS,
  BINS,
  CITY_STEMS,
  COUNTRIES,
  ECOM_CATEGORIES,
  ECOM_WEIGHTS,
  POS_CATEGORIES,
  POS_WEIGHTS,
  countryDistance,
  travelHours,
} from './catalog.js';
import { cumulative, type Sfc32 } from './random.js';

/** A city: where customers live and terminals stand. */
export interface City {
  country: number;
  name: string;
  x: number;
  y: number;
  /** Customers living here. */
  people: number;
  /** Terminal indexes of each card-present category ({@link POS_CATEGORIES} order). */
  posByCategory: number[][];
  atms: number[];
  transit: number[];
  /** Transit fare, cents. */
  fare: number;
}

/** Kinds of terminal. */
export const STORE = 0;
export const ATM = 1;
export const TRANSIT = 2;

/** A physical terminal of a store, an ATM or a transit gate. */
export interface Terminal {
  /** {@link STORE}, {@link ATM} or {@link TRANSIT}. */
  kind: number;
  /** Category index into {@link POS_CATEGORIES} for stores, -1 otherwise. */
  category: number;
  country: number;
  city: number;
  x: number;
  y: number;
  /** CSV text `merchant,merchant_category,terminal_id,country,origin_country,destination_country`. */
  place: string;
}

/** An online merchant: no terminal, located in its own country. */
export interface OnlineMerchant {
  category: number;
  country: number;
  place: string;
  /** Accepts cards without strong authentication: where card testers go. */
  weakAuth: boolean;
}

/** A payment card. */
export interface Card {
  pan: string;
  customer: number;
}

/** A trip abroad, days relative to the start of the run, seconds UTC within the day. */
export interface Trip {
  startDay: number;
  endDay: number;
  country: number;
  city: number;
  /** Leaves home at departSec of startDay, arrives abroad at arriveSec. */
  departSec: number;
  arriveSec: number;
  /** Leaves abroad at backDepartSec of endDay, home at backArriveSec. */
  backDepartSec: number;
  backArriveSec: number;
  /** Day the trip is booked online (may be before the run). */
  bookingDay: number;
}

/** A customer with one account, one or two cards and habits. */
export interface Customer {
  id: string;
  country: number;
  city: number;
  x: number;
  y: number;
  cards: number[];
  /** Share of card transactions on the second card (0 with one card). */
  secondCardShare: number;
  /** Card transactions (store and online) a day on average. */
  rate: number;
  weekendFactor: number;
  /** Multiplier of every category median: how much this customer spends. */
  scale: number;
  onlineShare: number;
  favouriteOnline: number[];
  atmRate: number;
  favouriteAtm: number;
  commuter: boolean;
  p2pRate: number;
  /** Opening balance, cents. */
  balance: number;
  /** Salary per payday, cents (deposits are implicit: they raise the balance, no row). */
  salary: number;
  paydays: number[];
  rent: number;
  rentDay: number;
  remitCountry: number;
  remitDay: number;
  remitAmount: number;
  trips: Trip[];
  /** A typical card amount for this customer, cents. */
  typical: number;
}

/** Favourite stores a customer has per card-present category, at most. */
export const MAX_FAVOURITES = 3;

/**
 * The habits read for nearly every payment, for all customers in flat arrays (customer i's
 * values start at i times the width): one sweep over the customers reads them in order.
 */
export interface Habits {
  /** Cumulative weights of local hours 0–23, 24 per customer. */
  hourCdf: Float64Array;
  /** Cumulative weights of the card-present categories, one per category per customer. */
  posCdf: Float64Array;
  /** Favourite terminals, {@link MAX_FAVOURITES} slots per category per customer. */
  favourites: Int32Array;
  /** Favourites in use per category per customer. */
  favouriteCount: Uint8Array;
}

/** Everything that exists before the first transaction; the simulation never changes it. */
export interface World {
  habits: Habits;
  cities: City[];
  citiesByCountry: number[][];
  /** City weights (by people) per country, cumulative. */
  cityCdfByCountry: Float64Array[];
  terminals: Terminal[];
  online: OnlineMerchant[];
  onlineByCountry: number[][];
  /** Popularity of each country's online merchants, cumulative. */
  onlineCdfByCountry: Float64Array[];
  /** Online merchants card testers use. */
  weakOnline: number[];
  customers: Customer[];
  cards: Card[];
}

const HOUR_PROFILES: readonly (readonly number[])[] = [
  [
    0.15, 0.08, 0.04, 0.03, 0.04, 0.1, 0.35, 0.8, 1.3, 1.5, 1.6, 1.9, 2.4, 2.0, 1.6, 1.6, 1.8, 2.2, 2.4, 2.1, 1.6, 1.1,
    0.6, 0.3,
  ],
  [
    0.08, 0.04, 0.02, 0.02, 0.08, 0.4, 1.2, 1.9, 2.0, 1.8, 1.6, 1.8, 2.2, 1.7, 1.4, 1.3, 1.4, 1.6, 1.5, 1.0, 0.6, 0.35,
    0.2, 0.1,
  ],
  [
    0.6, 0.4, 0.25, 0.12, 0.06, 0.05, 0.1, 0.3, 0.5, 0.8, 1.0, 1.3, 1.7, 1.6, 1.4, 1.4, 1.6, 2.0, 2.4, 2.6, 2.5, 2.2,
    1.8, 1.2,
  ],
];

/** Online categories where some merchants take cards without strong authentication. */
const WEAK_AUTH_CATEGORIES = new Set(['digital', 'charity', 'gift_cards', 'marketplace']);

/** Options of {@link buildWorld}. */
export interface WorldOptions {
  customers: number;
  days: number;
}

/**
 * Builds the world: cities, stores with terminals near the people, ATMs, transit gates, online
 * merchants, and customers with cards, habits, income and planned trips.
 */
export function buildWorld(options: WorldOptions, rng: Sfc32): World {
  const nCountries = COUNTRIES.length;
  const cities: City[] = [];
  const citiesByCountry: number[][] = COUNTRIES.map(() => []);
  for (const [ci, country] of COUNTRIES.entries()) {
    const n = country.home > 0 ? Math.min(12, 2 + Math.round(country.home * 16)) : 2;
    for (let k = 0; k < n; k++) {
      const angle = rng.range(0, 2 * Math.PI);
      const r = country.radius * Math.sqrt(rng.float()) * 0.9;
      citiesByCountry[ci]?.push(cities.length);
      cities.push({
        country: ci,
        name: `${CITY_STEMS[(k + ci * 5) % CITY_STEMS.length] ?? 'City'} ${country.code}`,
        x: country.x + r * Math.cos(angle),
        y: country.y + r * Math.sin(angle),
        people: 0,
        posByCategory: POS_CATEGORIES.map(() => []),
        atms: [],
        transit: [],
        fare: rng.pick([200, 250, 275, 300]),
      });
    }
  }
  // Zipf-like city sizes: a big city or two per country and smaller towns.
  const citySize = cities.map(() => 1 / (1 + rng.int(8)) ** 0.9);
  const cityCdfByCountry = citiesByCountry.map((ids) => cumulative(ids.map((id) => citySize[id] as number)));
  const homeCdf = cumulative(COUNTRIES.map((c) => c.home));

  // Where customers live comes first: stores are placed where the people are.
  const homes: { country: number; city: number; x: number; y: number }[] = [];
  for (let i = 0; i < options.customers; i++) {
    const country = rng.fromCdf(homeCdf);
    const k = rng.fromCdf(cityCdfByCountry[country] as Float64Array);
    const city = (citiesByCountry[country] as number[])[k] as number;
    const c = cities[city] as City;
    c.people++;
    homes.push({ country, city, x: c.x + rng.normal() * 12, y: c.y + rng.normal() * 12 });
  }

  const terminals: Terminal[] = [];
  const addTerminal = (t: Omit<Terminal, 'place'>, merchant: string): number => {
    const id = `T${String(terminals.length + 1).padStart(6, '0')}`;
    const category = t.kind === ATM ? 'atm' : t.kind === TRANSIT ? 'transit' : (POS_CATEGORIES[t.category]?.name ?? '');
    const code = (COUNTRIES[t.country] as { code: string }).code;
    // An explicit literal (not a spread) gives every terminal the same hidden class: fast reads.
    terminals.push({
      kind: t.kind,
      category: t.category,
      country: t.country,
      city: t.city,
      x: t.x,
      y: t.y,
      place: `${merchant},${category},${id},${code},,`,
    });
    return terminals.length - 1;
  };
  const posCdf = cumulative(POS_WEIGHTS);
  let merchantNo = 0;
  for (const [ci, city] of cities.entries()) {
    const stores = Math.max(14, Math.round(city.people * 0.3));
    for (let m = 0; m < stores; m++) {
      // Every category at least once per city, then in proportion to how often people buy.
      const category = m < POS_CATEGORIES.length ? m : rng.fromCdf(posCdf);
      const spec = POS_CATEGORIES[category] as (typeof POS_CATEGORIES)[number];
      const name = `${rng.pick(spec.words)} #${++merchantNo}`;
      const x = city.x + rng.normal() * 10;
      const y = city.y + rng.normal() * 10;
      const tills = 1 + rng.poisson(category === 0 ? 1.5 : 0.5);
      for (let k = 0; k < tills; k++) {
        const t = addTerminal({ kind: STORE, category, country: city.country, city: ci, x, y }, name);
        city.posByCategory[category]?.push(t);
      }
    }
    const atms = Math.max(3, Math.round(city.people / 30));
    for (let a = 0; a < atms; a++) {
      const x = city.x + rng.normal() * 10;
      const y = city.y + rng.normal() * 10;
      city.atms.push(
        addTerminal({ kind: ATM, category: -1, country: city.country, city: ci, x, y }, `${rng.pick(BANKS)} ATM`),
      );
    }
    const gates = city.people > 0 ? Math.max(2, Math.round(city.people / 80)) : 0;
    for (let g = 0; g < gates; g++) {
      city.transit.push(
        addTerminal(
          { kind: TRANSIT, category: -1, country: city.country, city: ci, x: city.x, y: city.y },
          `${city.name} Transit`,
        ),
      );
    }
  }

  // Online merchants: most in the countries where customers live, a few abroad.
  const online: OnlineMerchant[] = [];
  const onlineByCountry: number[][] = COUNTRIES.map(() => []);
  const popularity: number[] = [];
  const ecomCdf = cumulative(ECOM_WEIGHTS);
  const onlineCountryCdf = cumulative(COUNTRIES.map((c) => c.home + 0.01));
  const nOnline = 150 + Math.round(options.customers / 25);
  for (let m = 0; m < nOnline + nCountries * 8; m++) {
    // The first 8 per country make sure every country has a choice of online shops.
    const country = m < nCountries * 8 ? m % nCountries : rng.fromCdf(onlineCountryCdf);
    const category = rng.fromCdf(ecomCdf);
    const spec = ECOM_CATEGORIES[category] as (typeof ECOM_CATEGORIES)[number];
    const code = (COUNTRIES[country] as { code: string }).code;
    const weakAuth = WEAK_AUTH_CATEGORIES.has(spec.name) && rng.chance(0.3);
    onlineByCountry[country]?.push(online.length);
    popularity.push(1 / (1 + rng.int(40)) ** 1.1);
    const place = `${rng.pick(spec.words)} Online #${online.length + 1},${spec.name},,${code},,`;
    online.push({ category, country, weakAuth, place });
  }
  const onlineCdfByCountry = onlineByCountry.map((ids) => cumulative(ids.map((id) => popularity[id] as number)));
  const weakOnline = online.flatMap((m, i) => (m.weakAuth ? [i] : []));

  const cards: Card[] = [];
  const panOffset = rng.int(1_000_000_000);
  const newCard = (customer: number): number => {
    // 3^18 is coprime with 10^9, so card index -> serial is a bijection: PANs never repeat.
    const serial = (cards.length * 387_420_489 + panOffset) % 1_000_000_000;
    const body = `${rng.pick(BINS)}${String(serial).padStart(9, '0')}`;
    cards.push({ pan: `${body}${luhnCheckDigit(body)}`, customer });
    return cards.length - 1;
  };

  const travelCdfs = COUNTRIES.map((home, hi) =>
    // Nearby countries are the usual holidays; far ones are rarer.
    cumulative(
      COUNTRIES.map((c, i) => (i === hi ? 0 : c.travel * (1 + 3 * Math.exp(-countryDistance(home, c) / 3000)))),
    ),
  );
  const remitCdfs = COUNTRIES.map((_, hi) => cumulative(COUNTRIES.map((c, i) => (i === hi ? 0 : c.remit))));

  // Terminal positions in flat arrays: choosing favourites reads them millions of times.
  const spot = { x: Float64Array.from(terminals, (t) => t.x), y: Float64Array.from(terminals, (t) => t.y) };
  const nCategories = POS_CATEGORIES.length;
  const habits: Habits = {
    hourCdf: new Float64Array(options.customers * 24),
    posCdf: new Float64Array(options.customers * nCategories),
    favourites: new Int32Array(options.customers * nCategories * MAX_FAVOURITES),
    favouriteCount: new Uint8Array(options.customers * nCategories),
  };
  const customers: Customer[] = [];
  for (const [i, home] of homes.entries()) {
    const city = cities[home.city] as City;
    const profile = HOUR_PROFILES[rng.fromCdf([0.6, 0.8, 1])] as readonly number[];
    habits.hourCdf.set(cumulative(profile.map((w) => w * rng.lognormal(1, 0.25))), i * 24);
    const scale = Math.min(6, Math.max(0.2, rng.lognormal(1, 0.5)));
    const weights = POS_WEIGHTS.map((w, c) => (c === 3 && rng.chance(0.3) ? 0 : w * rng.lognormal(1, 0.5)));
    habits.posCdf.set(cumulative(weights), i * nCategories);
    for (let c = 0; c < nCategories; c++) {
      const pool = city.posByCategory[c] as number[];
      const k = 1 + rng.int(MAX_FAVOURITES);
      habits.favouriteCount[i * nCategories + c] = k;
      for (let j = 0; j < k; j++) {
        habits.favourites[(i * nCategories + c) * MAX_FAVOURITES + j] = nearest(pool, spot, home.x, home.y, 6, rng);
      }
    }
    const onlineShare = 0.04 + 0.42 * rng.float() ** 2;
    const ownOnline = onlineByCountry[home.country] as number[];
    const ownCdf = onlineCdfByCountry[home.country] as Float64Array;
    const favouriteOnline: number[] = [];
    for (let j = 3 + rng.int(8); j > 0; j--) favouriteOnline.push(ownOnline[rng.fromCdf(ownCdf)] as number);
    const atmRate = Math.min(0.4, rng.lognormal(0.07, 0.6));
    const commuter = rng.chance(0.22) && city.transit.length > 0;
    const p2pRate = Math.min(0.2, rng.lognormal(0.04, 0.7));
    const rate = Math.min(14, Math.max(0.25, rng.lognormal(2.4, 0.55)));

    // What a month costs this customer, to set an income that roughly keeps the balance afloat.
    let posMean = 0;
    let wsum = 0;
    for (const [c, w] of weights.entries()) {
      const spec = POS_CATEGORIES[c] as (typeof POS_CATEGORIES)[number];
      posMean += w * spec.median * Math.exp((spec.sigma * spec.sigma) / 2);
      wsum += w;
    }
    posMean = (posMean / wsum) * scale;
    let onlineMean = 0;
    for (const m of favouriteOnline) {
      const spec = ECOM_CATEGORIES[(online[m] as OnlineMerchant).category] as (typeof ECOM_CATEGORIES)[number];
      onlineMean += spec.median * Math.exp((spec.sigma * spec.sigma) / 2);
    }
    onlineMean = (onlineMean / favouriteOnline.length) * scale;
    const remits = home.country !== 2 && rng.chance(0.08);
    const remitAmount = remits ? Math.round(rng.range(120, 1200) * Math.sqrt(scale)) * 100 : 0;
    const monthly =
      30.4 * rate * ((1 - onlineShare) * posMean + onlineShare * onlineMean) +
      30.4 * atmRate * 120 * Math.sqrt(scale) +
      30.4 * p2pRate * 60 * scale +
      (commuter ? 44 * city.fare : 0) / 100 +
      remitAmount / 100;
    const renter = rng.chance(0.75);
    const rentShare = renter ? rng.range(0.22, 0.36) : 0;
    // The estimate leaves out trips, sprees and big purchases: the margin covers them, on average.
    const income = (monthly * rng.range(1.2, 1.7)) / (1 - rentShare);
    const semiMonthly = rng.chance(0.4);
    const cardsOf = [newCard(i)];
    if (rng.chance(0.3)) cardsOf.push(newCard(i));
    const trips = planTrips(rng, options.days, home.country, travelCdfs[home.country] as Float64Array, citiesByCountry);
    customers.push({
      id: `A${String(i + 1).padStart(7, '0')}`,
      country: home.country,
      city: home.city,
      x: home.x,
      y: home.y,
      cards: cardsOf,
      secondCardShare: cardsOf.length > 1 ? rng.range(0.15, 0.5) : 0,
      rate,
      weekendFactor: rng.range(0.7, 1.5),
      scale,
      onlineShare,
      favouriteOnline,
      atmRate,
      favouriteAtm: nearest(city.atms, spot, home.x, home.y, 4, rng),
      commuter,
      p2pRate,
      balance: Math.round(income * rng.lognormal(0.9, 0.7) * 100),
      salary: Math.round((income / (semiMonthly ? 2 : 1)) * 100),
      paydays: semiMonthly ? [1, 15] : [1],
      rent: Math.round(income * rentShare * 100),
      rentDay: renter ? 1 + rng.int(5) : 0,
      remitCountry: remits ? rng.fromCdf(remitCdfs[home.country] as Float64Array) : -1,
      remitDay: 1 + rng.int(28),
      remitAmount,
      trips,
      typical: Math.round(((1 - onlineShare) * posMean + onlineShare * onlineMean) * 100),
    });
  }
  return {
    habits,
    cities,
    citiesByCountry,
    cityCdfByCountry,
    terminals,
    online,
    onlineByCountry,
    onlineCdfByCountry,
    weakOnline,
    customers,
    cards,
  };
}

/** The nearest of `tries` random members of `pool` to (x, y): people shop near home, mostly. */
function nearest(
  pool: readonly number[],
  spot: { x: Float64Array; y: Float64Array },
  x: number,
  y: number,
  tries: number,
  rng: Sfc32,
): number {
  let best = pool[rng.int(pool.length)] as number;
  let bestD = Number.POSITIVE_INFINITY;
  for (let k = 0; k < tries; k++) {
    const t = pool[rng.int(pool.length)] as number;
    const dx = (spot.x[t] as number) - x;
    const dy = (spot.y[t] as number) - y;
    const d = dx * dx + dy * dy;
    if (d < bestD) {
      bestD = d;
      best = t;
    }
  }
  return best;
}

/** Trips abroad over the run: most people take none or one, a few travel for work often. */
function planTrips(
  rng: Sfc32,
  days: number,
  homeCountry: number,
  travelCdf: Float64Array,
  citiesByCountry: readonly number[][],
): Trip[] {
  const kind = rng.float();
  const perYear = kind < 0.55 ? 0.6 : kind < 0.92 ? 2.2 : rng.range(6, 12);
  const business = kind >= 0.92;
  const n = rng.poisson((perYear * days) / 365);
  const trips: Trip[] = [];
  const home = COUNTRIES[homeCountry] as (typeof COUNTRIES)[number];
  for (let k = 0; k < n; k++) {
    const startDay = rng.int(days);
    const endDay = startDay + (business ? 1 + rng.poisson(2) : 2 + rng.poisson(6));
    if (trips.some((t) => startDay <= t.endDay + 3 && endDay >= t.startDay - 3)) continue;
    const country = rng.fromCdf(travelCdf);
    const dest = COUNTRIES[country] as (typeof COUNTRIES)[number];
    const hours = travelHours(home, dest);
    const flight = Math.round(hours * 3600);
    // Leave between 06:00 UTC and late enough to land the same day (times are UTC).
    const latest = 86_400 - flight - 1800;
    const departSec = Math.round(rng.range(6 * 3600, Math.max(6 * 3600 + 1, latest)));
    const backDepartSec = Math.round(rng.range(6 * 3600, Math.max(6 * 3600 + 1, latest)));
    trips.push({
      startDay,
      endDay,
      country,
      city: rng.pick(citiesByCountry[country] as number[]),
      departSec,
      arriveSec: departSec + flight,
      backDepartSec,
      backArriveSec: backDepartSec + flight,
      bookingDay: startDay - 3 - rng.int(40),
    });
  }
  return trips.sort((a, b) => a.startDay - b.startDay);
}

/** The digit that makes `body` + digit pass the Luhn check. */
export function luhnCheckDigit(body: string): number {
  let sum = 0;
  // The check digit will sit at the right, so the rightmost body digit is doubled.
  let double = true;
  for (let i = body.length - 1; i >= 0; i--) {
    let d = body.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}
