import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RulesError } from '../../src/core/errors.js';
import { type Features, FeatureWindows } from '../../src/core/features.js';
import { compileRuleSet, evaluate, RULE_KINDS, type RuleSet } from '../../src/core/rules.js';
import type { Transaction } from '../../src/core/transaction.js';
import { entityFeatures, firstSeen, makeTx, money, T0 } from '../helpers/transactions.js';

const SECOND = 1_000;
const MINUTE = 60_000;

function rulesError(doc: unknown): RulesError {
  try {
    compileRuleSet(doc);
  } catch (e) {
    if (e instanceof RulesError) return e;
    throw e;
  }
  throw new Error('expected a RulesError');
}

/** A set holding one rule, with the lists the list-based kinds need. */
function only(rule: Record<string, unknown>, lists: Record<string, string[]> = {}): RuleSet {
  return compileRuleSet({ version: 'test', lists, rules: [{ weight: 50, ...rule }] });
}

/** The detail of the set's only rule for `tx`, or undefined when it does not fire. */
function detail(set: RuleSet, tx: Transaction, f: Features = firstSeen(tx)): string | undefined {
  const { fired, unfired } = evaluate(set, tx, f);
  expect(fired.length + unfired.length).toBe(1);
  return fired[0]?.detail;
}

describe('compileRuleSet', () => {
  it('compiles a minimal rule with defaults', () => {
    // Act
    const set = compileRuleSet({ rules: [{ id: 'high_value', weight: 60 }] });

    // Assess
    expect(set.thresholds).toEqual({ review: 50, block: 80 });
    expect(set.rules).toHaveLength(1);
    expect(set.rules[0]).toMatchObject({
      id: 'high_value',
      kind: 'high_value',
      version: 1,
      weight: 60,
      description: 'high value',
    });
  });

  it('lets several rules share a kind under their own ids', () => {
    // Act
    const set = compileRuleSet({
      rules: [
        { id: 'big', kind: 'high_value', weight: 30, params: { amount: '1000' } },
        { id: 'huge', kind: 'high_value', weight: 70, params: { amount: 50_000 } },
      ],
    });

    // Assess
    expect(evaluate(set, makeTx({ amount: money('2000') }), firstSeen(makeTx())).fired.map((h) => h.rule)).toEqual([
      'big',
    ]);
  });

  it.each([
    ['a non-object document', [], '', 'must be a JSON object'],
    ['missing rules', {}, 'rules', 'must be an array'],
    ['a non-object rule', { rules: ['x'] }, 'rules[0]', 'must be an object'],
    ['an id that is not snake_case', { rules: [{ id: 'High-Value', weight: 1 }] }, 'rules[0].id', 'snake_case'],
    ['a missing id', { rules: [{ weight: 1 }] }, 'rules[0].id', 'snake_case'],
    [
      'a duplicate id',
      {
        rules: [
          { id: 'velocity', weight: 1 },
          { id: 'velocity', weight: 2 },
        ],
      },
      'rules[1].id',
      '"velocity" is used twice',
    ],
    [
      'an unknown kind',
      { rules: [{ id: 'x', kind: 'nope', weight: 1 }] },
      'rules[0].kind',
      '"nope" is not a rule kind',
    ],
    [
      'an id that is no kind and no kind given',
      { rules: [{ id: 'my_rule', weight: 1 }] },
      'rules[0].kind',
      'not a rule kind',
    ],
    ['a weight over 100', { rules: [{ id: 'high_value', weight: 101 }] }, 'rules[0].weight', 'must be a number 0–100'],
    ['a negative weight', { rules: [{ id: 'high_value', weight: -1 }] }, 'rules[0].weight', 'must be a number 0–100'],
    ['a string weight', { rules: [{ id: 'high_value', weight: '50' }] }, 'rules[0].weight', 'must be a number 0–100'],
    ['a missing weight', { rules: [{ id: 'high_value' }] }, 'rules[0].weight', 'must be a number 0–100'],
    [
      'a version of 0',
      { rules: [{ id: 'high_value', weight: 1, version: 0 }] },
      'rules[0].version',
      'positive integer',
    ],
    [
      'a fractional version',
      { rules: [{ id: 'high_value', weight: 1, version: 1.5 }] },
      'rules[0].version',
      'positive integer',
    ],
    [
      'params that are no object',
      { rules: [{ id: 'high_value', weight: 1, params: [] }] },
      'rules[0].params',
      'must be an object',
    ],
    [
      'a negative amount',
      { rules: [{ id: 'high_value', weight: 1, params: { amount: '-5' } }] },
      'rules[0].params.amount',
      'must not be negative',
    ],
    [
      'an amount that is no decimal',
      { rules: [{ id: 'high_value', weight: 1, params: { amount: '1e4' } }] },
      'rules[0].params.amount',
      'is not a decimal number',
    ],
    [
      'an amount of the wrong type',
      { rules: [{ id: 'high_value', weight: 1, params: { amount: true } }] },
      'rules[0].params.amount',
      'must be a decimal number',
    ],
    [
      'a count below 1',
      { rules: [{ id: 'velocity', weight: 1, params: { max_count: 0 } }] },
      'rules[0].params.max_count',
      'must be a number >= 1',
    ],
    [
      'an unknown window',
      { rules: [{ id: 'velocity', weight: 1, params: { window: '2m' } }] },
      'rules[0].params.window',
      'must be one of 1m, 1h, 24h, 7d, 30d',
    ],
    [
      'an undefined list',
      { rules: [{ id: 'blacklisted_merchant', weight: 1 }] },
      'rules[0].params.list',
      'names list "blacklisted_merchants", which is not defined under "lists"',
    ],
    [
      'a list name that is not a string',
      { lists: { x: [] }, rules: [{ id: 'high_risk_location', weight: 1, params: { list: 3 } }] },
      'rules[0].params.list',
      'must name a list',
    ],
    ['lists that are no object', { lists: [], rules: [] }, 'lists', 'must be an object'],
    ['a list of non-strings', { lists: { bad: ['a', 1] }, rules: [] }, 'lists.bad', 'must be an array of strings'],
    ['thresholds that are no object', { thresholds: 5, rules: [] }, 'thresholds', 'must be {'],
    [
      'a review threshold over 100',
      { thresholds: { review: 101 }, rules: [] },
      'thresholds.review',
      'must be a number 0–100',
    ],
    [
      'a negative block threshold',
      { thresholds: { block: -1 }, rules: [] },
      'thresholds.block',
      'must be a number 0–100',
    ],
    [
      'block below review',
      { thresholds: { review: 60, block: 40 }, rules: [] },
      'thresholds',
      'block must not be lower than review',
    ],
  ])('rejects %s with its path', (_, doc, path, message) => {
    // Act
    const e = rulesError(doc);

    // Assess
    expect(e.path).toBe(path);
    expect(e.message).toContain(message);
    expect(e.message).toMatch(path === '' ? /^rules: / : new RegExp(`^rules ${path.replace(/[[\]]/g, '\\$&')}: `));
  });

  it('reports the path of the failing rule in a longer set', () => {
    // Act
    const e = rulesError({
      rules: [
        { id: 'high_value', weight: 1 },
        { id: 'cross_border', weight: 1 },
        { id: 'velocity', weight: 1, params: { window: 60 } },
      ],
    });

    // Assess
    expect(e.path).toBe('rules[2].params.window');
  });

  it('uses a content hash as the version when none is given', () => {
    // Prepare
    const doc = { rules: [{ id: 'high_value', weight: 60 }] };

    // Act
    const a = compileRuleSet(doc).version;
    const b = compileRuleSet(structuredClone(doc)).version;
    const changed = compileRuleSet({ rules: [{ id: 'high_value', weight: 61 }] }).version;
    const named = compileRuleSet({ ...doc, version: 'v7' }).version;

    // Assess
    expect(a).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(b).toBe(a);
    expect(changed).not.toBe(a);
    expect(named).toBe('v7');
  });

  it('skips rules with enabled: false', () => {
    // Act
    const set = compileRuleSet({
      rules: [
        { id: 'high_value', weight: 60, enabled: false },
        { id: 'cross_border', weight: 30, enabled: true },
      ],
    });
    const result = evaluate(set, makeTx({ amount: money('20000') }), firstSeen(makeTx()));

    // Assess
    expect(set.rules.map((r) => r.id)).toEqual(['cross_border']);
    expect(result).toEqual({ fired: [], unfired: ['cross_border'] });
  });

  it('compiles the shipped default rules with every rule kind', () => {
    // Prepare
    const doc: unknown = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8'));

    // Act
    const set = compileRuleSet(doc);

    // Assess
    expect(set.version).toBe('default-1');
    expect(set.thresholds).toEqual({ review: 50, block: 80 });
    expect(new Set(set.rules.map((r) => r.kind))).toEqual(new Set(RULE_KINDS));
    for (const r of set.rules) expect(r.description).not.toBe('');
  });

  it('fires the shipped rules on a transaction that breaks several of them', () => {
    // Prepare
    const doc: unknown = JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8'));
    const set = compileRuleSet(doc);
    const tx = makeTx({
      amount: money('10000.01'),
      merchant: 'QUICKCASH TRANSFERS',
      country: 'IR',
      destinationCountry: 'GB',
    });

    // Act
    const { fired, unfired } = evaluate(set, tx, firstSeen(tx));

    // Assess
    expect(fired.map((h) => h.rule).sort()).toEqual([
      'blacklisted_merchant',
      'cross_border',
      'high_risk_location',
      'high_value',
    ]);
    expect(unfired).toHaveLength(set.rules.length - 4);
  });
});

describe('rule kind high_value', () => {
  const set = only({ id: 'high_value', params: { amount: '10000' } });

  it('does not fire at exactly the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.00') }))).toBeUndefined();
  });

  it('fires one cent above the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.01') }))).toBe('amount 10000.01 USD is above 10000.00');
  });

  it('fires one ten-thousandth above the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.0001') }))).toBeDefined();
  });
});

describe('rule kind blacklisted_merchant', () => {
  const set = only(
    { id: 'blacklisted_merchant' },
    { blacklisted_merchants: ['Shady Electronics Ltd', '  QuickCash  '] },
  );

  it('fires on a listed merchant whatever its case', () => {
    expect(detail(set, makeTx({ merchant: 'SHADY electronics ltd' }))).toBe(
      'merchant "SHADY electronics ltd" is on the blacklist',
    );
    expect(detail(set, makeTx({ merchant: 'quickcash' }))).toBeDefined();
  });

  it('does not fire on other merchants or without a merchant', () => {
    expect(detail(set, makeTx({ merchant: 'Shady Electronics' }))).toBeUndefined();
    expect(detail(set, makeTx())).toBeUndefined();
  });
});

describe('rule kind small_round_amount', () => {
  const set = only({ id: 'small_round_amount', params: { max_amount: '50', multiple_of: '1' } });

  it('fires on a whole amount under the maximum', () => {
    expect(detail(set, makeTx({ amount: money('49') }))).toBe('round amount 49.00 under 50.00 (card testing pattern)');
    expect(detail(set, makeTx({ amount: money('1') }))).toBeDefined();
  });

  it('does not fire at the maximum or on amounts with cents', () => {
    expect(detail(set, makeTx({ amount: money('50') }))).toBeUndefined();
    expect(detail(set, makeTx({ amount: money('49.99') }))).toBeUndefined();
    expect(detail(set, makeTx({ amount: money('0.5') }))).toBeUndefined();
  });

  it('honours multiple_of', () => {
    // Prepare
    const fives = only({ id: 'small_round_amount', params: { multiple_of: '5' } });

    // Act / Assess
    expect(detail(fives, makeTx({ amount: money('45') }))).toBeDefined();
    expect(detail(fives, makeTx({ amount: money('46') }))).toBeUndefined();
  });

  it('never fires with multiple_of 0', () => {
    expect(
      detail(only({ id: 'small_round_amount', params: { multiple_of: 0 } }), makeTx({ amount: money('10') })),
    ).toBeUndefined();
  });
});

describe('rule kind high_risk_location', () => {
  const set = only({ id: 'high_risk_location' }, { high_risk_countries: ['KP', 'Iran'] });

  it('fires on a listed country where it happens, comes from or goes to', () => {
    expect(detail(set, makeTx({ country: 'KP' }))).toBe('country KP is on the high-risk list');
    expect(detail(set, makeTx({ country: 'GB', originCountry: 'kp' }))).toBeDefined();
    expect(detail(set, makeTx({ country: 'GB', destinationCountry: 'IRAN' }))).toBe(
      'country IRAN is on the high-risk list',
    );
  });

  it('does not fire on other countries or without one', () => {
    expect(detail(set, makeTx({ country: 'GB', originCountry: 'FR', destinationCountry: 'IR' }))).toBeUndefined();
    expect(detail(set, makeTx())).toBeUndefined();
  });
});

describe('rule kind velocity', () => {
  const set = only({ id: 'velocity', params: { max_count: 3, window: '1m' } });

  it('fires on the 4th transaction of an account within a minute, not the 3rd', () => {
    // Prepare
    const store = new FeatureWindows();
    const txs = [0, 10, 20, 30].map((s, i) => makeTx({ transactionId: `t${i}`, timestamp: T0 + s * SECOND }));

    // Act
    const details = txs.map((tx) => detail(set, tx, store.observe(tx)));

    // Assess
    expect(details.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(details[3]).toBe('4 transactions on account acc-1 within 1m (limit 3)');
  });

  it('does not count a transaction exactly 60 seconds earlier', () => {
    // Prepare
    const store = new FeatureWindows();
    const txs = [0, 20, 40, 60].map((s, i) => makeTx({ transactionId: `t${i}`, timestamp: T0 + s * SECOND }));

    // Act
    const details = txs.map((tx) => detail(set, tx, store.observe(tx)));
    const oneMore = makeTx({ transactionId: 't4', timestamp: T0 + 60 * SECOND });
    const fifth = detail(set, oneMore, store.observe(oneMore));

    // Assess
    expect(details).toEqual([undefined, undefined, undefined, undefined]);
    expect(fifth).toBe('4 transactions on account acc-1 within 1m (limit 3)');
  });

  it('fires on a card used by several accounts', () => {
    // Prepare
    const store = new FeatureWindows();
    const card = { token: 'tok', bin: '411111', last4: '1111', masked: '411111******1111' };
    const txs = ['a', 'b', 'c', 'd'].map((a, i) => makeTx({ accountId: a, card, timestamp: T0 + i * SECOND }));

    // Act
    const details = txs.map((tx) => detail(set, tx, store.observe(tx)));

    // Assess
    expect(details[2]).toBeUndefined();
    expect(details[3]).toBe('4 transactions on card 411111******1111 within 1m (limit 3)');
  });

  it('reads the configured window', () => {
    // Prepare
    const hourly = only({ id: 'velocity', params: { max_count: 1, window: '1h' } });
    const f = entityFeatures({ windows: { '1m': { count: 1 }, '1h': { count: 2 } } });

    // Act / Assess
    expect(detail(hourly, makeTx(), { account: f })).toBe('2 transactions on account acc-1 within 1h (limit 1)');
  });
});

describe('rule kind cross_border', () => {
  const set = only({ id: 'cross_border' });

  it('fires when the destination differs from the origin', () => {
    expect(detail(set, makeTx({ originCountry: 'GB', destinationCountry: 'FR' }))).toBe('cross-border: GB to FR');
  });

  it('uses the country as origin when no origin is given', () => {
    expect(detail(set, makeTx({ country: 'GB', destinationCountry: 'FR' }))).toBe('cross-border: GB to FR');
    expect(detail(set, makeTx({ country: 'FR', destinationCountry: 'FR' }))).toBeUndefined();
  });

  it('does not fire for a domestic transfer or without a destination', () => {
    expect(detail(set, makeTx({ originCountry: 'GB', destinationCountry: 'GB', country: 'FR' }))).toBeUndefined();
    expect(detail(set, makeTx({ originCountry: 'GB', country: 'FR' }))).toBeUndefined();
    expect(detail(set, makeTx({ destinationCountry: 'FR' }))).toBeUndefined();
  });
});

describe('rule kind low_balance_high_amount', () => {
  const set = only({
    id: 'low_balance_high_amount',
    params: { min_amount: '500', low_balance: '1000', max_ratio: 0.9 },
  });
  const tx = (amount: string, balance?: string): Transaction =>
    makeTx(
      balance === undefined ? { amount: money(amount) } : { amount: money(amount), accountBalance: money(balance) },
    );

  it('does not fire below the minimum amount, even on an empty account', () => {
    expect(detail(set, tx('499.99', '0'))).toBeUndefined();
  });

  it('fires from the minimum amount when the balance is low', () => {
    expect(detail(set, tx('500', '999.99'))).toBe('amount 500.00 against a balance of 999.99');
  });

  it('does not fire at exactly the low balance when the amount is within the ratio', () => {
    expect(detail(set, tx('500', '1000'))).toBeUndefined();
  });

  it('fires when the amount takes more than the ratio of the balance', () => {
    expect(detail(set, tx('900', '1000'))).toBeUndefined();
    expect(detail(set, tx('900.01', '1000'))).toBeDefined();
  });

  it('does not fire without a balance', () => {
    expect(detail(set, tx('5000'))).toBeUndefined();
  });
});

describe('rule kind amount_anomaly', () => {
  const set = only({
    id: 'amount_anomaly',
    params: { multiplier: 5, min_history: 5, min_amount: '100', window: '30d' },
  });
  /** Features of an account with `n` earlier transactions summing to `prior` in 30 days. */
  const history = (n: number, prior: string, tx: Transaction): Features => ({
    account: entityFeatures({ windows: { '30d': { count: n + 1, sum: money(prior) + tx.amount } } }),
  });

  it('does not fire at exactly the multiplier times the mean', () => {
    // Prepare: 5 earlier transactions averaging 100.00
    const tx = makeTx({ amount: money('500') });

    // Act / Assess
    expect(detail(set, tx, history(5, '500', tx))).toBeUndefined();
  });

  it('fires just above the multiplier times the mean', () => {
    // Prepare
    const tx = makeTx({ amount: money('500.01') });

    // Act / Assess
    expect(detail(set, tx, history(5, '500', tx))).toBe("amount 500.01 is 5.0x the account's 30d mean of 100.00");
  });

  it('needs the minimum history', () => {
    // Prepare
    const tx = makeTx({ amount: money('5000') });

    // Act / Assess
    expect(detail(set, tx, history(4, '400', tx))).toBeUndefined();
    expect(detail(set, tx, history(5, '500', tx))).toBeDefined();
  });

  it('ignores amounts under the minimum amount', () => {
    // Prepare
    const tx = makeTx({ amount: money('99.99') });

    // Act / Assess
    expect(detail(set, tx, history(5, '5', tx))).toBeUndefined();
  });

  it('fires through a feature store after a steady history', () => {
    // Prepare
    const store = new FeatureWindows();
    for (let i = 0; i < 5; i++)
      store.observe(makeTx({ transactionId: `h${i}`, timestamp: T0 + i * MINUTE * 60, amount: money('100') }));
    const tx = makeTx({ transactionId: 'spike', timestamp: T0 + 10 * MINUTE * 60, amount: money('600') });

    // Act / Assess
    expect(detail(set, tx, store.observe(tx))).toBe("amount 600.00 is 6.0x the account's 30d mean of 100.00");
  });
});

describe('rule kind impossible_travel', () => {
  const set = only({ id: 'impossible_travel', params: { min_minutes: 120 } });
  const previouslyIn = (minutes: number, country: string | undefined): Features => ({
    account: entityFeatures({ previous: { timestamp: T0 - minutes * MINUTE, country } }),
  });

  it('fires when the country changes faster than the minimum', () => {
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(119, 'GB'))).toBe(
      'country changed from GB to FR in 119 min (minimum 120)',
    );
  });

  it('does not fire at exactly the minimum', () => {
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(120, 'GB'))).toBeUndefined();
  });

  it('does not fire without a change of country or without a known country', () => {
    expect(detail(set, makeTx({ country: 'GB' }), previouslyIn(1, 'GB'))).toBeUndefined();
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(1, undefined))).toBeUndefined();
    expect(detail(set, makeTx(), previouslyIn(1, 'GB'))).toBeUndefined();
    expect(detail(set, makeTx({ country: 'FR' }))).toBeUndefined();
  });

  it('fires through a feature store', () => {
    // Prepare
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'home', timestamp: T0, country: 'GB' }));
    const tx = makeTx({ transactionId: 'away', timestamp: T0 + 30 * MINUTE, country: 'US' });

    // Act / Assess
    expect(detail(set, tx, store.observe(tx))).toBe('country changed from GB to US in 30 min (minimum 120)');
  });
});

describe('evaluate', () => {
  it('lists fired rules with weights and details, and unfired rule ids, in rule order', () => {
    // Prepare
    const set = compileRuleSet({
      rules: [
        { id: 'cross_border', weight: 30 },
        { id: 'high_value', weight: 60 },
        { id: 'small_round_amount', weight: 20 },
      ],
    });
    const tx = makeTx({ amount: money('20000') });

    // Act
    const result = evaluate(set, tx, firstSeen(tx));

    // Assess
    expect(result).toEqual({
      fired: [{ rule: 'high_value', weight: 60, detail: 'amount 20000.00 USD is above 10000.00' }],
      unfired: ['cross_border', 'small_round_amount'],
    });
  });

  it('is pure: the same inputs give the same result', () => {
    // Prepare
    const set = compileRuleSet({ rules: [{ id: 'high_value', weight: 60 }] });
    const tx = makeTx({ amount: money('20000') });
    const f = firstSeen(tx);

    // Act / Assess
    expect(evaluate(set, tx, f)).toEqual(evaluate(set, tx, f));
  });
});
