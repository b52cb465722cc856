import { type Entity, type Features, featureValue, previousCountry, previousTime, type Stat } from '../features.js';
import type { Transaction } from '../transaction.js';
import type { WindowName } from '../windows.js';

// The leaves of an expression: transaction fields and windowed features. A leaf is a small
// descriptor read by one function with a switch (readNumber / readString). Being one function,
// it is a single call target that V8 inlines into the closures using it; a closure per field
// would make those call sites megamorphic and cost a real call each. Features are read through
// featureValue / previousTime / previousCountry only, by a reader closure per entity. Numbers and money read NaN when
// missing (arithmetic carries it for free); strings read undefined.

/** The type of each transaction field. */
export const FIELD_TYPES: Readonly<Record<string, 'money' | 'number' | 'string'>> = {
  amount: 'money',
  account_balance: 'money',
  hour: 'number',
  weekday: 'number',
  currency: 'string',
  account_id: 'string',
  merchant: 'string',
  merchant_category: 'string',
  terminal_id: 'string',
  country: 'string',
  origin_country: 'string',
  destination_country: 'string',
  channel: 'string',
  device_id: 'string',
  ip: 'string',
  card_bin: 'string',
  card_last4: 'string',
  card_token: 'string',
};

/** Every field name, for suggestions and the reference. */
export const FIELD_NAMES: readonly string[] = Object.keys(FIELD_TYPES);

const N_AMOUNT = 0;
const N_BALANCE = 1;
const N_HOUR = 2;
const N_WEEKDAY = 3;

/** A number or money field, read by {@link readNumber}. */
export interface NumberLeaf {
  code: number;
}

const NUMBER_CODES: Readonly<Record<string, number>> = {
  amount: N_AMOUNT,
  account_balance: N_BALANCE,
  hour: N_HOUR,
  weekday: N_WEEKDAY,
};

/** The leaf of a number or money field. */
export function numberField(name: string): NumberLeaf | undefined {
  const code = Object.hasOwn(NUMBER_CODES, name) ? NUMBER_CODES[name] : undefined;
  return code === undefined ? undefined : { code };
}

/**
 * Reads a windowed feature through `featureValue` only. One function literal per entity, with the
 * entity written out, so V8 inlines `featureValue` with a constant entity (a plain property read
 * instead of a keyed lookup). An entity the transaction does not have (no card) is missing, not 0.
 * The mean of an empty window is missing too (SQL AVG), not the 0 `featureValue` reads, so
 * `amount > 5 * prior_avg(account, 30d)` cannot fire on an account's first transaction (amounts are
 * > 0, so a mean of 0 is an empty window).
 */
export function featureReader(
  entity: Entity,
  window: WindowName,
  stat: Stat,
): (tx: Transaction, f: Features) => number {
  if (stat === 'avg' || stat === 'prior_avg') {
    switch (entity) {
      case 'account':
        return (tx, f) => nonZero(featureValue(f, 'account', window, stat, tx.amount));
      case 'card':
        return (tx, f) =>
          tx.card === undefined ? Number.NaN : nonZero(featureValue(f, 'card', window, stat, tx.amount));
      case 'terminal':
        return (tx, f) =>
          tx.terminalId === undefined ? Number.NaN : nonZero(featureValue(f, 'terminal', window, stat, tx.amount));
      case 'merchant':
        return (tx, f) =>
          tx.merchant === undefined ? Number.NaN : nonZero(featureValue(f, 'merchant', window, stat, tx.amount));
    }
  }
  switch (entity) {
    case 'account':
      return (tx, f) => featureValue(f, 'account', window, stat, tx.amount);
    case 'card':
      return (tx, f) => (tx.card === undefined ? Number.NaN : featureValue(f, 'card', window, stat, tx.amount));
    case 'terminal':
      return (tx, f) =>
        tx.terminalId === undefined ? Number.NaN : featureValue(f, 'terminal', window, stat, tx.amount);
    case 'merchant':
      return (tx, f) => (tx.merchant === undefined ? Number.NaN : featureValue(f, 'merchant', window, stat, tx.amount));
  }
}

function nonZero(v: number): number {
  return v === 0 ? Number.NaN : v;
}

/** Reads `minutes_since_prev(entity)` through `previousTime` (NaN when none), one literal per entity as above. */
export function minutesReader(entity: Entity): (tx: Transaction, f: Features) => number {
  switch (entity) {
    case 'account':
      return (tx, f) => (tx.timestamp - previousTime(f, 'account')) / 60_000;
    case 'card':
      return (tx, f) => (tx.timestamp - previousTime(f, 'card')) / 60_000;
    case 'terminal':
      return (tx, f) => (tx.timestamp - previousTime(f, 'terminal')) / 60_000;
    case 'merchant':
      return (tx, f) => (tx.timestamp - previousTime(f, 'merchant')) / 60_000;
  }
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Reads a number or money field. */
export function readNumber(l: NumberLeaf, tx: Transaction): number {
  switch (l.code) {
    case N_AMOUNT:
      return tx.amount;
    case N_BALANCE:
      return tx.accountBalance ?? Number.NaN;
    case N_HOUR:
      return mod(Math.floor(tx.timestamp / HOUR), 24);
    case N_WEEKDAY:
      // 1970-01-01 was a Thursday (4); 0 = Sunday as in Date#getUTCDay, without a Date per row.
      return mod(Math.floor(tx.timestamp / DAY) + 4, 7);
    default:
      return Number.NaN;
  }
}

/** A string field, read by {@link readString}. */
export interface StringLeaf {
  code: number;
}

const STRING_CODES: Readonly<Record<string, number>> = {
  currency: 0,
  account_id: 1,
  merchant: 2,
  merchant_category: 3,
  terminal_id: 4,
  country: 5,
  origin_country: 6,
  destination_country: 7,
  channel: 8,
  device_id: 9,
  ip: 10,
  card_bin: 11,
  card_last4: 12,
  card_token: 13,
};

/** The leaf of a string field. */
export function stringField(name: string): StringLeaf | undefined {
  const code = Object.hasOwn(STRING_CODES, name) ? STRING_CODES[name] : undefined;
  return code === undefined ? undefined : { code };
}

/** Reads `prev_country(entity)` through `previousCountry`, one literal per entity (see {@link featureReader}). */
export function prevCountryReader(entity: Entity): (tx: Transaction, f: Features) => string | undefined {
  switch (entity) {
    case 'account':
      return (_tx, f) => previousCountry(f, 'account');
    case 'card':
      return (_tx, f) => previousCountry(f, 'card');
    case 'terminal':
      return (_tx, f) => previousCountry(f, 'terminal');
    case 'merchant':
      return (_tx, f) => previousCountry(f, 'merchant');
  }
}

/** Reads a string field; undefined when missing. */
export function readString(l: StringLeaf, tx: Transaction): string | undefined {
  switch (l.code) {
    case 0:
      return tx.currency;
    case 1:
      return tx.accountId;
    case 2:
      return tx.merchant;
    case 3:
      return tx.merchantCategory;
    case 4:
      return tx.terminalId;
    case 5:
      return tx.country;
    case 6:
      return tx.originCountry;
    case 7:
      return tx.destinationCountry;
    case 8:
      return tx.channel;
    case 9:
      return tx.deviceId;
    case 10:
      return tx.ip;
    case 11:
      return tx.card?.bin;
    case 12:
      return tx.card?.last4;
    case 13:
      return tx.card?.token;
    default:
      return undefined;
  }
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
