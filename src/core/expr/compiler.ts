import { AMOUNT_SCALE, formatDecimal } from '../decimal.js';
import { ExpressionError } from '../errors.js';
import type { Features } from '../features.js';
import type { Transaction } from '../transaction.js';
import { CaselessSet } from './caseless.js';
import { type Checked, type CheckEnv, check, type ValueType } from './checker.js';
import {
  featureReader,
  minutesReader,
  type NumberLeaf,
  numberField,
  prevCountryReader,
  readNumber,
  readString,
  type StringLeaf,
  stringField,
} from './fields.js';
import { parse } from './parser.js';

// Compiled expressions are trees of closures built once per rule set; nothing is parsed or
// looked up per row. At run time a number is a JS number with NaN for "missing" (arithmetic
// carries it for free); a string or a truth value is undefined when missing. Truth values are
// three-valued (true / false / undefined = unknown), as in SQL: a comparison with a missing value
// is unknown, `not unknown` is unknown, `false and x` is false, `true or x` is true. A rule fires
// only when its condition is true.
//
// Speed: closures made from one function literal share V8's type feedback, so a call from a
// generic node to its children is megamorphic (a real call, no inlining). The compiler therefore
// reads fields inline through one function per type (readNumber/readString, which V8 inlines),
// and gives the common shapes (a field compared with a constant, a chain of and/or) closures of
// their own. Features are read by a closure per entity (see featureReader).

type Num = (tx: Transaction, f: Features) => number;
type Str = (tx: Transaction, f: Features) => string | undefined;
type Bool = (tx: Transaction, f: Features) => boolean | undefined;

/** A compiled number with what the compiler knows about it. */
interface NumCode {
  fn: Num;
  /** The value, when it is a literal. */
  constant?: number;
  /** The field, when the value is one (read inline by the parent). */
  leaf?: NumberLeaf;
}

/** A compiled string. */
interface StrCode {
  fn: Str;
  constant?: string;
  leaf?: StringLeaf;
}

/**
 * A compiled condition: true, false, or undefined when unknown (it involves a missing value).
 * A rule fires only on `true`.
 */
export type Condition = (tx: Transaction, f: Features) => boolean | undefined;
/** A compiled detail template. */
export type Template = (tx: Transaction, f: Features) => string;
/** Any value of the language; money as an E4 integer; undefined when missing. */
export type Value = number | string | boolean | undefined;

function internal(c: Checked): Error {
  return new Error(`expression compiler: unexpected ${c.kind} of type ${c.type}`);
}

function numLeaf(leaf: NumberLeaf): NumCode {
  return { fn: (tx) => readNumber(leaf, tx), leaf };
}

function num(c: Checked): NumCode {
  switch (c.kind) {
    case 'literal': {
      if (typeof c.value !== 'number') throw internal(c);
      const k = c.value;
      return { fn: () => k, constant: k };
    }
    case 'field': {
      const leaf = numberField(c.name);
      if (!leaf) throw internal(c);
      return numLeaf(leaf);
    }
    case 'feature':
      return { fn: featureReader(c.entity, c.window, c.stat) };
    case 'previous':
      return { fn: minutesReader(c.entity) };
    case 'negate': {
      const a = num(c.arg);
      const fn = a.fn;
      return { fn: (tx, f) => -fn(tx, f) };
    }
    case 'arithmetic':
      return arithmetic(c.op, num(c.left), num(c.right));
    case 'scale': {
      const a = num(c.arg);
      const k = c.num;
      const d = c.den;
      const leaf = a.leaf;
      if (leaf) return { fn: (tx) => (readNumber(leaf, tx) * k) / d };
      const fn = a.fn;
      return { fn: (tx, f) => (fn(tx, f) * k) / d };
    }
    case 'to_money': {
      const a = num(c.arg);
      const fn = a.fn;
      return { fn: (tx, f) => fn(tx, f) * AMOUNT_SCALE };
    }
    case 'call':
      return numCall(c.name, c.args.map(num));
    case 'round': {
      const a = num(c.arg);
      const fn = a.fn;
      if (c.type === 'money') {
        const unit = 10 ** (4 - c.digits);
        return { fn: (tx, f) => Math.round(fn(tx, f) / unit) * unit };
      }
      const p = 10 ** c.digits;
      return { fn: (tx, f) => Math.round(fn(tx, f) * p) / p };
    }
    default:
      throw internal(c);
  }
}

const ADD = 0;
const SUB = 1;
const MUL = 2;
const DIV = 3;
const MOD = 4;
const ARITHMETIC = { '+': ADD, '-': SUB, '*': MUL, '/': DIV, '%': MOD } as const;

/** One arithmetic operation; division by zero is missing, not Infinity. */
function calculate(op: number, x: number, y: number): number {
  switch (op) {
    case ADD:
      return x + y;
    case SUB:
      return x - y;
    case MUL:
      return x * y;
    case DIV:
      return y === 0 ? Number.NaN : x / y;
    default:
      return x % y;
  }
}

function arithmetic(symbol: '+' | '-' | '*' | '/' | '%', l: NumCode, r: NumCode): NumCode {
  const op = ARITHMETIC[symbol];
  const a = l.fn;
  const b = r.fn;
  const la = l.leaf;
  if (la && r.constant !== undefined) {
    const k = r.constant;
    return { fn: (tx) => calculate(op, readNumber(la, tx), k) };
  }
  return { fn: (tx, f) => calculate(op, a(tx, f), b(tx, f)) };
}

function numCall(name: 'abs' | 'min' | 'max' | 'coalesce', args: NumCode[]): NumCode {
  const fns = args.map((a) => a.fn);
  switch (name) {
    case 'abs': {
      const fn = fns[0] as Num;
      return { fn: (tx, f) => Math.abs(fn(tx, f)) };
    }
    case 'min':
    case 'max': {
      // Missing arguments are skipped; the result is missing only when all are.
      const sign = name === 'max' ? 1 : -1;
      return {
        fn: (tx, f) => {
          let best = Number.NaN;
          for (let i = 0; i < fns.length; i++) {
            const v = (fns[i] as Num)(tx, f);
            if (v === v && (best !== best || sign * (v - best) > 0)) best = v;
          }
          return best;
        },
      };
    }
    case 'coalesce':
      return {
        fn: (tx, f) => {
          for (let i = 0; i < fns.length; i++) {
            const v = (fns[i] as Num)(tx, f);
            if (v === v) return v;
          }
          return Number.NaN;
        },
      };
  }
}

function str(c: Checked): StrCode {
  switch (c.kind) {
    case 'literal': {
      if (typeof c.value !== 'string') throw internal(c);
      const k = c.value;
      return { fn: () => k, constant: k };
    }
    case 'field': {
      const leaf = stringField(c.name);
      if (!leaf) throw internal(c);
      return { fn: (tx) => readString(leaf, tx), leaf };
    }
    case 'previous':
      return { fn: prevCountryReader(c.entity) };
    case 'call': {
      if (c.name !== 'coalesce') throw internal(c);
      const fns = c.args.map((a) => str(a).fn);
      return {
        fn: (tx, f) => {
          for (let i = 0; i < fns.length; i++) {
            const v = (fns[i] as Str)(tx, f);
            if (v !== undefined) return v;
          }
          return undefined;
        },
      };
    }
    default:
      throw internal(c);
  }
}

function bool(c: Checked): Bool {
  switch (c.kind) {
    case 'literal': {
      if (typeof c.value !== 'boolean') throw internal(c);
      const k = c.value;
      return () => k;
    }
    case 'compare':
      if (c.operands === 'money' || c.operands === 'number') return compareNumbers(c.op, num(c.left), num(c.right));
      if (c.operands === 'string') return compareStrings(c.op === '!=', str(c.left), str(c.right));
      return compareBools(c.op === '!=', bool(c.left), bool(c.right));
    case 'logic':
      return logic(c.op, operands(c.op, c).map(bool));
    case 'not': {
      const a = bool(c.arg);
      return (tx, f) => {
        const x = a(tx, f);
        return x === undefined ? undefined : !x;
      };
    }
    case 'member':
      return 'strings' in c
        ? memberString(c.negated, str(c.arg), c.strings)
        : memberNumber(c.negated, num(c.arg), c.numbers);
    case 'present':
      if (c.arg.type === 'money' || c.arg.type === 'number') {
        const a = num(c.arg).fn;
        return (tx, f) => {
          const v = a(tx, f);
          return v === v;
        };
      } else {
        const a = c.arg.type === 'string' ? str(c.arg).fn : bool(c.arg);
        return (tx, f) => a(tx, f) !== undefined;
      }
    case 'call': {
      if (c.name !== 'coalesce') throw internal(c);
      const fns = c.args.map(bool);
      return (tx, f) => {
        for (let i = 0; i < fns.length; i++) {
          const v = (fns[i] as Bool)(tx, f);
          if (v !== undefined) return v;
        }
        return undefined;
      };
    }
    default:
      throw internal(c);
  }
}

/** The operands of a chain of one logical operator: `a and b and c` → [a, b, c]. */
function operands(op: 'and' | 'or', c: Checked): Checked[] {
  return c.kind === 'logic' && c.op === op ? [...operands(op, c.left), ...operands(op, c.right)] : [c];
}

/**
 * Three-valued `and` / `or` over a chain, left to right, stopping at the first operand that
 * decides (false for and, true for or); unknown when none decides and one is unknown.
 */
function logic(op: 'and' | 'or', tests: Bool[]): Bool {
  const decisive = op === 'or';
  const [a, b, c] = tests;
  if (tests.length === 2 && a && b) {
    return (tx, f) => {
      const x = a(tx, f);
      if (x === decisive) return decisive;
      const y = b(tx, f);
      if (y === decisive) return decisive;
      return x === undefined || y === undefined ? undefined : !decisive;
    };
  }
  if (tests.length === 3 && a && b && c) {
    return (tx, f) => {
      const x = a(tx, f);
      if (x === decisive) return decisive;
      const y = b(tx, f);
      if (y === decisive) return decisive;
      const z = c(tx, f);
      if (z === decisive) return decisive;
      return x === undefined || y === undefined || z === undefined ? undefined : !decisive;
    };
  }
  return (tx, f) => {
    let unknown = false;
    for (let i = 0; i < tests.length; i++) {
      const v = (tests[i] as Bool)(tx, f);
      if (v === decisive) return decisive;
      if (v === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  };
}

const EQ = 0;
const NE = 1;
const LT = 2;
const LE = 3;
const GT = 4;
const GE = 5;
const COMPARISON = { '==': EQ, '!=': NE, '<': LT, '<=': LE, '>': GT, '>=': GE } as const;
/** `k op x` is `x flipped(op) k`. */
const FLIPPED = [EQ, NE, GT, GE, LT, LE];

/** One numeric comparison of two present values. */
function holds(op: number, x: number, y: number): boolean {
  switch (op) {
    case EQ:
      return x === y;
    case NE:
      return x !== y;
    case LT:
      return x < y;
    case LE:
      return x <= y;
    case GT:
      return x > y;
    default:
      return x >= y;
  }
}

/** A numeric comparison: unknown when either side is missing (NaN). */
function compareNumbers(symbol: '==' | '!=' | '<' | '<=' | '>' | '>=', left: NumCode, right: NumCode): Bool {
  let op: number = COMPARISON[symbol];
  let l = left;
  let r = right;
  if (l.constant !== undefined && r.constant === undefined) {
    [l, r] = [r, l];
    op = FLIPPED[op] as number;
  }
  const la = l.leaf;
  const rb = r.leaf;
  const a = l.fn;
  const b = r.fn;
  if (r.constant !== undefined) {
    const k = r.constant;
    if (la) {
      return (tx) => {
        const x = readNumber(la, tx);
        return x !== x ? undefined : holds(op, x, k);
      };
    }
    return (tx, f) => {
      const x = a(tx, f);
      return x !== x ? undefined : holds(op, x, k);
    };
  }
  if (la && rb) {
    return (tx) => {
      const x = readNumber(la, tx);
      const y = readNumber(rb, tx);
      return x !== x || y !== y ? undefined : holds(op, x, y);
    };
  }
  if (la) {
    return (tx, f) => {
      const x = readNumber(la, tx);
      if (x !== x) return undefined;
      const y = b(tx, f);
      return y !== y ? undefined : holds(op, x, y);
    };
  }
  return (tx, f) => {
    const x = a(tx, f);
    if (x !== x) return undefined;
    const y = b(tx, f);
    return y !== y ? undefined : holds(op, x, y);
  };
}

/** `==` / `!=` on strings: exact (case matters); unknown when either side is missing. */
function compareStrings(negated: boolean, left: StrCode, right: StrCode): Bool {
  const [l, r] = left.constant !== undefined ? [right, left] : [left, right];
  const la = l.leaf;
  const rb = r.leaf;
  if (la && r.constant !== undefined) {
    const k = r.constant;
    return (tx) => {
      const x = readString(la, tx);
      return x === undefined ? undefined : (x === k) !== negated;
    };
  }
  if (la && rb) {
    return (tx) => {
      const x = readString(la, tx);
      if (x === undefined) return undefined;
      const y = readString(rb, tx);
      return y === undefined ? undefined : (x === y) !== negated;
    };
  }
  const a = l.fn;
  const b = r.fn;
  return (tx, f) => {
    const x = a(tx, f);
    if (x === undefined) return undefined;
    const y = b(tx, f);
    return y === undefined ? undefined : (x === y) !== negated;
  };
}

/** `==` / `!=` on truth values; unknown when either side is. */
function compareBools(negated: boolean, a: Bool, b: Bool): Bool {
  return (tx, f) => {
    const x = a(tx, f);
    if (x === undefined) return undefined;
    const y = b(tx, f);
    return y === undefined ? undefined : (x === y) !== negated;
  };
}

/**
 * `x in (...)` / `x in list(...)` on strings: case-insensitive (without a new string per row, see
 * {@link CaselessSet}); unknown when x is missing.
 */
function memberString(negated: boolean, arg: StrCode, values: ReadonlySet<string>): Bool {
  const yes = !negated;
  const set = new CaselessSet(values);
  const leaf = arg.leaf;
  if (leaf) {
    return (tx) => {
      const v = readString(leaf, tx);
      return v === undefined ? undefined : set.has(v) === yes;
    };
  }
  const a = arg.fn;
  return (tx, f) => {
    const v = a(tx, f);
    return v === undefined ? undefined : set.has(v) === yes;
  };
}

/** `x in (1, 2)` on numbers or money; unknown when x is missing. */
function memberNumber(negated: boolean, arg: NumCode, set: ReadonlySet<number>): Bool {
  const yes = !negated;
  const a = arg.fn;
  return (tx, f) => {
    const v = a(tx, f);
    return v !== v ? undefined : set.has(v) === yes;
  };
}

/** Parses and type-checks; the checked tree of a whole expression. */
function checked(source: string, env: CheckEnv): Checked {
  return check(parse(source), source, env);
}

/**
 * Compiles a rule condition once into a closure. The condition must be true/false-valued; the
 * closure returns true, false, or undefined for unknown (only true means "fires"). Throws
 * {@link ExpressionError} with the position of the first problem.
 * @example
 * const when = compileCondition('amount > 10000', { lists: new Map() });
 * when(tx, features) === true // for 10000.01, not for 10000.00
 */
export function compileCondition(source: string, env: CheckEnv): Condition {
  const c = checked(source, env);
  if (c.type !== 'bool') {
    throw new ExpressionError(
      `a condition must be true or false, but this is ${c.type === 'money' ? 'money' : `a ${c.type}`}`,
      source,
      c.start,
    );
  }
  return bool(c);
}

/**
 * Compiles any expression into a closure returning its value (money as an E4 integer, missing as
 * undefined): for tests, tools and backtests that want to see values, not just decisions.
 * @example compileValue('amount * 2', env).evaluate(tx, f) // 246900 for an amount of 12.345
 */
export function compileValue(
  source: string,
  env: CheckEnv,
): { type: ValueType; evaluate: (tx: Transaction, f: Features) => Value } {
  const c = checked(source, env);
  switch (c.type) {
    case 'money':
    case 'number': {
      const fn = num(c).fn;
      return {
        type: c.type,
        evaluate: (tx, f) => {
          const v = fn(tx, f);
          return v === v ? v : undefined;
        },
      };
    }
    case 'string':
      return { type: c.type, evaluate: str(c).fn };
    case 'bool':
      return { type: c.type, evaluate: bool(c) };
  }
}

type Part = (tx: Transaction, f: Features) => string;

/** How a placeholder's value reads in a detail. Missing values read `-`. */
function renderer(c: Checked): Part {
  switch (c.type) {
    case 'money': {
      const fn = num(c).fn;
      return (tx, f) => {
        const v = fn(tx, f);
        return v === v ? formatDecimal(Math.round(v)) : '-';
      };
    }
    case 'number': {
      const fn = num(c).fn;
      if (c.kind === 'round') {
        const d = c.digits;
        return (tx, f) => {
          const v = fn(tx, f);
          return v === v ? v.toFixed(d) : '-';
        };
      }
      return (tx, f) => {
        const v = fn(tx, f);
        return v !== v ? '-' : Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
      };
    }
    case 'string': {
      const fn = str(c).fn;
      return (tx, f) => fn(tx, f) ?? '-';
    }
    case 'bool': {
      const fn = bool(c);
      return (tx, f) => {
        const v = fn(tx, f);
        return v === undefined ? '-' : String(v);
      };
    }
  }
}

/**
 * Compiles a detail template: text with `{expression}` placeholders (`{{` and `}}` for literal
 * braces). Money renders as a decimal (`10000.01`), numbers as integers or with up to 2 decimals
 * (`round(x, d)` renders exactly d), strings as they are, missing values as `-`. The template is
 * rendered only for rules that fired.
 * @example compileTemplate('{count(card, 1m)} on the card within a minute', env)(tx, f) // '4 on the card …'
 */
export function compileTemplate(template: string, env: CheckEnv): Template {
  const texts: string[] = [];
  const values: Part[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const ch = template.charAt(i);
    const next = template.charAt(i + 1);
    if ((ch === '{' && next === '{') || (ch === '}' && next === '}')) {
      text += ch;
      i += 2;
    } else if (ch === '}') {
      throw new ExpressionError('unexpected "}" (write }} for a brace)', template, i);
    } else if (ch === '{') {
      const end = placeholderEnd(template, i);
      const source = template.slice(i + 1, end);
      if (source.trim() === '') throw new ExpressionError('empty placeholder {}', template, i);
      try {
        values.push(renderer(checked(source, env)));
      } catch (e) {
        if (e instanceof ExpressionError) throw new ExpressionError(e.reason, template, i + 1 + e.offset);
        throw e;
      }
      texts.push(text);
      text = '';
      i = end + 1;
    } else {
      text += ch;
      i++;
    }
  }
  texts.push(text);
  return concatenation(texts, values);
}

/**
 * Joins `texts[0] + values[0] + texts[1] + … + texts[n]`, with the usual sizes (up to three
 * placeholders) as closures of their own: no loop, no array, just the string concatenation.
 */
function concatenation(texts: string[], values: Part[]): Template {
  const [t0 = '', t1 = '', t2 = '', t3 = ''] = texts;
  const [v0, v1, v2] = values;
  switch (values.length) {
    case 0:
      return () => t0;
    case 1:
      if (v0) return (tx, f) => t0 + v0(tx, f) + t1;
      break;
    case 2:
      if (v0 && v1) return (tx, f) => t0 + v0(tx, f) + t1 + v1(tx, f) + t2;
      break;
    case 3:
      if (v0 && v1 && v2) return (tx, f) => t0 + v0(tx, f) + t1 + v1(tx, f) + t2 + v2(tx, f) + t3;
      break;
  }
  return (tx, f) => {
    let out = t0;
    for (let k = 0; k < values.length; k++) out += (values[k] as Part)(tx, f) + (texts[k + 1] as string);
    return out;
  };
}

/** Index of the `}` closing the placeholder opened at `open`, skipping quoted strings. */
function placeholderEnd(template: string, open: number): number {
  let quote = '';
  for (let i = open + 1; i < template.length; i++) {
    const ch = template.charAt(i);
    if (quote !== '') {
      if (ch === '\\') i++;
      else if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '}') {
      return i;
    } else if (ch === '{') {
      throw new ExpressionError('unexpected "{" inside a placeholder', template, i);
    }
  }
  throw new ExpressionError('unclosed "{" (write {{ for a brace)', template, open);
}
