import { parseDecimal } from '../decimal.js';
import { ExpressionError } from '../errors.js';
import { ENTITIES, type Entity, type Stat } from '../features.js';
import { WINDOWS, type WindowName } from '../windows.js';
import type { ArithmeticOp, BinaryNode, CallNode, ComparisonOp, IdentNode, InNode, Node } from './ast.js';
import { FIELD_NAMES, FIELD_TYPES } from './fields.js';
import { clip } from './lexer.js';

/**
 * The types of the language. `money` is an exact E4 integer (a transaction amount, a windowed
 * sum); `number` is a plain number (a count, minutes, a ratio). Any value can be missing.
 */
export type ValueType = 'money' | 'number' | 'string' | 'bool';

/** What the checker needs to know beyond the expression: the rules document's named lists. */
export interface CheckEnv {
  /** List name → its values, trimmed and lower-cased. */
  lists: ReadonlyMap<string, ReadonlySet<string>>;
}

interface Base {
  start: number;
  end: number;
}

/**
 * A type-checked expression, ready to compile. Units are settled here: wherever a number meets
 * money it has been converted (exactly, for a literal) or marked with `to_money`, so the compiler
 * never looks at types to pick an operation.
 */
export type Checked = Base &
  /** A number literal keeps its text, so money conversion is exact (`10000.01`). */
  (
    | { kind: 'literal'; type: 'number'; value: number; text: string }
    | { kind: 'literal'; type: 'money'; value: number }
    | { kind: 'literal'; type: 'string'; value: string }
    | { kind: 'literal'; type: 'bool'; value: boolean }
    | { kind: 'field'; type: ValueType; name: string }
    | { kind: 'feature'; type: 'money' | 'number'; entity: Entity; window: WindowName; stat: Stat }
    | { kind: 'previous'; type: 'number'; entity: Entity; what: 'minutes' }
    | { kind: 'previous'; type: 'string'; entity: Entity; what: 'country' }
    | { kind: 'negate'; type: 'money' | 'number'; arg: Checked }
    | { kind: 'arithmetic'; type: 'money' | 'number'; op: ArithmeticOp; left: Checked; right: Checked }
    /** `arg × num / den` with integers: money times a decimal literal, exact. */
    | { kind: 'scale'; type: 'money'; arg: Checked; num: number; den: number }
    /** A computed number used as money: currency units → E4. */
    | { kind: 'to_money'; type: 'money'; arg: Checked }
    | { kind: 'compare'; type: 'bool'; op: ComparisonOp; operands: ValueType; left: Checked; right: Checked }
    | { kind: 'logic'; type: 'bool'; op: 'and' | 'or'; left: Checked; right: Checked }
    | { kind: 'not'; type: 'bool'; arg: Checked }
    | { kind: 'member'; type: 'bool'; negated: boolean; arg: Checked; strings: ReadonlySet<string> }
    | { kind: 'member'; type: 'bool'; negated: boolean; arg: Checked; numbers: ReadonlySet<number> }
    | { kind: 'call'; type: ValueType; name: 'abs' | 'min' | 'max' | 'coalesce'; args: Checked[] }
    | { kind: 'round'; type: 'money' | 'number'; arg: Checked; digits: number }
    | { kind: 'present'; type: 'bool'; arg: Checked }
  );

/** The windowed-feature functions and the statistic each reads. */
const FEATURES: Readonly<Record<string, { stat: Stat; type: 'money' | 'number' }>> = {
  count: { stat: 'count', type: 'number' },
  sum: { stat: 'sum', type: 'money' },
  avg: { stat: 'avg', type: 'money' },
  distinct_countries: { stat: 'countries', type: 'number' },
  prior_count: { stat: 'prior_count', type: 'number' },
  prior_sum: { stat: 'prior_sum', type: 'money' },
  prior_avg: { stat: 'prior_avg', type: 'money' },
};

/** Every function name, for suggestions and the reference. */
export const FUNCTION_NAMES: readonly string[] = [
  ...Object.keys(FEATURES),
  'minutes_since_prev',
  'prev_country',
  'abs',
  'min',
  'max',
  'round',
  'coalesce',
  'present',
  'list',
];

const ENTITY_HINT: Readonly<Record<string, string>> = {
  account: 'account_id',
  card: 'card_bin, card_last4 or card_token',
  terminal: 'terminal_id',
};

const isNumeric = (t: ValueType): t is 'money' | 'number' => t === 'money' || t === 'number';
const hasNumericType = (c: Checked): c is Checked & { type: 'money' | 'number' } => isNumeric(c.type);
const article = (t: ValueType): string => (t === 'money' ? 'money' : t === 'bool' ? 'true/false' : `a ${t}`);
const OP_VERB: Readonly<Record<ArithmeticOp, string>> = {
  '+': 'add',
  '-': 'subtract',
  '*': 'multiply',
  '/': 'divide',
  '%': 'take the remainder of',
};

class Checker {
  constructor(
    private readonly source: string,
    private readonly env: CheckEnv,
  ) {}

  private error(reason: string, at: number): ExpressionError {
    return new ExpressionError(reason, this.source, at);
  }

  /** The source text of a node, quoted for a message (clipped when long). */
  private text(n: Base): string {
    const t = this.source.slice(n.start, n.end);
    return t.length > 40 ? `${t.slice(0, 37)}...` : t;
  }

  check(node: Node): Checked {
    const span = { start: node.start, end: node.end };
    switch (node.type) {
      case 'number':
        return { ...span, kind: 'literal', type: 'number', value: node.value, text: node.text };
      case 'string':
        return { ...span, kind: 'literal', type: 'string', value: node.value };
      case 'bool':
        return { ...span, kind: 'literal', type: 'bool', value: node.value };
      case 'duration':
        throw this.error(
          `a window like ${node.text} only goes in a windowed function, as in count(card, ${node.text})`,
          node.start,
        );
      case 'ident':
        return this.field(node);
      case 'call':
        return this.call(node);
      case 'unary': {
        const arg = this.check(node.arg);
        if (node.op === 'not') {
          if (arg.type !== 'bool')
            throw this.error(`not needs true/false, but ${this.text(arg)} is ${article(arg.type)}`, arg.start);
          return { ...span, kind: 'not', type: 'bool', arg };
        }
        if (!isNumeric(arg.type))
          throw this.error(`"-" needs a number, but ${this.text(arg)} is ${article(arg.type)}`, arg.start);
        return { ...span, kind: 'negate', type: arg.type, arg };
      }
      case 'binary':
        return this.binary(node);
      case 'in':
        return this.member(node);
    }
  }

  private field(node: IdentNode): Checked {
    const span = { start: node.start, end: node.end };
    const name = node.name;
    const type = Object.hasOwn(FIELD_TYPES, name) ? FIELD_TYPES[name] : undefined;
    if (type !== undefined) return { ...span, kind: 'field', type, name };
    const hint = Object.hasOwn(ENTITY_HINT, name) ? ENTITY_HINT[name] : undefined;
    if (hint !== undefined) {
      throw this.error(
        `${name} is an entity, not a field: use it in a function such as count(${name}, 1h), or use ${hint}`,
        node.start,
      );
    }
    if (['and', 'or', 'not', 'in', 'true', 'false'].includes(name.toLowerCase())) {
      throw this.error(`unknown field ${name} (keywords are lower case: ${name.toLowerCase()})`, node.start);
    }
    throw this.error(`unknown field ${clip(name)}${suggest(name, FIELD_NAMES)}`, node.start);
  }

  private binary(node: BinaryNode): Checked {
    const span = { start: node.start, end: node.end };
    const left = this.check(node.left);
    const right = this.check(node.right);
    switch (node.op) {
      case 'and':
      case 'or':
        for (const side of [left, right]) {
          if (side.type !== 'bool') {
            throw this.error(
              `${node.op} needs true/false on both sides, but ${this.text(side)} is ${article(side.type)}`,
              side.start,
            );
          }
        }
        return { ...span, kind: 'logic', type: 'bool', op: node.op, left, right };
      case '==':
      case '!=':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.compare(node.op, left, right, node.opStart, span);
      default:
        return this.arithmetic(node.op, left, right, node.opStart, span);
    }
  }

  private compare(op: ComparisonOp, left: Checked, right: Checked, at: number, span: Base): Checked {
    if (isNumeric(left.type) && isNumeric(right.type)) {
      const money = left.type === 'money' || right.type === 'money';
      const l = money ? this.asMoney(left) : left;
      const r = money ? this.asMoney(right) : right;
      return { ...span, kind: 'compare', type: 'bool', op, operands: l.type, left: l, right: r };
    }
    if (left.type !== right.type) {
      throw this.error(
        `cannot compare ${article(left.type)} (${this.text(left)}) with ${article(right.type)} (${this.text(right)})`,
        at,
      );
    }
    if (op !== '==' && op !== '!=') {
      throw this.error(`${article(left.type)} can only be compared with == and !=, not ${op}`, at);
    }
    return { ...span, kind: 'compare', type: 'bool', op, operands: left.type, left, right };
  }

  private arithmetic(op: ArithmeticOp, left: Checked, right: Checked, at: number, span: Base): Checked {
    for (const side of [left, right]) {
      if (!isNumeric(side.type)) {
        throw this.error(`"${op}" needs numbers or money, but ${this.text(side)} is ${article(side.type)}`, side.start);
      }
    }
    const lm = left.type === 'money';
    const rm = right.type === 'money';
    const folded = foldLiterals(op, left, right, span);
    if (folded) return folded;
    if (!lm && !rm) return { ...span, kind: 'arithmetic', type: 'number', op, left, right };
    switch (op) {
      case '+':
      case '-':
        return { ...span, kind: 'arithmetic', type: 'money', op, left: this.asMoney(left), right: this.asMoney(right) };
      case '*': {
        if (lm && rm) throw this.error('cannot multiply money by money', at);
        const [money, factor] = lm ? [left, right] : [right, left];
        const ratio = literalRatio(factor);
        if (ratio) return { ...span, kind: 'scale', type: 'money', arg: money, num: ratio.num, den: ratio.den };
        return { ...span, kind: 'arithmetic', type: 'money', op, left: money, right: factor };
      }
      case '/': {
        if (lm && rm) return { ...span, kind: 'arithmetic', type: 'number', op, left, right };
        if (!lm) throw this.error(`cannot ${OP_VERB[op]} a number by money`, at);
        const ratio = literalRatio(right);
        if (ratio) {
          if (ratio.num === 0) throw this.error('division by zero', right.start);
          // m / (num/den) = m × den / num, kept in integers; a negative divisor moves its sign up.
          return {
            ...span,
            kind: 'scale',
            type: 'money',
            arg: left,
            num: Math.sign(ratio.num) * ratio.den,
            den: Math.abs(ratio.num),
          };
        }
        return { ...span, kind: 'arithmetic', type: 'money', op, left, right };
      }
      case '%':
        if (!lm) throw this.error(`cannot ${OP_VERB[op]} a number by money`, at);
        return { ...span, kind: 'arithmetic', type: 'money', op, left, right: this.asMoney(right) };
    }
  }

  /** A numeric node as money: literals exactly (parseDecimal), computed numbers at run time. */
  private asMoney(c: Checked): Checked {
    if (c.type === 'money') return c;
    if (c.kind === 'literal' && c.type === 'number') {
      const text = c.text;
      const p = parseDecimal(text);
      if (!p.ok) throw this.error(`${text} cannot be an amount: ${p.reason.replace(/^"[^"]*" /, '')}`, c.start);
      return { start: c.start, end: c.end, kind: 'literal', type: 'money', value: p.value };
    }
    return { start: c.start, end: c.end, kind: 'to_money', type: 'money', arg: c };
  }

  private member(node: InNode): Checked {
    const span = { start: node.start, end: node.end };
    const arg = this.check(node.left);
    const negated = node.negated;
    const set = node.set;
    if (set.type === 'list') {
      if (arg.type !== 'string') {
        throw this.error(`list values are strings, but ${this.text(arg)} is ${article(arg.type)}`, arg.start);
      }
      const values = this.env.lists.get(set.name);
      if (!values) {
        const known = [...this.env.lists.keys()];
        throw this.error(
          `no list named "${clip(set.name)}"${known.length > 0 ? ` (lists: ${listNames(known)})` : ' (the document has no "lists")'}`,
          set.nameStart,
        );
      }
      return { ...span, kind: 'member', type: 'bool', negated, arg, strings: values };
    }
    const items = set.items.map((i) => this.check(i));
    for (const item of items) {
      if (item.kind !== 'literal')
        throw this.error(`a tuple holds literal values only, not ${this.text(item)}`, item.start);
    }
    if (arg.type === 'string') {
      const strings = new Set<string>();
      for (const item of items) {
        if (item.kind !== 'literal' || item.type !== 'string') {
          throw this.error(
            `${this.text(arg)} is a string, but ${this.text(item)} is ${article(item.type)}`,
            item.start,
          );
        }
        strings.add(item.value.trim().toLowerCase());
      }
      return { ...span, kind: 'member', type: 'bool', negated, arg, strings };
    }
    if (isNumeric(arg.type)) {
      const numbers = new Set<number>();
      for (const item of items) {
        if (item.kind !== 'literal' || !isNumeric(item.type)) {
          throw this.error(
            `${this.text(arg)} is ${article(arg.type)}, but ${this.text(item)} is ${article(item.type)}`,
            item.start,
          );
        }
        const v = arg.type === 'money' ? this.asMoney(item) : item;
        if (v.kind === 'literal' && typeof v.value === 'number') numbers.add(v.value);
      }
      return { ...span, kind: 'member', type: 'bool', negated, arg, numbers };
    }
    throw this.error(
      `in needs a string or a number on its left, but ${this.text(arg)} is ${article(arg.type)}`,
      arg.start,
    );
  }

  private call(node: CallNode): Checked {
    const span = { start: node.start, end: node.end };
    const name = node.name;
    const arity = (min: number, max: number, signature: string): void => {
      const n = node.args.length;
      if (n < min || n > max) {
        const wanted =
          min === max
            ? `${min} argument${min === 1 ? '' : 's'}`
            : max === Infinity
              ? `at least ${min} arguments`
              : `${min} or ${max} arguments`;
        throw this.error(`${name}() takes ${wanted} (${signature}), got ${n}`, node.start);
      }
    };
    const feature = Object.hasOwn(FEATURES, name) ? FEATURES[name] : undefined;
    if (feature) {
      arity(2, 2, 'entity, window');
      const [e, w] = node.args as [Node, Node];
      return {
        ...span,
        kind: 'feature',
        type: feature.type,
        entity: this.entity(e),
        window: this.window(w),
        stat: feature.stat,
      };
    }
    switch (name) {
      case 'minutes_since_prev':
        arity(1, 1, 'entity');
        return {
          ...span,
          kind: 'previous',
          type: 'number',
          entity: this.entity(node.args[0] as Node),
          what: 'minutes',
        };
      case 'prev_country':
        arity(1, 1, 'entity');
        return {
          ...span,
          kind: 'previous',
          type: 'string',
          entity: this.entity(node.args[0] as Node),
          what: 'country',
        };
      case 'abs': {
        arity(1, 1, 'number');
        const arg = this.numericArg(name, node.args[0] as Node);
        return { ...span, kind: 'call', type: arg.type, name, args: [arg] };
      }
      case 'min':
      case 'max': {
        arity(2, Infinity, 'a, b, ...');
        const args = node.args.map((a) => this.numericArg(name, a));
        const money = args.some((a) => a.type === 'money');
        return {
          ...span,
          kind: 'call',
          type: money ? 'money' : 'number',
          name,
          args: money ? args.map((a) => this.asMoney(a)) : args,
        };
      }
      case 'round': {
        arity(1, 2, 'number, decimals');
        const arg = this.numericArg(name, node.args[0] as Node);
        const d = node.args[1];
        const max = arg.type === 'money' ? 4 : 10;
        let digits = 0;
        if (d) {
          if (d.type !== 'number' || !/^\d+$/.test(d.text) || d.value > max) {
            throw this.error(`round() takes a whole number of decimals 0–${max} as its second argument`, d.start);
          }
          digits = d.value;
        }
        return { ...span, kind: 'round', type: arg.type, arg, digits };
      }
      case 'coalesce': {
        arity(2, Infinity, 'a, b, ...');
        const args = node.args.map((a) => this.check(a));
        const first = args[0] as Checked;
        if (args.every((a) => isNumeric(a.type))) {
          const money = args.some((a) => a.type === 'money');
          return {
            ...span,
            kind: 'call',
            type: money ? 'money' : 'number',
            name,
            args: money ? args.map((a) => this.asMoney(a)) : args,
          };
        }
        const odd = args.find((a) => a.type !== first.type);
        if (odd) {
          throw this.error(
            `coalesce() needs arguments of one type, but ${this.text(first)} is ${article(first.type)} and ${this.text(odd)} is ${article(odd.type)}`,
            odd.start,
          );
        }
        return { ...span, kind: 'call', type: first.type, name, args };
      }
      case 'present':
        arity(1, 1, 'value');
        return { ...span, kind: 'present', type: 'bool', arg: this.check(node.args[0] as Node) };
      case 'list':
        throw this.error('list("name") only goes after in, as in merchant in list("blocked_merchants")', node.start);
      default:
        throw this.error(`unknown function ${clip(name)}()${suggest(name, FUNCTION_NAMES)}`, node.start);
    }
  }

  private numericArg(fn: string, node: Node): Checked & { type: 'money' | 'number' } {
    const c = this.check(node);
    if (!hasNumericType(c))
      throw this.error(`${fn}() needs numbers or money, but ${this.text(c)} is ${article(c.type)}`, c.start);
    return c;
  }

  private entity(node: Node): Entity {
    const name = node.type === 'ident' ? node.name : undefined;
    const found = ENTITIES.find((e) => e === name);
    if (found === undefined) {
      throw this.error(`expected an entity (${ENTITIES.join(', ')}) but found ${this.text(node)}`, node.start);
    }
    return found;
  }

  private window(node: Node): WindowName {
    const text = node.type === 'duration' ? node.text : undefined;
    const found = WINDOWS.find((w) => w === text);
    if (found === undefined) {
      throw this.error(`expected a window (${WINDOWS.join(', ')}) but found ${this.text(node)}`, node.start);
    }
    return found;
  }
}

/** A number literal as an exact integer ratio (`0.9` → 9/10), or undefined for anything else. */
function literalRatio(c: Checked): { num: number; den: number } | undefined {
  if (c.kind !== 'literal' || c.type !== 'number') return undefined;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(c.text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const num = Number(`${m[1] ?? ''}${m[2] ?? ''}${frac}`);
  const den = 10 ** frac.length;
  return Number.isSafeInteger(num) && Number.isSafeInteger(den) ? { num, den } : undefined;
}

/**
 * `+ - *` of two number literals, folded into one literal in exact decimal arithmetic, so
 * `amount == 0.1 + 0.2` compares with 0.3 rather than 0.30000000000000004. Undefined when the
 * operands are not both literals or the result would not be exact.
 */
function foldLiterals(op: ArithmeticOp, left: Checked, right: Checked, span: Base): Checked | undefined {
  if (op === '/' || op === '%') return undefined;
  const a = literalRatio(left);
  const b = literalRatio(right);
  if (!a || !b) return undefined;
  let num: number;
  let den: number;
  if (op === '*') {
    num = a.num * b.num;
    den = a.den * b.den;
  } else {
    den = Math.max(a.den, b.den);
    const x = a.num * (den / a.den);
    const y = b.num * (den / b.den);
    num = op === '+' ? x + y : x - y;
  }
  if (!Number.isSafeInteger(num) || !Number.isSafeInteger(den)) return undefined;
  const digits = Math.round(Math.log10(den));
  const sign = num < 0 ? '-' : '';
  const abs = String(Math.abs(num)).padStart(digits + 1, '0');
  const text = digits === 0 ? `${sign}${abs}` : `${sign}${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return { ...span, kind: 'literal', type: 'number', value: Number(text), text };
}

/** ` (did you mean "x"?)` for the closest known name within two edits, or ''. */
function suggest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    // Lengths further apart than the best distance cannot do better (and a huge name costs nothing).
    if (Math.abs(name.length - k.length) >= bestDistance) continue;
    const d = editDistance(name.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : ` (did you mean ${best}?)`;
}

/** The first names of a document's lists, for a message. */
function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 10).map((n) => clip(n));
  return names.length > shown.length ? `${shown.join(', ')}, … (${names.length} lists)` : shown.join(', ');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/**
 * Type-checks a parsed expression against the fields, functions and the document's lists.
 * Throws {@link ExpressionError} pointing at the offending part.
 * @example check(parse('amount > 10000'), 'amount > 10000', { lists: new Map() }).type // 'bool'
 */
export function check(node: Node, source: string, env: CheckEnv): Checked {
  return new Checker(source, env).check(node);
}
