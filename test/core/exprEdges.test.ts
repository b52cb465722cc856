import { describe, expect, it } from 'vitest';
import { RulesError, RuleSetError } from '../../src/core/errors.js';
import { compileCondition } from '../../src/core/expr/compiler.js';
import { clip } from '../../src/core/expr/lexer.js';
import { MAX_EXPRESSION_DEPTH, parse } from '../../src/core/expr/parser.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { canaries } from '../security/panShapes.js';

// The rule language and rules documents exactly at their limits, and the shapes that must be
// refused for the right reason: each case here is one a person editing rules can write.

/** `amount + amount + …`, `terms` long: a left-leaning chain as deep as it is long. */
const chain = (terms: number): string => Array.from({ length: terms }, () => 'amount').join(' + ');

/** The reason `source` does not parse, or undefined when it does. */
function parseProblem(source: string): string | undefined {
  try {
    parse(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('expression depth counts every kind of node', () => {
  // A chain inside a node, and that node at the head of a chain outside it: the tree is as deep
  // as the two chains and the node together. Each chain alone is well within the limit, so only
  // the depth the node passes up can tell the whole is too deep.
  const inner = chain(MAX_EXPRESSION_DEPTH - 10);
  const wrappers: [string, (x: string) => string][] = [
    ['brackets', (x) => `(${x})`],
    ['unary minus', (x) => `(-(${x}))`],
    ['not', (x) => `(not (${x}))`],
    ['a call', (x) => `abs(${x})`],
    ['a call with more arguments', (x) => `max(1, ${x}, 2)`],
    ['in, on its left', (x) => `((${x}) in (1, 2))`],
    ['a tuple item', (x) => `(amount in (1, ${x}))`],
  ];

  it.each(wrappers)('%s: refuses a tree deeper than the limit, accepts the node alone', (_name, wrap) => {
    // Prepare
    const alone = wrap(inner);
    const tooDeep = `${alone} + ${chain(20)}`;

    // Act, Assess
    expect(parseProblem(alone)).toBeUndefined();
    expect(parseProblem(tooDeep)).toMatch(new RegExp(`nests more than ${MAX_EXPRESSION_DEPTH} levels deep`));
  });
});

describe('names in the wrong place', () => {
  it('refuses a call where an entity is expected, even one named like an entity', () => {
    expect(() => compileCondition('count(account(), 1h) > 1', { lists: new Map() })).toThrow(/expected an entity .* but found account\(\)/);
  });

  it('refuses a field in a tuple as a tuple of literals only', () => {
    expect(() => compileCondition("country in ('US', merchant)", { lists: new Map() })).toThrow(
      /a tuple holds literal values only, not merchant/,
    );
  });
});

describe('naming the lists of a document in a message', () => {
  const lists = (n: number) => new Map(Array.from({ length: n }, (_, i) => [`l${String(i).padStart(2, '0')}`, new Set(['x'])]));
  const problem = (n: number): string => {
    try {
      compileCondition('country in list("nope")', { lists: lists(n) });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('names ten lists in full and the first ten of more, with their number', () => {
    const ten = [...lists(10).keys()].join(', ');
    expect(problem(10)).toContain(`(lists: ${ten})`);
    expect(problem(11)).toContain(`(lists: ${ten}, … (11 lists))`);
  });
});

describe('clip (source text in messages)', () => {
  it('keeps a text of exactly the limit whole and cuts one character more', () => {
    expect(clip('x'.repeat(40))).toBe('x'.repeat(40));
    expect(clip('x'.repeat(41))).toBe(`${'x'.repeat(37)}...`);
  });
});

/** The problems a rules document is refused for, as `path: reason`. */
function problems(doc: unknown): string[] {
  try {
    compileRuleSet(doc);
  } catch (e) {
    if (e instanceof RuleSetError) return e.errors.map((x) => `${x.path}: ${x.reason}`);
    if (e instanceof RulesError) return [`${e.path}: ${e.reason}`];
    throw e;
  }
  return [];
}

const rule = (extra: Record<string, unknown> = {}) => ({ id: 'r', when: 'amount > 1', weight: 10, ...extra });

describe('rules documents at their limits', () => {
  it('accepts an id and a version of exactly the longest length', () => {
    const set = compileRuleSet({ version: 'v'.repeat(128), rules: [rule({ id: 'a'.repeat(64) })] });
    expect(set.version).toHaveLength(128);
    expect(set.rules.map((r) => r.id)).toEqual(['a'.repeat(64)]);
  });

  it('lists exactly 100 problems in full, and one more as a count', () => {
    // Prepare: one unknown key per rule
    const doc = (n: number) => ({ rules: Array.from({ length: n }, (_, i) => rule({ id: `r${i}`, colour: 'red' })) });

    // Act
    const hundred = problems(doc(100));
    const more = problems(doc(101));

    // Assess
    expect(hundred).toHaveLength(100);
    expect(hundred.every((p) => /is not a rule key/.test(p))).toBe(true);
    expect(more).toHaveLength(101);
    expect(more[100]).toBe(': and 1 more problems, not listed');
  });
});

describe('card numbers in rules documents, beyond the first', () => {
  const pan = canaries()[1]?.text ?? '';
  // A card number small enough to be an exact JSON number.
  const numeric = canaries().find((c) => Number.isSafeInteger(Number(c.pan)))?.pan ?? '';

  it('refuses two card numbers with the two card problems alone', () => {
    // Prepare: two card numbers, and a problem that would repeat one of them if it were reported
    const doc = { lists: { cards: [pan, pan] }, rules: [rule({ id: pan })] };

    // Act
    const found = problems(doc);

    // Assess
    expect(found.length).toBeGreaterThan(1);
    expect(found.every((p) => /holds a card number/.test(p))).toBe(true);
  });

  it('finds a card number written as a JSON number', () => {
    // Prepare
    const asNumber = Number(numeric);
    expect(Number.isSafeInteger(asNumber) && asNumber > 0).toBe(true);

    // Act
    const found = problems({ rules: [rule({ weight: asNumber })] });

    // Assess
    expect(found).toEqual([expect.stringMatching(/^rules\[0\]\.weight: holds a card number/)]);
  });
});
