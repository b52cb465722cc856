import { describe, expect, it } from 'vitest';
import { ExpressionError } from '../../src/core/errors.js';
import type { CheckEnv } from '../../src/core/expr/checker.js';
import { compileCondition, compileValue } from '../../src/core/expr/compiler.js';
import { tokenize } from '../../src/core/expr/lexer.js';
import { parse } from '../../src/core/expr/parser.js';
import { FeatureWindows } from '../../src/core/features.js';
import { makeTx, money } from '../helpers/transactions.js';

// Error messages of the rule language, word for word, with their column: they are what a person
// writing a rule reads, so a changed word or a wrong position is a regression. Also the parse
// trees and values that only a few inputs reach.

const withLists: CheckEnv = { lists: new Map([['blocked', new Set(['x'])]]) };
const noLists: CheckEnv = { lists: new Map() };

function failure(act: () => unknown): { reason: string; column: number } {
  try {
    act();
  } catch (e) {
    if (e instanceof ExpressionError) return { reason: e.reason, column: e.position.column };
    throw e;
  }
  throw new Error('expected an ExpressionError');
}

describe('rule language errors, word for word', () => {
  it.each([
    // lexer
    ['amount @ 5', 'unexpected "@"', 8],
    ['amount = 5', 'unexpected "=" (use == to compare)', 8],
    ['.5m > 1', '".5m" is not a number or a window', 1],
    ['country == "GB', 'unterminated string', 12],
    // parser
    ['true "and" true', 'unexpected "and"', 6],
    ['amount country', 'unexpected country', 8],
    ['amount > 5)', 'unexpected ")"', 11],
    [')', 'unexpected ")"', 1],
    ['+5 > 1', 'unexpected "+" (write the number without a sign)', 1],
    ['present(country ")"', 'expected "," or ")" but found ")"', 17],
    ['amount not "in" (1)', 'expected in after not but found "in"', 12],
    ['country in list', 'expected list("name") or a tuple like ("a", "b") after in, found list', 12],
    ['country in list("blocked"', 'expected ")" but found the end of the expression', 26],
    ['country in list(blocked)', 'list() takes a list name in quotes, found blocked', 17],
    ['country in ("a" "b")', 'expected "," or ")" but found "b"', 17],
    ['country in ("a"; "b")', 'unexpected ";"', 16],
    ['(amount, 1) > 1', 'unexpected "," (a tuple like ("a", "b") is only allowed after in)', 8],
    ['amount >', 'the expression ends too early', 9],
    ['', 'the expression is empty', 1],
    ['amount > 1 > 0', 'comparisons cannot be chained (after ">"); join them with and', 12],
    ['amount in (1) in (2)', 'comparisons cannot be chained (after in); join them with and', 15],
    ['and amount', 'unexpected and', 1],
    // checker: names
    ['AND', 'unknown field AND (keywords are lower case: and)', 1],
    ['OR', 'unknown field OR (keywords are lower case: or)', 1],
    ['NOT', 'unknown field NOT (keywords are lower case: not)', 1],
    ['In', 'unknown field In (keywords are lower case: in)', 1],
    ['TRUE', 'unknown field TRUE (keywords are lower case: true)', 1],
    ['False', 'unknown field False (keywords are lower case: false)', 1],
    ['zzzzzz > 1', 'unknown field zzzzzz', 1],
    ['man(1, 2) > 0', 'unknown function man() (did you mean min?)', 1],
    ['cound(card, 1h) > 0', 'unknown function cound() (did you mean count?)', 1],
    ['terminal == "x"', 'terminal is an entity, not a field: use it in a function such as count(terminal, 1h), or use terminal_id', 1],
    // checker: types
    ['-(amount > 1) == 1', '"-" needs a number, but (amount > 1) is true/false', 2],
    ['not (amount + 1)', 'not needs true/false, but (amount + 1) is money', 5],
    ['not abs(amount)', 'not needs true/false, but abs(amount) is money', 5],
    ['(country in ("a")) + 1 > 0', '"+" needs numbers or money, but (country in ("a")) is true/false', 1],
    ['5 % amount > 1', 'cannot take the remainder of a number by money', 3],
    ['5 / amount > 1', 'cannot divide a number by money', 3],
    ['(amount > 1) in (1)', 'in needs a string or a number on its left, but (amount > 1) is true/false', 1],
    ['country in list("nope")', 'no list named "nope" (lists: blocked)', 17],
    ['present(country) and hour', 'and needs true/false on both sides, but hour is a number', 22],
    ['amount', 'a condition must be true or false, but this is money', 1],
    ['hour', 'a condition must be true or false, but this is a number', 1],
    ['country', 'a condition must be true or false, but this is a string', 1],
    // checker: functions
    ['abs(1, 2) > 0', 'abs() takes 1 argument (number), got 2', 1],
    ['round() > 0', 'round() takes 1 or 2 arguments (number, decimals), got 0', 1],
    ['round(1, 2, 3) > 0', 'round() takes 1 or 2 arguments (number, decimals), got 3', 1],
    ['prev_country() == "x"', 'prev_country() takes 1 argument (entity), got 0', 1],
    ['minutes_since_prev(card, card) > 0', 'minutes_since_prev() takes 1 argument (entity), got 2', 1],
    ['min(1) > 0', 'min() takes at least 2 arguments (a, b, ...), got 1', 1],
    ['coalesce(1) > 0', 'coalesce() takes at least 2 arguments (a, b, ...), got 1', 1],
    ['present()', 'present() takes 1 argument (value), got 0', 1],
    ['sum(card) > 0', 'sum() takes 2 arguments (entity, window), got 1', 1],
    ['round(amount, hour) > 0', 'round() takes a whole number of decimals 0–4 as its second argument', 15],
    ['round(amount, 1.5) > 0', 'round() takes a whole number of decimals 0–4 as its second argument', 15],
    ['round(amount, -1) > 0', 'round() takes a whole number of decimals 0–4 as its second argument', 15],
    ['round(amount, 5) > 0', 'round() takes a whole number of decimals 0–4 as its second argument', 15],
    ['round(hour, 11) > 0', 'round() takes a whole number of decimals 0–10 as its second argument', 13],
    ['count(card, 1) > 0', 'expected a window (1m, 1h, 24h, 7d, 30d) but found 1', 13],
    ['count("card", 1h) > 0', 'expected an entity (account, card, terminal, merchant) but found "card"', 7],
    ['coalesce(country, amount) == "x"', 'coalesce() needs arguments of one type, but country is a string and amount is money', 19],
    ['amount > 10000.00001', '10000.00001 cannot be an amount: has more than 4 decimal places', 10],
  ])('%j: %s (column %d)', (source, reason, column) => {
    expect(failure(() => compileCondition(source, withLists))).toEqual({ reason, column });
  });

  it('says when the document has no lists at all', () => {
    expect(failure(() => compileCondition('country in list("nope")', noLists))).toEqual({
      reason: 'no list named "nope" (the document has no "lists")',
      column: 17,
    });
  });

  it('quotes an offending expression of up to 40 characters whole, and clips a longer one', () => {
    // Prepare: operands of exactly 40 and 41 characters
    const operand40 = '(amount + amount + amount + amount + 12)';
    const operand41 = '(amount + amount + amount + amount + 123)';
    expect([operand40.length, operand41.length]).toEqual([40, 41]);
    // Act / Assess
    expect(failure(() => compileCondition(`not ${operand40}`, withLists)).reason).toBe(`not needs true/false, but ${operand40} is money`);
    expect(failure(() => compileCondition(`not ${operand41}`, withLists)).reason).toBe(
      `not needs true/false, but ${operand41.slice(0, 37)}... is money`,
    );
  });

  it('reads whitespace of every kind between tokens, and identifiers from a to z and A to Z', () => {
    expect(tokenize('amount\t>\r\n1').map((t) => t.text)).toEqual(['amount', '>', '1', '']);
    expect(tokenize('zeta Zeta a_Z9').map((t) => [t.kind, t.text])).toEqual([
      ['ident', 'zeta'],
      ['ident', 'Zeta'],
      ['ident', 'a_Z9'],
      ['eof', ''],
    ]);
  });
});

describe('rule language parse trees and values that few inputs reach', () => {
  it('parses false as false, true as true', () => {
    expect(parse('false')).toMatchObject({ type: 'bool', value: false });
    expect(parse('true')).toMatchObject({ type: 'bool', value: true });
    const tx = makeTx();
    const f = new FeatureWindows().observe(tx);
    expect(compileValue('false', noLists).evaluate(tx, f)).toBe(false);
    expect(compileCondition('false or amount > 1', noLists)(tx, f)).toBe(true);
  });

  it('spans a group with its parentheses, and a tuple as a tuple', () => {
    expect(parse('(amount) > 1')).toMatchObject({ left: { start: 0, end: 8 } });
    expect(parse('((amount)) > 1')).toMatchObject({ left: { start: 0, end: 10 } });
    expect(parse('country in ("a")')).toMatchObject({ set: { type: 'tuple', start: 11, end: 16 } });
    expect(parse('country in ("a",)')).toMatchObject({ set: { type: 'tuple', start: 11, end: 17 } });
  });

  it('folds a sign into a number literal once, and keeps a double negation', () => {
    expect(parse('-5')).toMatchObject({ type: 'number', text: '-5', value: -5 });
    expect(parse('- -5')).toMatchObject({ type: 'unary', op: '-', arg: { type: 'number', text: '-5', value: -5 } });
  });

  it('compares plain numbers with more than 4 decimals (only money is held to 4)', () => {
    const tx = makeTx({ timestamp: Date.UTC(2024, 2, 7, 13, 0) });
    const f = new FeatureWindows().observe(tx);
    expect(compileCondition('hour > 0.00001', noLists)(tx, f)).toBe(true);
    expect(compileCondition('hour < 13.00001', noLists)(tx, f)).toBe(true);
  });

  it('compares a computed number met with money, on either side', () => {
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a' }));
    const tx = makeTx({ transactionId: 'b', amount: money('200.01') });
    const f = store.observe(tx);
    expect(compileCondition('count(account, 1h) * 100 < amount', noLists)(tx, f)).toBe(true);
    expect(compileCondition('count(account, 1h) * 101 < amount', noLists)(tx, f)).toBe(false);
  });

  it('multiplies money by a decimal without binary rounding', () => {
    const tx = makeTx({ amount: money('19.99') });
    const f = new FeatureWindows().observe(tx);
    expect(compileCondition('amount * 0.07 == 1.3993', noLists)(tx, f)).toBe(true);
    expect(compileValue('amount * -0.5', noLists).evaluate(tx, f)).toBe(money('-9.995'));
  });

  it('matches a tuple string whatever its spaces and case', () => {
    const tx = makeTx({ country: 'GB' });
    const f = new FeatureWindows().observe(tx);
    expect(compileCondition('country in (" gb ", "fr")', noLists)(tx, f)).toBe(true);
  });

  it('reads coalesce of money and a number literal as money', () => {
    const tx = makeTx();
    const f = new FeatureWindows().observe(tx);
    expect(compileValue('coalesce(account_balance, 1)', noLists).evaluate(tx, f)).toBe(money('1'));
    expect(compileValue('max(1, amount)', noLists).evaluate(tx, f)).toBe(tx.amount);
    expect(compileValue('max(1, account_balance)', noLists).evaluate(tx, f)).toBe(money('1'));
  });

  it('folds literals whose denominators differ, and a zero without a sign', () => {
    const tx = makeTx();
    const f = new FeatureWindows().observe(tx);
    const v = (s: string) => compileValue(s, noLists).evaluate(tx, f);
    expect(v('1.25 - 1')).toBe(0.25);
    expect(v('0.1 + 0.02')).toBe(0.12);
    expect(v('2 * 0.25')).toBe(0.5);
    expect(Object.is(v('1 - 1'), 0)).toBe(true);
    expect(Object.is(v('0.5 - 0.5'), 0)).toBe(true);
  });
});
