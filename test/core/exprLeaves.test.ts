import { describe, expect, it } from 'vitest';
import type { CheckEnv } from '../../src/core/expr/checker.js';
import { compileValue, type Value } from '../../src/core/expr/compiler.js';
import { FIELD_TYPES } from '../../src/core/expr/fields.js';
import {
  ENTITIES,
  type Entity,
  type Features,
  FeatureWindows,
  featureValue,
  previousCountry,
  previousTime,
  type Stat,
} from '../../src/core/features.js';
import type { Transaction } from '../../src/core/transaction.js';
import { WINDOWS } from '../../src/core/windows.js';
import { makeTx, money, T0 } from '../helpers/transactions.js';

// The leaves of the rule language: every transaction field and every windowed feature of every
// entity reads what its name says, and a leaf the transaction does not have reads as missing.
// Values differ from field to field and from entity to entity, so a leaf reading its neighbour's
// value cannot pass.

const env: CheckEnv = { lists: new Map() };
const valueOf = (source: string, tx: Transaction, f?: Features): Value =>
  compileValue(source, env).evaluate(tx, f ?? new FeatureWindows().observe(tx));

const MINUTE = 60_000;
const CARD = { token: 'tok-9', bin: '455555', last4: '4321', masked: '455555******4321' };

/** A transaction with every field set, each to a value of its own. */
const FULL = makeTx({
  transactionId: 'full',
  timestamp: Date.UTC(2024, 2, 7, 13, 5), // a Thursday, 13:05
  accountId: 'acc-f',
  amount: money('12.34'),
  currency: 'EUR',
  accountBalance: money('567.89'),
  merchant: 'Merchant F',
  merchantCategory: '5999',
  terminalId: 'term-f',
  country: 'DE',
  originCountry: 'NL',
  destinationCountry: 'BE',
  channel: 'web',
  deviceId: 'dev-f',
  ip: '192.0.2.7',
  card: CARD,
});

const EXPECTED: Record<string, Value> = {
  amount: money('12.34'),
  account_balance: money('567.89'),
  hour: 13,
  weekday: 4,
  currency: 'EUR',
  account_id: 'acc-f',
  merchant: 'Merchant F',
  merchant_category: '5999',
  terminal_id: 'term-f',
  country: 'DE',
  origin_country: 'NL',
  destination_country: 'BE',
  channel: 'web',
  device_id: 'dev-f',
  ip: '192.0.2.7',
  card_bin: '455555',
  card_last4: '4321',
  card_token: 'tok-9',
};

describe('rule language: transaction fields', () => {
  it('has an expectation for every field', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(FIELD_TYPES).sort());
  });

  it.each(Object.entries(EXPECTED))('%s reads its own value', (field, expected) => {
    expect(valueOf(field, FULL)).toBe(expected);
  });

  it.each(Object.keys(EXPECTED).filter((f) => !['amount', 'currency', 'account_id', 'hour', 'weekday'].includes(f)))(
    '%s is missing on a transaction without it',
    (field) => {
      // A bare transaction: amount, currency, account and time only.
      expect(valueOf(field, makeTx())).toBeUndefined();
      expect(valueOf(`present(${field})`, makeTx())).toBe(false);
    },
  );
});

describe('rule language: windowed features of each entity', () => {
  /**
   * A history in which each entity saw a different number of earlier transactions (account 4,
   * card 3, terminal 2, merchant 1), with different amounts and countries, then the scored one.
   */
  function history(scored: Partial<Transaction> = {}): { tx: Transaction; f: Features } {
    const store = new FeatureWindows();
    const shared = { accountId: 'acc-h', card: CARD, terminalId: 'term-h', merchant: 'Merch H' };
    const earlier: Partial<Transaction>[] = [
      { accountId: 'acc-h', amount: money('10'), country: 'FR' },
      { accountId: 'acc-h', card: CARD, amount: money('20'), country: 'ES' },
      { accountId: 'acc-h', card: CARD, terminalId: 'term-h', amount: money('40'), country: 'IT' },
      { ...shared, amount: money('80'), country: 'PT' },
    ];
    earlier.forEach((e, i) => store.observe(makeTx({ transactionId: `h${i}`, timestamp: T0 + i * MINUTE, ...e })));
    const tx = makeTx({ transactionId: 'scored', timestamp: T0 + 10 * MINUTE, ...shared, amount: money('5'), country: 'GB', ...scored });
    return { tx, f: store.observe(tx) };
  }

  const FUNCTIONS: Record<string, Stat> = {
    count: 'count',
    sum: 'sum',
    avg: 'avg',
    distinct_countries: 'countries',
    prior_count: 'prior_count',
    prior_sum: 'prior_sum',
    prior_avg: 'prior_avg',
  };

  it('reads every feature of every entity and window as featureValue does, and entities differ', () => {
    // Prepare
    const { tx, f } = history();
    for (const [fn, stat] of Object.entries(FUNCTIONS)) {
      for (const window of WINDOWS) {
        // Act
        const read = ENTITIES.map((e) => valueOf(`${fn}(${e}, ${window})`, tx, f));
        // Assess
        const mean = stat === 'avg' || stat === 'prior_avg';
        const expected = ENTITIES.map((e) => featureValue(f, e, window, stat, tx.amount)).map((v) => (mean && v === 0 ? undefined : v));
        expect(read, `${fn} ${window}`).toEqual(expected);
      }
    }
    // The entities saw different histories, so a leaf reading another entity shows.
    expect(ENTITIES.map((e) => valueOf(`prior_count(${e}, 1h)`, tx, f))).toEqual([4, 3, 2, 1]);
    expect(ENTITIES.map((e) => valueOf(`prior_sum(${e}, 1h)`, tx, f))).toEqual(
      ['150', '140', '120', '80'].map((m) => money(m)),
    );
  });

  it('reads a feature of an entity the transaction does not have as missing, never 0', () => {
    // Prepare: the scored transaction has an account only.
    const { tx, f } = history({ card: undefined, terminalId: undefined, merchant: undefined });
    for (const fn of Object.keys(FUNCTIONS)) {
      // Act / Assess
      expect(valueOf(`${fn}(account, 1h)`, tx, f), fn).not.toBeUndefined();
      for (const e of ['card', 'terminal', 'merchant'] as Entity[]) expect(valueOf(`${fn}(${e}, 1h)`, tx, f), `${fn} ${e}`).toBeUndefined();
    }
  });

  it('reads the average of an empty window as missing (the first transaction of an entity)', () => {
    // Prepare: nothing earlier
    const tx = makeTx({ ...FULL, transactionId: 'first' });
    const f = new FeatureWindows().observe(tx);
    for (const e of ENTITIES) {
      // Act / Assess
      expect(valueOf(`prior_avg(${e}, 30d)`, tx, f), e).toBeUndefined();
      expect(valueOf(`avg(${e}, 30d)`, tx, f), e).toBe(tx.amount);
      expect(valueOf(`prior_count(${e}, 30d)`, tx, f), e).toBe(0);
    }
  });

  it('reads minutes_since_prev and prev_country of each entity from its own previous transaction', () => {
    // Prepare
    const { tx, f } = history();
    // Act
    const minutes = ENTITIES.map((e) => valueOf(`minutes_since_prev(${e})`, tx, f));
    const countries = ENTITIES.map((e) => valueOf(`prev_country(${e})`, tx, f));
    // Assess: every entity's previous transaction is the last of the history, at minute 3, in PT,
    // except as the history gives them; each read as the features hold it.
    expect(minutes).toEqual(ENTITIES.map((e) => (tx.timestamp - previousTime(f, e)) / MINUTE));
    expect(minutes).toEqual([7, 7, 7, 7]);
    expect(countries).toEqual(ENTITIES.map((e) => previousCountry(f, e)));
    expect(countries).toEqual(['PT', 'PT', 'PT', 'PT']);
  });

  it('reads minutes_since_prev and prev_country per entity when their previous transactions differ', () => {
    // Prepare: each entity last seen at a different minute, in a different country.
    const store = new FeatureWindows();
    const at = (i: number, e: Partial<Transaction>) =>
      store.observe(makeTx({ transactionId: `p${i}`, timestamp: T0 + i * MINUTE, accountId: `x${i}`, ...e }));
    at(0, { merchant: 'Merch P', country: 'FR' });
    at(1, { terminalId: 'term-p', country: 'ES' });
    at(2, { card: CARD, country: 'IT' });
    at(3, { accountId: 'acc-p', country: 'PT' });
    const tx = makeTx({ transactionId: 'p', timestamp: T0 + 10 * MINUTE, accountId: 'acc-p', card: CARD, terminalId: 'term-p', merchant: 'Merch P' });
    const f = store.observe(tx);
    // Act / Assess
    expect(ENTITIES.map((e) => valueOf(`minutes_since_prev(${e})`, tx, f))).toEqual([7, 8, 9, 10]);
    expect(ENTITIES.map((e) => valueOf(`prev_country(${e})`, tx, f))).toEqual(['PT', 'IT', 'ES', 'FR']);
  });
});
