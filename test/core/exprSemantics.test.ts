import { describe, expect, it } from 'vitest';
import { CaselessSet } from '../../src/core/expr/caseless.js';
import type { CheckEnv } from '../../src/core/expr/checker.js';
import { compileCondition, compileTemplate, compileValue, type Value } from '../../src/core/expr/compiler.js';
import { FeatureWindows } from '../../src/core/features.js';
import type { Transaction } from '../../src/core/transaction.js';
import { makeTx, money } from '../helpers/transactions.js';

// What compiled expressions compute, shape by shape. The compiler builds special closures for
// common shapes (a field against a constant, two fields, a constant on the left, chains of two
// or three conditions, up to three placeholders); each shape is checked here against the plain
// definition, including missing values, so a special closure cannot drift from the general one.

const env: CheckEnv = { lists: new Map([['codes', new Set(['gb', 'nz'])]]) };
const cond = (source: string, tx: Transaction): boolean | undefined =>
  compileCondition(source, env)(tx, new FeatureWindows().observe(tx));
const value = (source: string, tx: Transaction): Value => compileValue(source, env).evaluate(tx, new FeatureWindows().observe(tx));

const OPS = ['==', '!=', '<', '<=', '>', '>='] as const;
type Op = (typeof OPS)[number];
const holds = (op: Op, x: number, y: number): boolean =>
  ({ '==': x === y, '!=': x !== y, '<': x < y, '<=': x <= y, '>': x > y, '>=': x >= y })[op];

describe('numeric comparisons in every shape', () => {
  // `account_balance` (A) may be missing; `amount` (B) never is. A field is read directly (a
  // leaf); `x + 0` is the same value computed; a literal is a constant.
  const shapes: { name: string; source: (op: Op, k: string) => string; sides: (a: number | undefined, b: number, k: number) => [number | undefined, number | undefined] }[] = [
    { name: 'field op field', source: (op) => `account_balance ${op} amount`, sides: (a, b) => [a, b] },
    { name: 'field op field, reversed', source: (op) => `amount ${op} account_balance`, sides: (a, b) => [b, a] },
    { name: 'computed op field', source: (op) => `account_balance + 0 ${op} amount`, sides: (a, b) => [a, b] },
    { name: 'field op computed', source: (op) => `account_balance ${op} amount + 0`, sides: (a, b) => [a, b] },
    { name: 'field op computed, reversed', source: (op) => `amount ${op} account_balance + 0`, sides: (a, b) => [b, a] },
    { name: 'computed op computed', source: (op) => `account_balance + 0 ${op} amount + 0`, sides: (a, b) => [a, b] },
    { name: 'computed op computed, reversed', source: (op) => `amount + 0 ${op} account_balance + 0`, sides: (a, b) => [b, a] },
    { name: 'computed op field, reversed', source: (op) => `amount + 0 ${op} account_balance`, sides: (a, b) => [b, a] },
    { name: 'field op constant', source: (op, k) => `account_balance ${op} ${k}`, sides: (a, _b, k) => [a, k] },
    { name: 'constant op field', source: (op, k) => `${k} ${op} account_balance`, sides: (a, _b, k) => [k, a] },
    { name: 'computed op constant', source: (op, k) => `account_balance + 0 ${op} ${k}`, sides: (a, _b, k) => [a, k] },
    { name: 'constant op computed', source: (op, k) => `${k} ${op} account_balance + 0`, sides: (a, _b, k) => [k, a] },
    { name: 'constant op constant field-free', source: (op, k) => `${k} ${op} 5`, sides: (_a, _b, k) => [k, money('5')] },
  ];
  const cases: { balance: string | undefined; amount: string; k: string }[] = [
    { balance: '4', amount: '5', k: '5' },
    { balance: '5', amount: '5', k: '5' },
    { balance: '6', amount: '5', k: '5' },
    { balance: '6', amount: '5', k: '7' },
    { balance: undefined, amount: '5', k: '5' },
  ];

  for (const shape of shapes) {
    it(`${shape.name}: every operator, below, at and above, and missing`, () => {
      for (const c of cases) {
        const tx = makeTx({ amount: money(c.amount), ...(c.balance === undefined ? {} : { accountBalance: money(c.balance) }) });
        const [x, y] = shape.sides(c.balance === undefined ? undefined : money(c.balance), money(c.amount), money(c.k));
        for (const op of OPS) {
          const expected = x === undefined || y === undefined ? undefined : holds(op, x, y);
          expect(cond(shape.source(op, c.k), tx), `${shape.source(op, c.k)} with ${JSON.stringify(c)}`).toBe(expected);
        }
      }
    });
  }

  it('compares plain numbers (not money) the same way', () => {
    const tx = makeTx({ timestamp: Date.UTC(2024, 2, 7, 13, 0) }); // hour 13, weekday 4
    for (const op of OPS) {
      expect(cond(`hour ${op} weekday`, tx)).toBe(holds(op, 13, 4));
      expect(cond(`weekday ${op} hour`, tx)).toBe(holds(op, 4, 13));
      expect(cond(`13 ${op} hour`, tx)).toBe(holds(op, 13, 13));
      expect(cond(`hour ${op} 13.5`, tx)).toBe(holds(op, 13, 13.5));
    }
  });
});

describe('string and truth-value comparisons in every shape', () => {
  const tx = (country: string | undefined, origin: string | undefined): Transaction =>
    makeTx({ ...(country === undefined ? {} : { country }), ...(origin === undefined ? {} : { originCountry: origin }) });
  const pairs: [string | undefined, string | undefined][] = [
    ['GB', 'GB'],
    ['GB', 'FR'],
    ['GB', 'gb'],
    [undefined, 'GB'],
    ['GB', undefined],
  ];

  it.each(['==', '!='])('field %s field, field %s constant, constant %s field, computed %s computed', (op) => {
    for (const [a, b] of pairs) {
      const t = tx(a, b);
      const expected = (x: string | undefined, y: string | undefined): boolean | undefined =>
        x === undefined || y === undefined ? undefined : (x === y) !== (op === '!=');
      expect(cond(`country ${op} origin_country`, t), `${a} ${op} ${b}`).toBe(expected(a, b));
      expect(cond(`origin_country ${op} country`, t)).toBe(expected(b, a));
      expect(cond(`country ${op} "GB"`, t)).toBe(expected(a, 'GB'));
      expect(cond(`"GB" ${op} country`, t)).toBe(expected('GB', a));
      expect(cond(`coalesce(country, country) ${op} coalesce(origin_country, origin_country)`, t)).toBe(expected(a, b));
      expect(cond(`coalesce(origin_country, origin_country) ${op} country`, t)).toBe(expected(b, a));
      expect(cond(`prev_country(account) ${op} "GB"`, t)).toBeUndefined();
    }
  });

  it('compares truth values, unknown when either side is', () => {
    const t = makeTx({ amount: money('5') });
    const T = 'amount > 1';
    const F = 'amount < 1';
    const U = 'account_balance > 1';
    expect(cond(`(${T}) == (${T})`, t)).toBe(true);
    expect(cond(`(${T}) == (${F})`, t)).toBe(false);
    expect(cond(`(${T}) != (${F})`, t)).toBe(true);
    expect(cond(`(${F}) != (${F})`, t)).toBe(false);
    expect(cond(`(${U}) == (${T})`, t)).toBeUndefined();
    expect(cond(`(${T}) == (${U})`, t)).toBeUndefined();
    expect(cond(`true == (${F})`, t)).toBe(false);
  });
});

describe('and / or chains: three-valued, any length', () => {
  const t = makeTx({ amount: money('5') });
  const ATOMS = { T: 'amount > 1', F: 'amount < 1', U: 'account_balance > 1' } as const;
  type V = keyof typeof ATOMS;
  const truth = { T: true, F: false, U: undefined } as const;
  const and = (xs: (boolean | undefined)[]): boolean | undefined =>
    xs.includes(false) ? false : xs.includes(undefined) ? undefined : true;
  const or = (xs: (boolean | undefined)[]): boolean | undefined =>
    xs.includes(true) ? true : xs.includes(undefined) ? undefined : false;
  const combos = (n: number): V[][] =>
    n === 0 ? [[]] : combos(n - 1).flatMap((c) => (['T', 'F', 'U'] as V[]).map((v) => [...c, v]));

  for (const n of [2, 3, 4]) {
    it(`${n} operands, every combination of true, false and unknown`, () => {
      for (const combo of combos(n)) {
        const xs = combo.map((v) => truth[v]);
        expect(cond(combo.map((v) => ATOMS[v]).join(' and '), t), `and ${combo.join('')}`).toBe(and(xs));
        expect(cond(combo.map((v) => ATOMS[v]).join(' or '), t), `or ${combo.join('')}`).toBe(or(xs));
      }
    });
  }

  it('keeps and/or precedence in mixed chains, and negates unknown to unknown', () => {
    expect(cond(`${ATOMS.F} and ${ATOMS.T} or ${ATOMS.T}`, t)).toBe(true);
    expect(cond(`${ATOMS.T} or ${ATOMS.T} and ${ATOMS.F}`, t)).toBe(true);
    expect(cond(`(${ATOMS.T} or ${ATOMS.T}) and ${ATOMS.F}`, t)).toBe(false);
    expect(cond(`${ATOMS.F} or ${ATOMS.U} and ${ATOMS.T}`, t)).toBeUndefined();
    expect(cond(`not (${ATOMS.U})`, t)).toBeUndefined();
    expect(cond(`not (${ATOMS.F})`, t)).toBe(true);
  });
});

describe('membership, present and coalesce', () => {
  it('matches strings in a tuple or a list case-insensitively, from a field or a computed string', () => {
    const gb = makeTx({ country: 'Gb', originCountry: 'NZ' });
    const none = makeTx();
    expect(cond('country in ("gb", "fr")', gb)).toBe(true);
    expect(cond('country not in ("gb", "fr")', gb)).toBe(false);
    expect(cond('country in ("fr")', gb)).toBe(false);
    expect(cond('coalesce(origin_country, country) in list("codes")', gb)).toBe(true);
    expect(cond('coalesce(origin_country, country) not in list("codes")', gb)).toBe(false);
    expect(cond('coalesce(origin_country, country) in ("fr")', gb)).toBe(false);
    expect(cond('country in list("codes")', none)).toBeUndefined();
    expect(cond('coalesce(country, origin_country) in list("codes")', none)).toBeUndefined();
  });

  it('matches numbers and money in a tuple, exactly', () => {
    const t = makeTx({ amount: money('20.5'), timestamp: Date.UTC(2024, 2, 7, 13, 0) });
    expect(cond('amount in (20.5, 3)', t)).toBe(true);
    expect(cond('amount in (20.49, 3)', t)).toBe(false);
    expect(cond('amount not in (20.5)', t)).toBe(false);
    expect(cond('hour in (12, 13)', t)).toBe(true);
    expect(cond('hour not in (12, 13)', t)).toBe(false);
    expect(cond('account_balance in (1, 2)', t)).toBeUndefined();
  });

  it('tells present from missing for every type', () => {
    const full = makeTx({ accountBalance: money('1'), country: 'GB' });
    const bare = makeTx();
    for (const [source, whenFull] of [
      ['present(account_balance)', true],
      ['present(account_balance / 2)', true],
      ['present(country)', true],
      ['present(account_balance > 0)', true],
      ['present(hour)', true],
    ] as const) {
      expect(cond(source, full), source).toBe(whenFull);
    }
    expect(cond('present(account_balance)', bare)).toBe(false);
    expect(cond('present(account_balance / 2)', bare)).toBe(false);
    expect(cond('present(country)', bare)).toBe(false);
    expect(cond('present(account_balance > 0)', bare)).toBe(false);
  });

  it('takes the first present argument of coalesce, for numbers, strings and truth values', () => {
    const bare = makeTx({ amount: money('5') });
    expect(value('coalesce(account_balance, amount, 1)', bare)).toBe(money('5'));
    expect(value('coalesce(account_balance, account_balance)', bare)).toBeUndefined();
    expect(value('coalesce(country, origin_country, "XX")', bare)).toBe('XX');
    expect(value('coalesce(hour, 1)', bare)).toBe(12);
    expect(value('coalesce(hour / 0, 1)', bare)).toBe(1);
    expect(value('coalesce(country, origin_country)', bare)).toBeUndefined();
    expect(cond('coalesce(account_balance > 0, amount > 1)', bare)).toBe(true);
    expect(cond('coalesce(account_balance > 0, amount < 1)', bare)).toBe(false);
    expect(cond('coalesce(account_balance > 0, account_balance < 0)', bare)).toBeUndefined();
  });
});

describe('arithmetic and functions', () => {
  const t = makeTx({ amount: money('7.5'), accountBalance: money('-2'), timestamp: Date.UTC(2024, 2, 7, 13, 0) });

  it('computes each operator on a field and a constant, and on two computed values', () => {
    expect(value('amount + 2', t)).toBe(money('9.5'));
    expect(value('amount - 2', t)).toBe(money('5.5'));
    expect(value('amount * 2', t)).toBe(money('15'));
    expect(value('amount / 2', t)).toBe(money('3.75'));
    expect(value('amount % 2', t)).toBe(money('1.5'));
    expect(value('hour + 2', t)).toBe(15);
    expect(value('hour - 2', t)).toBe(11);
    expect(value('hour * 2', t)).toBe(26);
    expect(value('hour / 2', t)).toBe(6.5);
    expect(value('hour % 5', t)).toBe(3);
    expect(value('hour / 0', t)).toBeUndefined();
    expect(value('hour / (hour - 13)', t)).toBeUndefined();
    expect(value('(hour + 0) * (weekday + 0)', t)).toBe(52);
    expect(value('(hour + 0) - (weekday + 0)', t)).toBe(9);
    expect(value('amount / account_balance', t)).toBe(-3.75);
  });

  it('scales money by a decimal exactly, from a field and from a computed value', () => {
    expect(value('amount * 0.3', t)).toBe(money('2.25'));
    expect(value('(amount + 0) * 0.3', t)).toBe(money('2.25'));
    expect(value('amount / 0.5', t)).toBe(money('15'));
    expect(value('amount / -0.5', t)).toBe(money('-15'));
    expect(value('amount * hour', t)).toBe(money('97.5'));
  });

  it('takes min and max over present arguments, negatives included, missing only when all are', () => {
    const bare = makeTx({ amount: money('5') });
    expect(value('max(-3, -1, -2)', t)).toBe(-1);
    expect(value('min(-3, -1, -2)', t)).toBe(-3);
    expect(value('max(account_balance, amount)', t)).toBe(money('7.5'));
    expect(value('min(account_balance, amount)', t)).toBe(money('-2'));
    expect(value('min(amount, account_balance)', t)).toBe(money('-2'));
    expect(value('max(account_balance, 1)', bare)).toBe(money('1'));
    expect(value('min(account_balance, account_balance)', bare)).toBeUndefined();
    expect(value('max(2, 2)', t)).toBe(2);
    expect(value('abs(account_balance)', t)).toBe(money('2'));
    expect(value('-account_balance', t)).toBe(money('2'));
  });

  it('rounds money to 0–4 decimals and numbers to 0–10', () => {
    const m = makeTx({ amount: money('12.3456') });
    expect(value('round(amount)', m)).toBe(money('12'));
    expect(value('round(amount, 2)', m)).toBe(money('12.35'));
    expect(value('round(amount, 4)', m)).toBe(money('12.3456'));
    expect(value('round(amount / 7, 3)', m)).toBe(money('1.764'));
    expect(value('round(hour / 7, 10)', t)).toBe(1.8571428571);
    expect(value('round(amount / amount * 2 / 3, 10)', m)).toBe(0.6666666667);
    expect(value('round(hour / 7, 3)', t)).toBe(1.857);
  });

  it('folds literals exactly, negative results and leading zeros included', () => {
    expect(value('0.1 - 0.3', t)).toBe(-0.2);
    expect(value('0.02 + 0.01', t)).toBe(0.03);
    expect(value('1 - 1.25', t)).toBe(-0.25);
    expect(value('0.5 * 0.02', t)).toBe(0.01);
    expect(value('3 - 5', t)).toBe(-2);
    expect(value('1.1 - 1', t)).toBe(0.1);
    expect(cond('amount == 7.6 - 0.1', t)).toBe(true);
    expect(cond('amount == 10 - 2.5', t)).toBe(true);
    expect(value('- -5', t)).toBe(5);
    expect(value('-2.5', t)).toBe(-2.5);
    expect(value('1 - -2', t)).toBe(3);
    expect(cond('amount == - -7.5', t)).toBe(true);
    expect(cond('hour > -1', t)).toBe(true);
  });

  it('leaves to run time a sum of literals whose exact digits pass 2^53, instead of folding a rounded one', () => {
    // In tenths the operands are 4503599627370497 and 4503599627370498: their sum cannot be held
    // exactly, and folding the rounded sum would put the decimal point on the wrong digits
    // (900719925474099.6). The double sum happens to be the exact answer here.
    expect(value('450359962737049.7 + 450359962737049.8', t)).toBe(900719925474099.5);
  });

  it('leaves the division and remainder of literals to run time', () => {
    expect(value('7 / 2', t)).toBe(3.5);
    expect(value('7 % 4', t)).toBe(3);
    expect(value('9 % 4', t)).toBe(1);
    expect(cond('amount == 15 / 2', t)).toBe(true);
    expect(cond('amount == 15.5 % 8', t)).toBe(true);
  });
});

describe('detail templates', () => {
  const t = makeTx({ amount: money('1234.5'), country: 'GB', timestamp: Date.UTC(2024, 2, 7, 13, 0) });
  const render = (template: string): string => compileTemplate(template, env)(t, new FeatureWindows().observe(t));

  it.each([
    ['no placeholder', 'no placeholder'],
    ['{amount}', '1234.50'],
    ['a {amount} b', 'a 1234.50 b'],
    ['a {amount} b {country} c', 'a 1234.50 b GB c'],
    ['{hour}/{weekday}/{country}', '13/4/GB'],
    ['1 {hour} 2 {weekday} 3 {country} 4 {amount} 5', '1 13 2 4 3 GB 4 1234.50 5'],
    ['{hour}{hour}{hour}{hour}{hour}', '1313131313'],
    ['{account_balance} {origin_country} {account_balance > 0} {round(account_balance / 3, 2)}', '- - - -'],
    ['{hour / 7} {round(hour / 7, 3)} {amount > 1}', '1.86 1.857 true'],
    ['{hour / 0} {round(hour / 0, 2)} {hour}', '- - 13'],
    ['{{literal}} {"}"} {\'a}b\'} {"q\\"}"}', '{literal} } a}b q"}'],
  ])('%j renders %j', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  it.each([
    ['{}', 'empty placeholder {}', 0],
    ['{ }', 'empty placeholder {}', 0],
    ['x }', 'unexpected "}" (write }} for a brace)', 2],
    ['{amount', 'unclosed "{" (write {{ for a brace)', 0],
    ['{"a}', 'unclosed "{" (write {{ for a brace)', 0],
    ['{amount {x}}', 'unexpected "{" inside a placeholder', 8],
    ['ab {amout}', 'unknown field amout (did you mean amount?)', 4],
  ])('rejects %j: %s at offset %d', (template, reason, offset) => {
    try {
      compileTemplate(template, env);
      throw new Error('no error');
    } catch (e) {
      expect(e).toMatchObject({ reason, offset });
    }
  });
});

describe('CaselessSet', () => {
  // 'yiijsv' and 'ktodoe' have the same folded FNV-1a hash: they share a bucket.
  it('keeps entries whose hashes collide, and tells them apart', () => {
    const both = new CaselessSet(['yiijsv', 'ktodoe']);
    expect([both.has('yiijsv'), both.has('KTODOE'), both.has('YiIjSv')]).toEqual([true, true, true]);
    const one = new CaselessSet(['yiijsv']);
    expect([one.has('ktodoe'), one.has('KTODOE'), one.has('yiijsv')]).toEqual([false, false, true]);
  });

  // 'njibma' and 'njibma39' hash the same too: only their lengths tell them apart.
  it('tells apart colliding entries of different lengths, one a prefix of the other', () => {
    expect(new CaselessSet(['njibma39']).has('njibma')).toBe(false);
    expect(new CaselessSet(['njibma']).has('NJIBMA39')).toBe(false);
    expect(new CaselessSet(['njibma39']).has('NJIBMA39')).toBe(true);
  });

  it('folds every ASCII letter, A and Z included, and matches non-ASCII by lower case', () => {
    const s = new CaselessSet(['nz', 'az', 'zürich', 'a\u007f']);
    expect([s.has('NZ'), s.has('AZ'), s.has('Az'), s.has('ZÜRICH'), s.has('A\u007f')]).toEqual([true, true, true, true, true]);
    expect([s.has('n'), s.has('nzz'), s.has('zurich'), s.has('[z'), s.has('@z')]).toEqual([false, false, false, false, false]);
  });
});
