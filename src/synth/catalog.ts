/**
 * Fixed reference data of the simulated world: countries on a flat 2-D map (km), merchant
 * categories with their amount distributions, and the words merchant names are made of.
 * Countries sit roughly where they are on a globe cut open at the Pacific, so distances and
 * flight times are plausible, not exact.
 */

/** A country of the map. Weights say how likely it is as each kind of place. */
export interface CountrySpec {
  code: string;
  /** Centre on the map, km. */
  x: number;
  y: number;
  /** Radius of the area its cities are spread over, km. */
  radius: number;
  /** Hours from UTC of local time (daily rhythms follow local time). */
  utcOffset: number;
  /** Share of customers who live here. */
  home: number;
  /** Weight as a holiday or business-trip destination. */
  travel: number;
  /** Weight as the destination of a legit remittance (family abroad). */
  remit: number;
  /** Weight as where stolen money or cloned cards go (mule accounts, cash-out). */
  mule: number;
}

/** The countries. Customers live in the first nine; the rest are destinations only. */
export const COUNTRIES: readonly CountrySpec[] = [
  { code: 'US', x: 0, y: 0, radius: 1900, utcOffset: -6, home: 0.7, travel: 0.1, remit: 0, mule: 0.02 },
  { code: 'CA', x: 300, y: 2300, radius: 900, utcOffset: -5, home: 0.07, travel: 0.12, remit: 0.02, mule: 0.01 },
  { code: 'MX', x: -500, y: -1900, radius: 700, utcOffset: -6, home: 0.05, travel: 0.16, remit: 0.3, mule: 0.05 },
  { code: 'GB', x: 6300, y: 2000, radius: 300, utcOffset: 0, home: 0.05, travel: 0.1, remit: 0.05, mule: 0.05 },
  { code: 'FR', x: 6800, y: 1500, radius: 350, utcOffset: 1, home: 0.04, travel: 0.12, remit: 0.02, mule: 0.02 },
  { code: 'DE', x: 7200, y: 1950, radius: 300, utcOffset: 1, home: 0.03, travel: 0.06, remit: 0.02, mule: 0.02 },
  { code: 'ES', x: 6300, y: 1000, radius: 350, utcOffset: 1, home: 0.025, travel: 0.1, remit: 0.02, mule: 0.02 },
  { code: 'IT', x: 7400, y: 1100, radius: 350, utcOffset: 1, home: 0.02, travel: 0.1, remit: 0.02, mule: 0.02 },
  { code: 'JP', x: -8800, y: 1200, radius: 500, utcOffset: 9, home: 0.015, travel: 0.05, remit: 0.01, mule: 0.02 },
  { code: 'IN', x: 11000, y: -300, radius: 900, utcOffset: 5.5, home: 0, travel: 0.02, remit: 0.2, mule: 0.05 },
  { code: 'PH', x: -10500, y: -1300, radius: 400, utcOffset: 8, home: 0, travel: 0.03, remit: 0.14, mule: 0.07 },
  { code: 'NG', x: 7000, y: -2900, radius: 500, utcOffset: 1, home: 0, travel: 0.005, remit: 0.08, mule: 0.14 },
  { code: 'CN', x: -10500, y: 700, radius: 1000, utcOffset: 8, home: 0, travel: 0.02, remit: 0.08, mule: 0.07 },
  { code: 'BR', x: 3500, y: -5200, radius: 1200, utcOffset: -3, home: 0, travel: 0.03, remit: 0.03, mule: 0.06 },
  { code: 'RO', x: 8300, y: 1600, radius: 250, utcOffset: 2, home: 0, travel: 0.01, remit: 0.02, mule: 0.11 },
  { code: 'UA', x: 8800, y: 2000, radius: 400, utcOffset: 2, home: 0, travel: 0.005, remit: 0.02, mule: 0.09 },
  { code: 'RU', x: 9800, y: 2800, radius: 1500, utcOffset: 3, home: 0, travel: 0.005, remit: 0.01, mule: 0.09 },
  { code: 'TR', x: 8900, y: 900, radius: 500, utcOffset: 3, home: 0, travel: 0.04, remit: 0.01, mule: 0.06 },
  { code: 'AE', x: 10200, y: -200, radius: 150, utcOffset: 4, home: 0, travel: 0.03, remit: 0.01, mule: 0.08 },
  { code: 'HK', x: -10300, y: 300, radius: 40, utcOffset: 8, home: 0, travel: 0.02, remit: 0.02, mule: 0.07 },
  { code: 'TH', x: -11200, y: -700, radius: 400, utcOffset: 7, home: 0, travel: 0.04, remit: 0.01, mule: 0.02 },
];

/** Distance between two countries' centres, km. */
export function countryDistance(a: CountrySpec, b: CountrySpec): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** Hours a trip between two countries takes door to door (flight plus airports). */
export function travelHours(a: CountrySpec, b: CountrySpec): number {
  return Math.min(16, countryDistance(a, b) / 800 + 2.5);
}

/** A merchant category and the shape of its amounts. */
export interface CategorySpec {
  name: string;
  /** Median amount, currency units, for a customer of average means. */
  median: number;
  /** Log-space standard deviation of amounts. */
  sigma: number;
  /** Share of amounts that are whole (fuel for 40.00, tickets, gift cards). */
  whole: number;
  /** Share of amounts ending in .99. */
  ninetyNine: number;
  /** Words merchant names are made of. */
  words: readonly string[];
}

/** Card-present categories: stores with terminals near where customers live. */
export const POS_CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'grocery',
    median: 42,
    sigma: 0.75,
    whole: 0.02,
    ninetyNine: 0.05,
    words: ['FreshMart', 'Green Grocer', 'Daily Foods', 'ValueFoods', 'Corner Market', 'FarmTable', 'SaveMore'],
  },
  {
    name: 'restaurant',
    median: 31,
    sigma: 0.65,
    whole: 0.12,
    ninetyNine: 0.02,
    words: ['Bistro', 'Grill House', 'Diner', 'Trattoria', 'Noodle Bar', 'Taqueria', 'Steakhouse', 'Sushi Bar'],
  },
  {
    name: 'cafe',
    median: 6.5,
    sigma: 0.45,
    whole: 0.18,
    ninetyNine: 0.02,
    words: ['Coffee House', 'Espresso Bar', 'Bean Co', 'Corner Cafe', 'Bakery'],
  },
  {
    name: 'fuel',
    median: 46,
    sigma: 0.4,
    whole: 0.3,
    ninetyNine: 0,
    words: ['FuelStop', 'GasGo', 'PetroPlus', 'QuickFuel'],
  },
  {
    name: 'retail',
    median: 52,
    sigma: 0.85,
    whole: 0.05,
    ninetyNine: 0.25,
    words: ['HomeGoods', 'General Store', 'Outlet', 'Dollar Plus', 'Hardware'],
  },
  {
    name: 'pharmacy',
    median: 22,
    sigma: 0.7,
    whole: 0.03,
    ninetyNine: 0.2,
    words: ['Pharmacy', 'Drugstore', 'HealthPlus'],
  },
  {
    name: 'fashion',
    median: 68,
    sigma: 0.7,
    whole: 0.08,
    ninetyNine: 0.3,
    words: ['Boutique', 'Shoe Store', 'Denim Co', 'Style House'],
  },
  {
    name: 'electronics',
    median: 140,
    sigma: 0.95,
    whole: 0.05,
    ninetyNine: 0.35,
    words: ['TechZone', 'Gadget Hub', 'PhoneWorld', 'ElectroMart'],
  },
  {
    name: 'home',
    median: 85,
    sigma: 0.9,
    whole: 0.05,
    ninetyNine: 0.3,
    words: ['Furniture Gallery', 'Garden Center', 'Home Depot Plus', 'Kitchenware'],
  },
  {
    name: 'entertainment',
    median: 34,
    sigma: 0.6,
    whole: 0.35,
    ninetyNine: 0.05,
    words: ['Cinema', 'Bowling', 'Theatre', 'Arcade', 'Museum Shop'],
  },
];

/** Relative frequency of each card-present category for an average customer. */
export const POS_WEIGHTS: readonly number[] = [22, 18, 14, 9, 10, 6, 5, 2, 3, 5];

/** Index of a card-present category by name. */
export const POS = Object.fromEntries(POS_CATEGORIES.map((c, i) => [c.name, i])) as Record<string, number>;

/** Card-not-present categories: online merchants, not tied to a place. */
export const ECOM_CATEGORIES: readonly CategorySpec[] = [
  {
    name: 'digital',
    median: 12,
    sigma: 0.7,
    whole: 0.05,
    ninetyNine: 0.55,
    words: ['StreamFlix', 'GameVault', 'MusicBox', 'CloudDrive', 'AppShop', 'NewsPlus'],
  },
  {
    name: 'marketplace',
    median: 38,
    sigma: 0.95,
    whole: 0.04,
    ninetyNine: 0.3,
    words: ['ShopNow', 'BazaarHub', 'MegaMart Online', 'DealDay', 'Everything Store'],
  },
  {
    name: 'fashion',
    median: 64,
    sigma: 0.7,
    whole: 0.05,
    ninetyNine: 0.4,
    words: ['StyleCart', 'ShoeBox Online', 'Threads'],
  },
  {
    name: 'electronics',
    median: 160,
    sigma: 0.95,
    whole: 0.04,
    ninetyNine: 0.4,
    words: ['ByteShop', 'GadgetDirect', 'PixelStore'],
  },
  {
    name: 'travel',
    median: 290,
    sigma: 0.85,
    whole: 0.08,
    ninetyNine: 0.02,
    words: ['SkyFares', 'StayBook', 'RailTickets', 'CarHire Online'],
  },
  {
    name: 'utilities',
    median: 80,
    sigma: 0.45,
    whole: 0.1,
    ninetyNine: 0.02,
    words: ['PowerCo', 'WaterWorks', 'TeleNet', 'Mobile One', 'Insure Direct'],
  },
  {
    name: 'gift_cards',
    median: 50,
    sigma: 0.55,
    whole: 0.92,
    ninetyNine: 0,
    words: ['GiftCard Hub', 'eVoucher', 'CardBazaar'],
  },
  {
    name: 'food_delivery',
    median: 31,
    sigma: 0.5,
    whole: 0.03,
    ninetyNine: 0.05,
    words: ['FoodDash', 'MealRunner', 'GrubNow'],
  },
  {
    name: 'charity',
    median: 25,
    sigma: 0.8,
    whole: 0.85,
    ninetyNine: 0,
    words: ['Red Cross Appeal', 'Animal Rescue', 'Children Fund', 'Clean Oceans'],
  },
];

/** Relative number of online merchants in each category. */
export const ECOM_WEIGHTS: readonly number[] = [20, 22, 12, 8, 7, 8, 5, 12, 6];

/** Index of an online category by name. */
export const ECOM = Object.fromEntries(ECOM_CATEGORIES.map((c, i) => [c.name, i])) as Record<string, number>;

/** Banks whose ATMs stand in every city. */
export const BANKS: readonly string[] = [
  'First National',
  'Metro Bank',
  'Union Savings',
  'Citizens Bank',
  'Harbor Bank',
];

/** Synthetic card BINs (issuer prefixes): not real issuers. */
export const BINS: readonly string[] = ['412345', '438857', '455671', '471209', '516732', '524489', '539921', '548810'];

/** City name stems, suffixed per country. */
export const CITY_STEMS: readonly string[] = [
  'Springfield',
  'Riverton',
  'Lakeside',
  'Fairview',
  'Oakridge',
  'Hillcrest',
  'Bayport',
  'Northgate',
  'Milltown',
  'Westfield',
  'Kingsbridge',
  'Brookhaven',
];
