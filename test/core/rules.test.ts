import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RuleExpressionError, RulesError, RuleSetError } from '../../src/core/errors.js';
import { type Features, FeatureWindows, featuresFrom } from '../../src/core/features.js';
import { compileRuleSet, evaluate, type RuleSet, type RulesDocument } from '../../src/core/rules.js';
import type { Transaction } from '../../src/core/transaction.js';
import { entityFeatures, firstSeen, makeTx, money, T0 } from '../helpers/transactions.js';
import { canaries, leakedPans } from '../security/panShapes.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const SEED_IDS = [
  'high_value',
  'blacklisted_merchant',
  'small_round_amount',
  'high_risk_location',
  'velocity',
  'cross_border',
  'low_balance_high_amount',
  'amount_anomaly',
  'impossible_travel',
];

function rulesError(doc: unknown): RulesError {
  try {
    compileRuleSet(doc);
  } catch (e) {
    if (e instanceof RulesError) return e;
    throw e;
  }
  throw new Error('expected a RulesError');
}

/** The shipped default rules document. */
function defaultDocument(): RulesDocument {
  return JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')) as RulesDocument;
}

/** A set holding only the shipped rule `id`, with the shipped lists. */
function seed(id: string): RuleSet {
  const doc = defaultDocument();
  return compileRuleSet({ ...doc, rules: doc.rules.filter((r) => r.id === id) });
}

/** A set holding one rule (weight 50 unless given). */
function only(rule: Record<string, unknown>, lists: Record<string, string[]> = {}): RuleSet {
  return compileRuleSet({ version: 'test', lists, rules: [{ id: 'r', weight: 50, ...rule }] });
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
    const set = compileRuleSet({ rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] });

    // Assess
    expect(set.thresholds).toEqual({ review: 50, block: 80 });
    expect(set.rules).toHaveLength(1);
    expect(set.rules[0]).toMatchObject({
      id: 'high_value',
      version: 1,
      weight: 60,
      action: undefined,
      when: 'amount > 10000',
      description: 'high value',
    });
  });

  it('keeps a copy of the document it compiled', () => {
    // Prepare
    const doc = { version: 'v1', rules: [{ id: 'r', when: 'true', weight: 1 }] };

    // Act
    const set = compileRuleSet(doc);
    doc.rules[0] = { id: 'changed', when: 'false', weight: 2 };

    // Assess
    expect(set.document).toEqual({ version: 'v1', rules: [{ id: 'r', when: 'true', weight: 1 }] });
  });

  it.each([
    ['a non-object document', [], '', 'must be a JSON object'],
    ['missing rules', {}, 'rules', 'must be an array'],
    ['an unknown document key', { rules: [], rulez: [] }, 'rulez', 'is not a rules document key'],
    ['a version that is no string', { version: 3, rules: [] }, 'version', 'must be a non-empty string, such as "3"'],
    ['a version over 128 characters', { version: 'v'.repeat(129), rules: [] }, 'version', 'must be at most 128 characters'],
    ['a non-object rule', { rules: ['x'] }, 'rules[0]', 'must be an object'],
    [
      'an id that is not snake_case',
      { rules: [{ id: 'High-Value', when: 'true', weight: 1 }] },
      'rules[0].id',
      'snake_case',
    ],
    ['a missing id', { rules: [{ when: 'true', weight: 1 }] }, 'rules[0].id', 'snake_case'],
    [
      'an id longer than 64 characters',
      { rules: [{ id: 'a'.repeat(65), when: 'true', weight: 1 }] },
      'rules[0].id',
      'must be a snake_case name of at most 64 characters',
    ],
    [
      'a duplicate id',
      {
        rules: [
          { id: 'velocity', when: 'true', weight: 1 },
          { id: 'velocity', when: 'true', weight: 2 },
        ],
      },
      'rules[1].id',
      '"velocity" is used twice',
    ],
    ['a missing when', { rules: [{ id: 'x', weight: 1 }] }, 'rules[0].when', 'is required'],
    ['a when that is no string', { rules: [{ id: 'x', when: 5, weight: 1 }] }, 'rules[0].when', 'is required'],
    [
      'the removed kind format',
      { rules: [{ id: 'x', kind: 'high_value', weight: 1 }] },
      'rules[0].kind',
      'rule kinds and params are gone',
    ],
    [
      'the removed params format',
      { rules: [{ id: 'high_value', weight: 1, params: { amount: '1' } }] },
      'rules[0].params',
      'write the condition in "when"',
    ],
    ['an unknown rule key', { rules: [{ id: 'x', when: 'true', wieght: 1 }] }, 'rules[0].wieght', 'is not a rule key'],
    ['neither weight nor action', { rules: [{ id: 'x', when: 'true' }] }, 'rules[0]', 'needs a "weight"'],
    [
      'both weight and action',
      { rules: [{ id: 'x', when: 'true', weight: 1, action: 'block' }] },
      'rules[0]',
      'has both "weight" and "action"',
    ],
    ['an unknown action', { rules: [{ id: 'x', when: 'true', action: 'deny' }] }, 'rules[0].action', 'must be one of'],
    [
      'a weight over 100',
      { rules: [{ id: 'x', when: 'true', weight: 101 }] },
      'rules[0].weight',
      'must be a number 0–100',
    ],
    [
      'a negative weight',
      { rules: [{ id: 'x', when: 'true', weight: -1 }] },
      'rules[0].weight',
      'must be a number 0–100',
    ],
    [
      'a string weight',
      { rules: [{ id: 'x', when: 'true', weight: '50' }] },
      'rules[0].weight',
      'must be a number 0–100',
    ],
    [
      'a version of 0',
      { rules: [{ id: 'x', when: 'true', weight: 1, version: 0 }] },
      'rules[0].version',
      'positive integer',
    ],
    [
      'a fractional version',
      { rules: [{ id: 'x', when: 'true', weight: 1, version: 1.5 }] },
      'rules[0].version',
      'positive integer',
    ],
    [
      'a detail that is no string',
      { rules: [{ id: 'x', when: 'true', weight: 1, detail: 1 }] },
      'rules[0].detail',
      'string',
    ],
    [
      'an enabled that is no boolean',
      { rules: [{ id: 'x', when: 'true', weight: 1, enabled: 'no' }] },
      'rules[0].enabled',
      'must be true or false',
    ],
    ['lists that are no object', { lists: [], rules: [] }, 'lists', 'must be an object'],
    ['a list of non-strings', { lists: { bad: ['a', 1] }, rules: [] }, 'lists.bad', 'must be an array of strings'],
    ['thresholds that are no object', { thresholds: 5, rules: [] }, 'thresholds', 'must be {'],
    ['an unknown threshold', { thresholds: { alert: 5 }, rules: [] }, 'thresholds.alert', 'is not a threshold'],
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
    expect(e).not.toBeInstanceOf(RuleSetError);
    expect(e.path).toBe(path);
    expect(e.message).toContain(message);
    expect(e.message).toMatch(path === '' ? /^rules: / : new RegExp(`^rules ${path.replace(/[[\]]/g, '\\$&')}: `));
  });

  it('reports an expression error with the rule id, the column and a caret', () => {
    // Act
    const e = rulesError({
      rules: [
        { id: 'a', when: 'true', weight: 1 },
        { id: 'b', when: 'true', weight: 1 },
        { id: 'c', when: 'true', weight: 1 },
        { id: 'velocity_card', when: 'count(card 1m)) > 3', weight: 55 },
      ],
    });

    // Assess
    expect(e).toBeInstanceOf(RuleExpressionError);
    expect(e).toMatchObject({ path: 'rules[3].when', rule: 'velocity_card', line: 1, column: 12 });
    expect(e.message).toBe(
      'rules[3] (velocity_card).when: expected "," or ")" but found 1m at column 12\n' +
        '  count(card 1m)) > 3\n' +
        '             ^',
    );
  });

  it('reports a rule nested too deep as an expression error at its column, not a stack overflow', () => {
    // Act
    const e = rulesError({ rules: [{ id: 'deep', when: `${'('.repeat(10_000)}amount > 1${')'.repeat(10_000)}`, weight: 1 }] });

    // Assess
    expect(e).toBeInstanceOf(RuleExpressionError);
    expect(e).toMatchObject({ path: 'rules[0].when', rule: 'deep', column: 101 });
    expect(e.reason).toMatch(/^the expression nests more than 100 levels deep/);
  });

  it('refuses a document holding arrays nested 100,000 deep in any place, naming the place', () => {
    // Prepare
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const rule = { id: 'r', when: 'true', weight: 1 };
    const places: [unknown, string][] = [
      [{ version: deep, rules: [] }, 'version'],
      [{ description: deep, rules: [] }, 'description'],
      [{ thresholds: deep, rules: [] }, 'thresholds'],
      [{ lists: deep, rules: [] }, 'lists'],
      [{ lists: { l: deep }, rules: [] }, 'lists.l'],
      [{ rules: deep }, 'rules[0]'],
      [{ rules: [rule, deep] }, 'rules[1]'],
      [{ nested: deep, rules: [] }, 'nested'],
      ...['id', 'version', 'description', 'when', 'weight', 'detail', 'enabled', 'extra'].map(
        (k): [unknown, string] => [{ rules: [{ ...rule, [k]: deep }] }, `rules[0].${k}`],
      ),
      [{ rules: [{ id: 'r', when: 'true', action: deep }] }, 'rules[0].action'],
    ];

    for (const [doc, path] of places) {
      // Act
      const e = rulesError(doc);

      // Assess
      expect(e.path, path).toBe(path);
      expect(e.message.length, path).toBeLessThan(300);
    }
  });

  it('keeps its message short whatever the document repeats: long names cut, at most 100 problems listed', () => {
    // Act
    const longNames = rulesError({
      ['k'.repeat(100_000)]: 1,
      lists: { ['l'.repeat(100_000)]: 1 },
      rules: [
        { id: 'r', when: `${'y'.repeat(100_000)} > 1`, weight: 1 },
        { id: 's', when: 'true', weight: 1, ['w'.repeat(100_000)]: 1 },
      ],
    });
    const many = rulesError({ rules: Array.from({ length: 5000 }, () => ({ id: 'x' })) });

    // Assess
    expect(longNames.message.length).toBeLessThan(1000);
    expect(longNames.message).toContain(`rules ${'k'.repeat(37)}...: is not a rules document key`);
    expect(longNames.message).toContain(`unknown field ${'y'.repeat(37)}...`);
    expect(many).toBeInstanceOf(RuleSetError);
    expect((many as RuleSetError).errors).toHaveLength(101);
    expect((many as RuleSetError).errors.at(-1)?.message).toBe('rules: and 4,900 more problems, not listed');
  });

  it('reports an error in a detail template at its column', () => {
    // Act
    const e = rulesError({ rules: [{ id: 'x', when: 'true', weight: 1, detail: 'amount {amout}' }] });

    // Assess
    expect(e).toMatchObject({
      path: 'rules[0].detail',
      column: 9,
      reason: 'unknown field amout (did you mean amount?)',
    });
  });

  it('reports a list a rule names but the document lacks', () => {
    // Act
    const e = rulesError({ lists: { a: [] }, rules: [{ id: 'x', when: 'merchant in list("b")', weight: 1 }] });

    // Assess
    expect(e).toMatchObject({ path: 'rules[0].when', column: 18 });
    expect(e.message).toContain('no list named "b" (lists: a)');
  });

  it('names the file when given one', () => {
    // Act
    let message = '';
    try {
      compileRuleSet({ rules: [{ id: 'x', when: 'amount >', weight: 1 }] }, { file: 'mine.json' });
    } catch (e) {
      message = (e as Error).message;
    }

    // Assess
    expect(message).toMatch(/^mine\.json: rules\[0\] \(x\)\.when: the expression ends too early at column 9/);
  });

  it('checks every rule and reports each problem at once', () => {
    // Act
    const e = rulesError({
      thresholds: { review: 101 },
      rules: [
        { id: 'ok', when: 'true', weight: 1 },
        { id: 'bad_when', when: 'amount >', weight: 1 },
        { id: 'bad_weight', when: 'true', weight: 500 },
      ],
    });

    // Assess
    expect(e).toBeInstanceOf(RuleSetError);
    const errors = (e as RuleSetError).errors;
    expect(errors.map((x) => x.path)).toEqual(['thresholds.review', 'rules[1].when', 'rules[2].weight']);
    expect(e.path).toBe('thresholds.review');
    expect(e.message.split('\n')[0]).toBe('rules thresholds.review: must be a number 0–100');
    expect(e.message).toContain('rules[1] (bad_when).when: the expression ends too early');
  });

  it('uses a content hash as the version when none is given', () => {
    // Prepare
    const doc = { rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] };

    // Act
    const a = compileRuleSet(doc).version;
    const b = compileRuleSet(structuredClone(doc)).version;
    const changed = compileRuleSet({ rules: [{ id: 'high_value', when: 'amount > 10001', weight: 60 }] }).version;
    const named = compileRuleSet({ ...doc, version: 'v7' }).version;

    // Assess
    expect(a).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(b).toBe(a);
    expect(changed).not.toBe(a);
    expect(named).toBe('v7');
  });

  it('skips rules with enabled: false, but still checks them', () => {
    // Act
    const set = compileRuleSet({
      rules: [
        { id: 'high_value', when: 'amount > 10000', weight: 60, enabled: false },
        { id: 'cross_border', when: 'destination_country != country', weight: 30, enabled: true },
      ],
    });
    const result = evaluate(set, makeTx({ amount: money('20000') }), firstSeen(makeTx()));
    const e = rulesError({ rules: [{ id: 'off', when: 'amount >', weight: 1, enabled: false }] });

    // Assess
    expect(set.rules.map((r) => r.id)).toEqual(['cross_border']);
    expect(result).toEqual({ fired: [], unfired: ['cross_border'] });
    expect(e.path).toBe('rules[0].when');
  });

  it('compiles the shipped default rules: the nine seed rules, their weights and thresholds', () => {
    // Act
    const set = compileRuleSet(defaultDocument());

    // Assess
    expect(set.version).toBe('default-1');
    expect(set.thresholds).toEqual({ review: 50, block: 80 });
    expect(set.rules.map((r) => [r.id, r.weight, r.action])).toEqual([
      ['high_value', 60, undefined],
      ['blacklisted_merchant', 90, undefined],
      ['small_round_amount', 20, undefined],
      ['high_risk_location', 45, undefined],
      ['velocity', 55, undefined],
      ['cross_border', 30, undefined],
      ['low_balance_high_amount', 50, undefined],
      ['amount_anomaly', 40, undefined],
      ['impossible_travel', 60, undefined],
    ]);
    expect(set.rules.map((r) => r.id)).toEqual(SEED_IDS);
    for (const r of set.rules) expect(r.description).not.toBe('');
  });

  it('fires the shipped rules on a transaction that breaks several of them', () => {
    // Prepare
    const set = compileRuleSet(defaultDocument());
    const tx = makeTx({
      amount: money('10000.01'),
      merchant: 'QUICKCASH TRANSFERS',
      country: 'IR',
      destinationCountry: 'GB',
    });

    // Act
    const { fired, unfired } = evaluate(set, tx, firstSeen(tx));

    // Assess
    expect(fired.map((h) => h.rule)).toEqual([
      'high_value',
      'blacklisted_merchant',
      'high_risk_location',
      'cross_border',
    ]);
    expect(unfired).toEqual([
      'small_round_amount',
      'velocity',
      'low_balance_high_amount',
      'amount_anomaly',
      'impossible_travel',
    ]);
  });
});

describe('seed rule high_value', () => {
  const set = seed('high_value');

  it('does not fire at exactly the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.00') }))).toBeUndefined();
  });

  it('fires one cent above the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.01') }))).toBe('amount 10000.01 USD is above 10000.00');
  });

  it('fires one ten-thousandth above the limit', () => {
    expect(detail(set, makeTx({ amount: money('10000.0001') }))).toBe('amount 10000.0001 USD is above 10000.00');
  });
});

describe('seed rule blacklisted_merchant', () => {
  const set = seed('blacklisted_merchant');
  const own = only(
    { when: 'merchant in list("blacklisted_merchants")', detail: 'merchant "{merchant}" is on the blacklist' },
    { blacklisted_merchants: ['Shady Electronics Ltd', '  QuickCash  '] },
  );

  it('fires on a listed merchant whatever its case', () => {
    expect(detail(set, makeTx({ merchant: 'SHADY electronics ltd' }))).toBe(
      'merchant "SHADY electronics ltd" is on the blacklist',
    );
    expect(detail(set, makeTx({ merchant: 'merchant_BLOCKED_001' }))).toBeDefined();
    expect(detail(own, makeTx({ merchant: 'quickcash' }))).toBeDefined();
  });

  it('does not fire on other merchants or without a merchant', () => {
    expect(detail(set, makeTx({ merchant: 'Shady Electronics' }))).toBeUndefined();
    expect(detail(set, makeTx())).toBeUndefined();
  });
});

describe('seed rule small_round_amount', () => {
  const set = seed('small_round_amount');

  it('fires on a whole amount under 50', () => {
    expect(detail(set, makeTx({ amount: money('49') }))).toBe('round amount 49.00 under 50.00 (card testing pattern)');
    expect(detail(set, makeTx({ amount: money('1') }))).toBeDefined();
  });

  it('does not fire at 50 or on amounts with cents', () => {
    expect(detail(set, makeTx({ amount: money('50') }))).toBeUndefined();
    expect(detail(set, makeTx({ amount: money('49.99') }))).toBeUndefined();
    expect(detail(set, makeTx({ amount: money('0.5') }))).toBeUndefined();
    expect(detail(set, makeTx({ amount: money('10.0001') }))).toBeUndefined();
  });

  it('takes another step as another expression', () => {
    // Prepare
    const fives = only({ when: 'amount < 50 and amount % 5 == 0' });

    // Act / Assess
    expect(detail(fives, makeTx({ amount: money('45') }))).toBeDefined();
    expect(detail(fives, makeTx({ amount: money('46') }))).toBeUndefined();
  });
});

describe('seed rule high_risk_location', () => {
  const set = seed('high_risk_location');

  it('fires on a listed country where it happens, comes from or goes to', () => {
    expect(detail(set, makeTx({ country: 'KP' }))).toBe(
      'a country is on the high-risk list (country KP, origin -, destination -)',
    );
    expect(detail(set, makeTx({ country: 'GB', originCountry: 'kp' }))).toBeDefined();
    expect(detail(set, makeTx({ country: 'GB', destinationCountry: 'IRAN' }))).toBe(
      'a country is on the high-risk list (country GB, origin -, destination IRAN)',
    );
  });

  it('does not fire on other countries or without one', () => {
    expect(detail(set, makeTx({ country: 'GB', originCountry: 'FR', destinationCountry: 'US' }))).toBeUndefined();
    expect(detail(set, makeTx())).toBeUndefined();
  });
});

describe('seed rule velocity', () => {
  const set = seed('velocity');

  it('fires on the 4th transaction of an account within a minute, not the 3rd', () => {
    // Prepare
    const store = new FeatureWindows();
    const txs = [0, 10, 20, 30].map((s, i) => makeTx({ transactionId: `t${i}`, timestamp: T0 + s * SECOND }));

    // Act
    const details = txs.map((tx) => detail(set, tx, store.observe(tx)));

    // Assess
    expect(details.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    expect(details[3]).toBe('4 transactions on account acc-1 or its card within 1m (limit 3)');
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
    expect(fifth).toBe('4 transactions on account acc-1 or its card within 1m (limit 3)');
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
    expect(details[3]).toBe('4 transactions on account d or its card within 1m (limit 3)');
  });

  it('reads another window when written so', () => {
    // Prepare
    const hourly = only({ when: 'count(account, 1h) > 1', detail: '{count(account, 1h)} within 1h' });
    const f = entityFeatures({ windows: { '1m': { count: 1 }, '1h': { count: 2 } } });

    // Act / Assess
    expect(detail(hourly, makeTx(), featuresFrom({ account: f }))).toBe('2 within 1h');
  });
});

describe('seed rule cross_border', () => {
  const set = seed('cross_border');

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

describe('seed rule low_balance_high_amount', () => {
  const set = seed('low_balance_high_amount');
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

  it('fires when the amount takes more than 90% of the balance', () => {
    expect(detail(set, tx('900', '1000'))).toBeUndefined();
    expect(detail(set, tx('900.0001', '1000'))).toBeDefined();
    expect(detail(set, tx('900.01', '1000'))).toBe('amount 900.01 against a balance of 1000.00');
  });

  it('does not fire without a balance', () => {
    expect(detail(set, tx('5000'))).toBeUndefined();
  });
});

describe('seed rule amount_anomaly', () => {
  const set = seed('amount_anomaly');
  /** Features of an account with `n` earlier transactions summing to `prior` in 30 days. */
  const history = (n: number, prior: string, tx: Transaction): Features =>
    featuresFrom({ account: entityFeatures({ windows: { '30d': { count: n + 1, sum: money(prior) + tx.amount } } }) });

  it('does not fire at exactly five times the mean', () => {
    // Prepare: 5 earlier transactions averaging 100.00
    const tx = makeTx({ amount: money('500') });

    // Act / Assess
    expect(detail(set, tx, history(5, '500', tx))).toBeUndefined();
  });

  it('fires just above five times the mean', () => {
    // Prepare
    const tx = makeTx({ amount: money('500.01') });

    // Act / Assess
    expect(detail(set, tx, history(5, '500', tx))).toBe("amount 500.01 is 5.0x the account's 30d mean of 100.00");
  });

  it('keeps its boundary where the mean is no finite decimal', () => {
    // Prepare: 6 earlier transactions summing to 700.00, a mean of 116.666…, so the limit is 583.333…
    const at = (amount: string) => {
      const tx = makeTx({ amount: money(amount) });
      return detail(set, tx, history(6, '700', tx));
    };

    // Act / Assess
    expect(at('583.3333')).toBeUndefined();
    expect(at('583.3334')).toBe("amount 583.3334 is 5.0x the account's 30d mean of 116.67");
  });

  it('needs five earlier transactions', () => {
    // Prepare
    const tx = makeTx({ amount: money('5000') });

    // Act / Assess
    expect(detail(set, tx, history(4, '400', tx))).toBeUndefined();
    expect(detail(set, tx, history(5, '500', tx))).toBeDefined();
  });

  it('ignores amounts under 100', () => {
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

describe('seed rule impossible_travel', () => {
  const set = seed('impossible_travel');
  const previouslyIn = (minutes: number, country: string | undefined): Features =>
    featuresFrom({ account: entityFeatures({ previous: { timestamp: T0 - minutes * MINUTE, country } }) });

  it('fires when the country changes faster than 120 minutes', () => {
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(119, 'GB'))).toBe(
      'country changed from GB to FR in 119 min (minimum 120)',
    );
  });

  it('does not fire at exactly 120 minutes', () => {
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(120, 'GB'))).toBeUndefined();
    expect(detail(set, makeTx({ country: 'FR' }), previouslyIn(119.99, 'GB'))).toBeDefined();
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
        { id: 'cross_border', when: 'destination_country != country', weight: 30 },
        {
          id: 'high_value',
          when: 'amount > 10000',
          weight: 60,
          detail: 'amount {amount} {currency} is above 10000.00',
        },
        { id: 'small_round_amount', when: 'amount < 50', weight: 20 },
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

  it('gives an action rule its action and weight 0, and a rule without detail its description', () => {
    // Prepare
    const set = compileRuleSet({
      rules: [
        { id: 'vip', when: 'account_id in ("acc-1")', action: 'allow', description: 'VIP account' },
        { id: 'blocked_bin', when: 'card_bin == "400000"', action: 'block', detail: 'BIN {card_bin}' },
      ],
    });
    const tx = makeTx({ card: { token: 't', bin: '400000', last4: '0002', masked: 'm' } });

    // Act
    const { fired } = evaluate(set, tx, firstSeen(tx));

    // Assess
    expect(fired).toEqual([
      { rule: 'vip', weight: 0, detail: 'VIP account', action: 'allow' },
      { rule: 'blocked_bin', weight: 0, detail: 'BIN 400000', action: 'block' },
    ]);
  });

  it('does not fire a rule whose condition is unknown', () => {
    // Prepare
    const set = only({ when: 'not (account_balance > 1000)' });

    // Act / Assess
    expect(detail(set, makeTx())).toBeUndefined();
    expect(detail(set, makeTx({ accountBalance: money('5') }))).toBeDefined();
  });

  it('is pure: the same inputs give the same result', () => {
    // Prepare
    const set = compileRuleSet(defaultDocument());
    const tx = makeTx({ amount: money('20000'), country: 'KP' });
    const f = firstSeen(tx);

    // Act / Assess
    expect(evaluate(set, tx, f)).toEqual(evaluate(set, tx, f));
  });
});

describe('card numbers in rules documents', () => {
  const pan = canaries()[1]?.text ?? '';
  const rule = { id: 'high_value', when: 'amount > 10000', weight: 60 };
  const placed: [string, Record<string, unknown>][] = [
    ['rules[0].detail', { rules: [{ ...rule, detail: `blocked card ${pan}` }] }],
    ['rules[0].description', { rules: [{ ...rule, description: pan }] }],
    ['rules[0].when', { rules: [{ ...rule, when: `merchant == "${pan}"` }] }],
    ['lists.cards[0]', { lists: { cards: [pan] }, rules: [rule] }],
    ['lists', { lists: { [pan]: ['x'] }, rules: [rule] }],
    ['version', { version: `v ${pan}`, rules: [rule] }],
    ['thresholds', { thresholds: { [pan]: 1 }, rules: [rule] }],
  ];

  it.each(placed)('refuses a document with a card number in %s, without repeating it', (path, doc) => {
    // Act
    const error = rulesError(doc);

    // Assess
    expect(error.message).toMatch(/card number/);
    expect(error.path.startsWith(path.replace(/\[0\]$/, ''))).toBe(true);
    expect(leakedPans(JSON.stringify({ message: error.message, path: error.path, reason: error.reason }), [canaries()[1]?.pan ?? ''])).toEqual([]);
  });

  it('masks a card number that a detail puts together from two fields', () => {
    // Prepare: neither field is a card number; the detail joins them into one
    const set = compileRuleSet({ rules: [{ ...rule, when: 'amount > 0', detail: '{account_id} {merchant}' }] });
    const tx = makeTx({ accountId: '4111 1111', merchant: '1111 1111' });

    // Act
    const [hit] = evaluate(set, tx, firstSeen(tx)).fired;

    // Assess
    expect(hit?.detail).toBe('411111******1111');
  });
});
