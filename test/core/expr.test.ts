import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../src/core/errors.js';
import type { Node } from '../../src/core/expr/ast.js';
import { CaselessSet } from '../../src/core/expr/caseless.js';
import type { CheckEnv } from '../../src/core/expr/checker.js';
import { compileCondition, compileTemplate, compileValue, type Value } from '../../src/core/expr/compiler.js';
import { tokenize } from '../../src/core/expr/lexer.js';
import { parse } from '../../src/core/expr/parser.js';
import { type Features, FeatureWindows } from '../../src/core/features.js';
import type { Transaction } from '../../src/core/transaction.js';
import { firstSeen, makeTx, money, T0 } from '../helpers/transactions.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const CARD = { token: 'tok-1', bin: '411111', last4: '1111', masked: '411111******1111' };

const env: CheckEnv = {
  lists: new Map([
    ['blocked_merchants', new Set(['shady electronics ltd', 'quickcash'])],
    ['risky_bins', new Set(['411111'])],
  ]),
};

/** The error an input raises, or a failure when it raises none. */
function errorOf(act: () => unknown): ExpressionError {
  try {
    act();
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error('expected an ExpressionError');
}

/** The value of an expression for a transaction (features: first seen unless given). */
function valueOf(source: string, tx: Transaction = makeTx(), f: Features = firstSeen(tx)): Value {
  return compileValue(source, env).evaluate(tx, f);
}

/** A compact rendering of a syntax tree, to assert precedence. */
function shape(n: Node): string {
  switch (n.type) {
    case 'number':
      return n.text;
    case 'string':
      return JSON.stringify(n.value);
    case 'bool':
      return String(n.value);
    case 'ident':
      return n.name;
    case 'duration':
      return n.text;
    case 'call':
      return `${n.name}(${n.args.map(shape).join(', ')})`;
    case 'unary':
      return `(${n.op} ${shape(n.arg)})`;
    case 'binary':
      return `(${shape(n.left)} ${n.op} ${shape(n.right)})`;
    case 'in':
      return `(${shape(n.left)} ${n.negated ? 'not in' : 'in'} ${
        n.set.type === 'list' ? `list(${n.set.name})` : `[${n.set.items.map(shape).join(', ')}]`
      })`;
  }
}

describe('tokenize', () => {
  it('splits an expression into tokens with their offsets', () => {
    // Act
    const tokens = tokenize('count(card, 1m) >= 3.5 and merchant != "Bob\'s"');

    // Assess
    expect(tokens.map((t) => [t.kind, t.text, t.start])).toEqual([
      ['ident', 'count', 0],
      ['op', '(', 5],
      ['ident', 'card', 6],
      ['op', ',', 10],
      ['duration', '1m', 12],
      ['op', ')', 14],
      ['op', '>=', 16],
      ['number', '3.5', 19],
      ['ident', 'and', 23],
      ['ident', 'merchant', 27],
      ['op', '!=', 36],
      ['string', "Bob's", 39],
      ['eof', '', 46],
    ]);
  });

  it('reads single-quoted strings and escapes', () => {
    expect(tokenize(`'a"b' "c\\"d" 'e\\'f' "g\\\\h"`).map((t) => t.text)).toEqual(['a"b', 'c"d', "e'f", 'g\\h', '']);
  });

  it.each([
    ['amount = 5', 'unexpected "=" (use == to compare)', 8],
    ['a && b', 'unexpected "&&" (use and)', 3],
    ['a || b', 'unexpected "||" (use or)', 3],
    ['!a', 'unexpected "!" (use not)', 1],
    ['amount > 5 # note', 'unexpected "#"', 12],
    ['merchant == "abc', 'unterminated string', 13],
    ["x == 'a\\nb'", 'unknown escape "\\n"', 8],
    ['amount > 1.', '"1." is not a number', 10],
    ['amount > .5', 'a number must start with a digit', 10],
    ['amount > 1.5m', '"1.5m" is not a number or a window', 10],
  ])('rejects %j: %s at column %d', (source, reason, column) => {
    // Act
    const e = errorOf(() => tokenize(source));

    // Assess
    expect(e.reason).toContain(reason);
    expect(e.position.column).toBe(column);
  });
});

describe('parse', () => {
  it.each([
    ['a or b and c', '(a or (b and c))'],
    ['a and b or c', '((a and b) or c)'],
    ['not a == b', '(not (a == b))'],
    ['not a and b', '((not a) and b)'],
    ['a and not b or c', '((a and (not b)) or c)'],
    ['1 + 2 * 3 - 4', '((1 + (2 * 3)) - 4)'],
    ['(1 + 2) * 3', '((1 + 2) * 3)'],
    ['a % 2 == 0', '((a % 2) == 0)'],
    ['-5 * x', '(-5 * x)'],
    ['- x', '(- x)'],
    ['amount > 5 * avg(account, 30d)', '(amount > (5 * avg(account, 30d)))'],
    ['merchant in list("blocked")', '(merchant in list(blocked))'],
    ['country not in ("KP", "IR",)', '(country not in ["KP", "IR"])'],
    ['x in (1) and y', '((x in [1]) and y)'],
    ['count(card, 1m) > 3 or count(account, 1m) > 3', '((count(card, 1m) > 3) or (count(account, 1m) > 3))'],
    ['true', 'true'],
    ['max(a, b, c)', 'max(a, b, c)'],
  ])('parses %j as %s', (source, expected) => {
    expect(shape(parse(source))).toBe(expected);
  });

  it('keeps the source span of every node', () => {
    // Act
    const node = parse('amount > 10000 and country != "US"');

    // Assess
    expect(node.type === 'binary' && [node.start, node.end, node.opStart]).toEqual([0, 34, 15]);
  });

  it.each([
    ['count(card 1m)) > 3', 'expected "," or ")" but found 1m', 12],
    ['count(card, 1m)) > 3', 'unexpected ")"', 16],
    ['amount >', 'the expression ends too early', 9],
    ['', 'the expression is empty', 1],
    ['(amount > 5', 'expected ")" but found the end of the expression', 12],
    ['1 < amount < 5', 'comparisons cannot be chained', 12],
    ['amount > 5 5', 'unexpected 5', 12],
    ['(1, 2)', 'a tuple like ("a", "b") is only allowed after in', 3],
    ['merchant in "abc"', 'expected list("name") or a tuple', 13],
    ['merchant in list(blocked)', 'list() takes a list name in quotes', 18],
    ['merchant not list("a")', 'expected in after not', 14],
    ['and amount', 'unexpected and', 1],
    ['+5 > amount', 'unexpected "+"', 1],
    ['amount >\n  5 +', 'the expression ends too early', 6],
  ])('rejects %j: %s at column %d', (source, reason, column) => {
    // Act
    const e = errorOf(() => parse(source));

    // Assess
    expect(e.reason).toContain(reason);
    expect(e.position.column).toBe(column);
  });

  it('points a caret at the problem', () => {
    // Act
    const e = errorOf(() => parse('count(card 1m)) > 3'));

    // Assess
    expect(e.message).toBe('expected "," or ")" but found 1m at column 12\n  count(card 1m)) > 3\n             ^');
  });

  it('names the line of a multi-line expression', () => {
    // Act
    const e = errorOf(() => parse('amount > 5 and\n  country ==  '));

    // Assess
    expect(e.position).toMatchObject({ line: 2, column: 15 });
    expect(e.message).toContain('at line 2, column 15\n    country ==  \n                ^');
  });
});

describe('parse nesting limit', () => {
  const deep = 5_000;
  const template = `x {${'('.repeat(deep)}amount${')'.repeat(deep)}}`;

  it.each([
    ['brackets', `${'('.repeat(deep)}amount > 1${')'.repeat(deep)}`, '(((('],
    ['not', `${'not '.repeat(deep)}true`, 'not not'],
    ['unary minus', `amount > ${'-'.repeat(deep)}1`, '----'],
    ['calls', `amount > ${'abs('.repeat(deep)}1${')'.repeat(deep)}`, 'abs(abs('],
    ['a chain of +', `amount > ${Array(deep).fill('1').join(' + ')}`, '+ 1 + 1'],
    ['a chain of or', Array(deep).fill('amount > 1').join(' or '), 'or amount > 1 or'],
    ['a template placeholder', template, '(((('],
  ])('refuses %s nested 5,000 deep with a positioned error, not a stack overflow', (name, source, at) => {
    // Act
    const e = errorOf(() => (name === 'a template placeholder' ? compileTemplate(source, env) : compileCondition(source, env)));

    // Assess: the caret is inside the nest, and the snippet shows a window of the line, not all of it
    expect(e.reason).toMatch(/^the expression nests more than 100 levels deep/);
    expect(e.source.slice(e.offset)).toMatch(new RegExp(`^${at.replace(/[(+]/g, '\\$&')}`));
    expect(e.message.length).toBeLessThan(400);
    expect(e.position.snippet).toMatch(/^ {2}….{60,}…\n {2,}\^$/);
  });

  it('accepts, checks and evaluates an expression exactly 100 levels deep, and refuses one level more', () => {
    // Prepare: each bracket is a level, and so is a comparison over its two leaves
    const brackets = `${'('.repeat(98)}amount > 1${')'.repeat(98)}`;
    const chain = Array(99).fill('amount > 1').join(' or ');
    const tx = makeTx({ amount: money('5') });

    // Act
    const a = compileCondition(brackets, env);
    const b = compileCondition(chain, env);
    const tooDeep = errorOf(() => compileCondition(`(${brackets})`, env));
    const tooLong = errorOf(() => compileCondition(`${chain} or amount > 2`, env));

    // Assess
    expect(a(tx, firstSeen(tx))).toBe(true);
    expect(b(tx, firstSeen(tx))).toBe(true);
    expect(tooDeep.reason).toMatch(/nests more than 100 levels/);
    expect(tooLong.reason).toMatch(/nests more than 100 levels/);
    expect(tooLong.source.slice(tooLong.offset)).toBe('or amount > 2');
  });
});

describe('check (type errors)', () => {
  it.each([
    ['amout > 5', 'unknown field amout (did you mean amount?)', 1],
    ['card > 1', 'card is an entity, not a field', 1],
    ['AND', 'keywords are lower case', 1],
    ['toString == "x"', 'unknown field toString', 1],
    ['cuont(card, 1m) > 1', 'unknown function cuont() (did you mean count?)', 1],
    ['constructor(card, 1m) > 1', 'unknown function constructor()', 1],
    ['count(card) > 3', 'count() takes 2 arguments (entity, window), got 1', 1],
    ['minutes_since_prev() > 3', 'minutes_since_prev() takes 1 argument (entity), got 0', 1],
    ['max(amount) > 3', 'max() takes at least 2 arguments', 1],
    ['count(cards, 1m) > 3', 'expected an entity (account, card, terminal, merchant) but found cards', 7],
    ['count(card, 2m) > 3', 'expected a window (1m, 1h, 24h, 7d, 30d) but found 2m', 13],
    ['count(card, "1m") > 3', 'expected a window', 13],
    ['amount > 1m', 'a window like 1m only goes in a windowed function', 10],
    ['amount > "5"', 'cannot compare money (amount) with a string ("5")', 8],
    ['country > "US"', 'a string can only be compared with == and !=, not >', 9],
    ['amount * amount > 5', 'cannot multiply money by money', 8],
    ['5 / amount > 1', 'cannot divide a number by money', 3],
    ['amount / 0 > 1', 'division by zero', 10],
    ['amount + country == 1', '"+" needs numbers or money, but country is a string', 10],
    ['amount > 10000.00001', '10000.00001 cannot be an amount: has more than 4 decimal places', 10],
    ['not amount', 'not needs true/false, but amount is money', 5],
    ['amount and true', 'and needs true/false on both sides, but amount is money', 1],
    ['-country == "x"', '"-" needs a number, but country is a string', 2],
    ['amount in list("blocked_merchants")', 'list values are strings, but amount is money', 1],
    ['merchant in list("nope")', 'no list named "nope" (lists: blocked_merchants, risky_bins)', 18],
    ['list("risky_bins")', 'list("name") only goes after in', 1],
    ['country in (country)', 'a tuple holds literal values only', 13],
    ['country in ("KP", 1)', 'country is a string, but 1 is a number', 19],
    ['amount in ("5")', 'amount is money, but "5" is a string', 12],
    ['round(amount, 5) > 1', 'round() takes a whole number of decimals 0–4', 15],
    ['coalesce(country, amount) == "x"', 'coalesce() needs arguments of one type', 19],
    ['abs(country) > 1', 'abs() needs numbers or money, but country is a string', 5],
    ['amount', 'a condition must be true or false, but this is money', 1],
  ])('rejects %j: %s at column %d', (source, reason, column) => {
    // Act
    const e = errorOf(() => compileCondition(source, env));

    // Assess
    expect(e.reason).toContain(reason);
    expect(e.position.column).toBe(column);
  });

  it('types values', () => {
    expect(compileValue('amount', env).type).toBe('money');
    expect(compileValue('amount * 2', env).type).toBe('money');
    expect(compileValue('2 * sum(card, 1h)', env).type).toBe('money');
    expect(compileValue('amount / avg(account, 30d)', env).type).toBe('number');
    expect(compileValue('count(account, 1h) + 1', env).type).toBe('number');
    expect(compileValue('prev_country(card)', env).type).toBe('string');
    expect(compileValue('max(1, amount)', env).type).toBe('money');
    expect(compileValue('present(country)', env).type).toBe('bool');
  });
});

describe('evaluation: money', () => {
  it.each([
    ['10000.00', false],
    ['10000', false],
    ['10000.0001', true],
    ['10000.01', true],
    ['9999.99', false],
  ])('amount > 10000 for %s is %s (exact E4, no floating point)', (amount, fires) => {
    expect(valueOf('amount > 10000', makeTx({ amount: money(amount) }))).toBe(fires);
  });

  it('compares with decimal literals exactly', () => {
    const tx = makeTx({ amount: money('0.3') });
    expect(valueOf('amount == 0.3', tx)).toBe(true);
    expect(valueOf('amount == 0.1 + 0.2', tx)).toBe(true);
    expect(valueOf('amount == 0.5 * 0.6', tx)).toBe(true);
    expect(valueOf('amount == 1 - 0.7', tx)).toBe(true);
    expect(valueOf('0.1 + 0.2', tx)).toBe(0.3);
    expect(valueOf('amount >= 10000.5', makeTx({ amount: money('10000.5') }))).toBe(true);
    expect(valueOf('amount < 10000.5', makeTx({ amount: money('10000.5') }))).toBe(false);
  });

  it('computes money in E4 units', () => {
    const tx = makeTx({ amount: money('12.345'), accountBalance: money('1000') });
    expect(valueOf('amount', tx)).toBe(123_450);
    expect(valueOf('amount * 2', tx)).toBe(246_900);
    expect(valueOf('2 * amount', tx)).toBe(246_900);
    expect(valueOf('amount + 1.5', tx)).toBe(138_450);
    expect(valueOf('account_balance - amount', tx)).toBe(9_876_550);
    expect(valueOf('-amount', tx)).toBe(-123_450);
    expect(valueOf('amount % 1', tx)).toBe(3_450);
    expect(valueOf('amount / 2.5', tx)).toBe(49_380);
    expect(valueOf('amount / account_balance', tx)).toBeCloseTo(0.012345, 12);
  });

  it('multiplies by a decimal factor exactly: 0.9 × 1000.00 is 900.00, not 900.0000000001', () => {
    const at = (amount: string) =>
      valueOf('amount > 0.9 * account_balance', makeTx({ amount: money(amount), accountBalance: money('1000') }));
    expect(at('900')).toBe(false);
    expect(at('900.0001')).toBe(true);
    expect(valueOf('0.9 * account_balance', makeTx({ accountBalance: money('1000.01') }))).toBe(9_000_090);
  });

  it('takes a computed number meeting money as currency units', () => {
    // Prepare: two transactions on the account within the hour
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a', amount: money('1') }));
    const tx = makeTx({ transactionId: 'b', timestamp: T0 + MINUTE, amount: money('200.01') });
    const f = store.observe(tx);

    // Act / Assess
    expect(valueOf('count(account, 1h) * 100', tx, f)).toBe(200);
    expect(valueOf('amount > count(account, 1h) * 100', tx, f)).toBe(true);
    expect(valueOf('amount - count(account, 1h)', tx, f)).toBe(1_980_100);
  });

  it('reads numbers in tuples as money when the left side is money', () => {
    expect(valueOf('amount in (10, 20.5)', makeTx({ amount: money('20.50') }))).toBe(true);
    expect(valueOf('amount not in (10, 20.5)', makeTx({ amount: money('20.51') }))).toBe(true);
  });
});

describe('evaluation: missing values (three-valued logic)', () => {
  const noBalance = makeTx({ amount: money('100') });
  const unknown = 'account_balance > 0';
  const yes = 'amount > 0';
  const no = 'amount < 0';

  it('makes a comparison with a missing value unknown, so it never fires', () => {
    expect(valueOf('account_balance < 1000', noBalance)).toBeUndefined();
    expect(valueOf('account_balance >= 1000', noBalance)).toBeUndefined();
    expect(valueOf('country == "US"', noBalance)).toBeUndefined();
    expect(valueOf('country != "US"', noBalance)).toBeUndefined();
    expect(valueOf('merchant in list("blocked_merchants")', noBalance)).toBeUndefined();
    expect(valueOf('merchant not in list("blocked_merchants")', noBalance)).toBeUndefined();
    expect(valueOf('card_bin == "411111"', noBalance)).toBeUndefined();
    expect(compileCondition('country != "US"', env)(noBalance, firstSeen(noBalance))).not.toBe(true);
  });

  it('keeps not of unknown unknown: not (country == "US") does not fire without a country', () => {
    expect(valueOf('not (country == "US")', noBalance)).toBeUndefined();
    expect(valueOf('not (country == "US")', makeTx({ country: 'FR' }))).toBe(true);
  });

  it.each([
    [`${unknown} and ${yes}`, undefined],
    [`${unknown} and ${no}`, false],
    [`${no} and ${unknown}`, false],
    [`${unknown} and ${unknown}`, undefined],
    [`${unknown} or ${yes}`, true],
    [`${yes} or ${unknown}`, true],
    [`${unknown} or ${no}`, undefined],
    [`${no} or ${no} or ${unknown}`, undefined],
    [`${no} or ${no} or ${yes} or ${unknown}`, true],
    [`${yes} and ${yes} and ${yes} and ${unknown}`, undefined],
    [`not (${unknown})`, undefined],
    [`not (${no})`, true],
    [`(${unknown}) == true`, undefined],
    [`(${yes}) != (${no})`, true],
  ])('%s is %s', (source, expected) => {
    expect(valueOf(source, noBalance)).toBe(expected);
  });

  it('carries missing through arithmetic, and reads present() and coalesce()', () => {
    expect(valueOf('account_balance * 2', noBalance)).toBeUndefined();
    expect(valueOf('amount - account_balance', noBalance)).toBeUndefined();
    expect(valueOf('present(account_balance)', noBalance)).toBe(false);
    expect(valueOf('not present(country)', noBalance)).toBe(true);
    expect(valueOf('present(country)', makeTx({ country: 'GB' }))).toBe(true);
    expect(valueOf('coalesce(account_balance, 0) < 1000', noBalance)).toBe(true);
    expect(valueOf('coalesce(origin_country, country)', makeTx({ country: 'GB' }))).toBe('GB');
    expect(valueOf('coalesce(origin_country, country)', makeTx({ country: 'GB', originCountry: 'FR' }))).toBe('FR');
    expect(valueOf('coalesce(origin_country, country)', noBalance)).toBeUndefined();
  });

  it('makes a division by zero missing', () => {
    expect(valueOf('amount / (count(account, 1m) - 1)', noBalance)).toBeUndefined();
    expect(valueOf('amount % (count(account, 1m) - 1) == 0', noBalance)).toBeUndefined();
  });
});

describe('evaluation: strings, lists and tuples', () => {
  it('compares strings exactly with == and !=', () => {
    expect(valueOf('country == "US"', makeTx({ country: 'US' }))).toBe(true);
    expect(valueOf('country == "us"', makeTx({ country: 'US' }))).toBe(false);
    expect(valueOf("currency != 'EUR'", makeTx())).toBe(true);
    expect(valueOf('country != origin_country', makeTx({ country: 'US', originCountry: 'GB' }))).toBe(true);
  });

  it('matches lists and tuples case-insensitively', () => {
    expect(valueOf('merchant in list("blocked_merchants")', makeTx({ merchant: 'SHADY Electronics LTD' }))).toBe(true);
    expect(valueOf('merchant in list("blocked_merchants")', makeTx({ merchant: 'Shady Electronics' }))).toBe(false);
    expect(valueOf('merchant not in list("blocked_merchants")', makeTx({ merchant: 'Cafe' }))).toBe(true);
    expect(valueOf('country in ("kp", "IR")', makeTx({ country: 'KP' }))).toBe(true);
    expect(valueOf('country not in ("kp", "IR")', makeTx({ country: 'GB' }))).toBe(true);
    expect(valueOf('card_bin in list("risky_bins")', makeTx({ card: CARD }))).toBe(true);
  });

  it('reads the card fields, missing without a card', () => {
    const tx = makeTx({ card: CARD });
    expect([valueOf('card_bin', tx), valueOf('card_last4', tx), valueOf('card_token', tx)]).toEqual([
      '411111',
      '1111',
      'tok-1',
    ]);
    expect(valueOf('card_bin')).toBeUndefined();
  });

  it('reads the UTC hour and weekday (0 = Sunday)', () => {
    // 2024-03-01T12:00:00Z is a Friday; 2024-03-03T23:59:59Z a Sunday
    expect(valueOf('hour')).toBe(12);
    expect(valueOf('weekday')).toBe(5);
    const sunday = makeTx({ timestamp: Date.UTC(2024, 2, 3, 23, 59, 59) });
    expect([valueOf('hour', sunday), valueOf('weekday', sunday)]).toEqual([23, 0]);
    expect(valueOf('hour in (22, 23, 0)', sunday)).toBe(true);
    const before1970 = makeTx({ timestamp: Date.UTC(1969, 11, 31, 22, 0, 0) });
    expect([valueOf('hour', before1970), valueOf('weekday', before1970)]).toEqual([22, 3]);
  });
});

describe('evaluation: windowed features', () => {
  /** Three transactions on one account and card, 10 s apart, in GB, GB and FR; the last is scored. */
  function history(): { tx: Transaction; f: Features } {
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 't1', card: CARD, amount: money('100'), country: 'GB' }));
    store.observe(
      makeTx({ transactionId: 't2', card: CARD, timestamp: T0 + 10 * SECOND, amount: money('200'), country: 'GB' }),
    );
    const tx = makeTx({
      transactionId: 't3',
      card: CARD,
      timestamp: T0 + 30 * SECOND,
      amount: money('300'),
      country: 'FR',
    });
    return { tx, f: store.observe(tx) };
  }

  it.each([
    ['count(account, 1m)', 3],
    ['count(card, 1m)', 3],
    ['sum(account, 1m)', money('600')],
    ['avg(card, 1h)', money('200')],
    ['prior_count(account, 1m)', 2],
    ['prior_sum(account, 24h)', money('300')],
    ['prior_avg(account, 30d)', money('150')],
    ['distinct_countries(account, 7d)', 2],
    ['minutes_since_prev(account)', 20 / 60],
    ['prev_country(card)', 'GB'],
    ['amount > 1.5 * prior_avg(account, 30d)', true],
    ['amount > 2 * prior_avg(account, 30d)', false],
  ])('%s is %s', (source, expected) => {
    // Prepare
    const { tx, f } = history();

    // Act / Assess
    expect(valueOf(source, tx, f)).toBe(expected);
  });

  it('makes features of an entity the transaction does not have missing, not 0', () => {
    // Prepare: no card, no terminal, no merchant
    const tx = makeTx();
    const f = new FeatureWindows().observe(tx);

    // Act / Assess
    expect(valueOf('count(card, 1m)', tx, f)).toBeUndefined();
    expect(valueOf('count(card, 1m) < 1', tx, f)).toBeUndefined();
    expect(valueOf('sum(terminal, 1h)', tx, f)).toBeUndefined();
    expect(valueOf('count(merchant, 24h)', tx, f)).toBeUndefined();
    expect(valueOf('count(account, 1m)', tx, f)).toBe(1);
  });

  it('makes the mean of an empty window and the previous of a first transaction missing', () => {
    // Prepare
    const tx = makeTx({ card: CARD, country: 'GB' });
    const f = new FeatureWindows().observe(tx);

    // Act / Assess
    expect(valueOf('prior_avg(account, 30d)', tx, f)).toBeUndefined();
    expect(valueOf('amount > 5 * prior_avg(account, 30d)', tx, f)).toBeUndefined();
    expect(valueOf('avg(account, 30d)', tx, f)).toBe(tx.amount);
    expect(valueOf('prior_count(card, 30d)', tx, f)).toBe(0);
    expect(valueOf('minutes_since_prev(card)', tx, f)).toBeUndefined();
    expect(valueOf('prev_country(account)', tx, f)).toBeUndefined();
    expect(valueOf('country != prev_country(account)', tx, f)).toBeUndefined();
  });

  it('reads functions of numbers', () => {
    const tx = makeTx({ amount: money('12.5') });
    expect(valueOf('abs(-3)', tx)).toBe(3);
    expect(valueOf('abs(0 - amount)', tx)).toBe(125_000);
    expect(valueOf('min(3, 1, 2)', tx)).toBe(1);
    expect(valueOf('max(amount, 20)', tx)).toBe(200_000);
    expect(valueOf('max(account_balance, amount)', tx)).toBe(125_000);
    expect(valueOf('min(account_balance, account_balance)', tx)).toBeUndefined();
    expect(valueOf('round(2.345, 2)', tx)).toBe(2.35);
    expect(valueOf('round(amount / 3, 2)', tx)).toBe(41_700);
    expect(valueOf('round(amount)', tx)).toBe(130_000);
  });
});

describe('compileCondition', () => {
  it('returns true only when the condition holds', () => {
    // Prepare
    const when = compileCondition('amount > 10000 or country == "KP"', env);

    // Act / Assess
    expect(when(makeTx({ amount: money('10000.01') }), firstSeen(makeTx()))).toBe(true);
    expect(when(makeTx({ amount: money('10000'), country: 'GB' }), firstSeen(makeTx()))).toBe(false);
    expect(when(makeTx({ amount: money('10000') }), firstSeen(makeTx()))).toBeUndefined();
  });
});

describe('compileTemplate', () => {
  const tx = makeTx({ amount: money('10000.01'), accountBalance: money('12.3'), country: 'GB', card: CARD });

  it.each([
    ['amount {amount} {currency} is above 10000.00', 'amount 10000.01 USD is above 10000.00'],
    ['balance {account_balance}', 'balance 12.30'],
    ['{count(card, 1m)} transactions on the card within a minute', '1 transactions on the card within a minute'],
    ['ratio {amount / account_balance}', 'ratio 813.01'],
    ['ratio {round(amount / account_balance, 1)}x', 'ratio 813.0x'],
    ['mean {round(amount / 3, 2)}', 'mean 3333.34'],
    ['mean {amount / 3}', 'mean 3333.3367'],
    ['{origin_country} -> {country}', '- -> GB'],
    ['{present(country)} / {account_balance > 0} / {destination_country == "x"}', 'true / true / -'],
    ['{{literal}} braces }} {{', '{literal} braces } {'],
    ['no placeholders', 'no placeholders'],
    ['', ''],
    ['{amount}{amount}{amount}{amount}', '10000.0110000.0110000.0110000.01'],
    ['{merchant == "}"}', '-'],
  ])('renders %j as %j', (template, expected) => {
    expect(compileTemplate(template, env)(tx, new FeatureWindows().observe(tx))).toBe(expected);
  });

  it.each([
    ['x {amout} y', 'unknown field amout', 4],
    ['x {amount', 'unclosed "{"', 3],
    ['x } y', 'unexpected "}"', 3],
    ['x {} y', 'empty placeholder', 3],
    ['x {a {b}}', 'unexpected "{" inside a placeholder', 6],
    ['{count(card 1m)}', 'expected "," or ")"', 13],
  ])('rejects %j: %s at column %d', (template, reason, column) => {
    // Act
    const e = errorOf(() => compileTemplate(template, env));

    // Assess
    expect(e.reason).toContain(reason);
    expect(e.position.column).toBe(column);
  });
});

describe('CaselessSet', () => {
  it('matches ASCII values whatever their case', () => {
    // Prepare
    const set = new CaselessSet(['kp', 'north korea', 'merchant_blocked_001']);

    // Act / Assess
    expect(['KP', 'kp', 'Kp', 'NORTH KOREA', 'Merchant_Blocked_001'].map((v) => set.has(v))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['K', 'KPX', 'north  korea', '', 'merchant_blocked_002'].map((v) => set.has(v))).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('matches other scripts as toLowerCase does', () => {
    // Prepare
    const set = new CaselessSet(['café', 'straße', 'k']);

    // Act / Assess
    expect(set.has('CAFÉ')).toBe(true);
    expect(set.has('Straße')).toBe(true);
    expect(set.has('\u212a')).toBe(true); // the Kelvin sign lower-cases to k
    expect(set.has('cafe')).toBe(false);
  });
});
