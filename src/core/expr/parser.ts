import { ExpressionError } from '../errors.js';
import type { BinaryOp, ComparisonOp, InNode, ListRef, Node, TupleNode } from './ast.js';
import { clip, type Token, tokenize } from './lexer.js';

/**
 * How deep an expression may nest: the levels of its syntax tree, a bracket counting as one.
 * Checking, compiling and evaluating recurse over the tree, and a few thousand levels overflow the
 * stack; no rule needs more than a few dozen.
 */
export const MAX_EXPRESSION_DEPTH = 100;

/** Binding powers, loosest first. `not` sits between `and` and the comparisons, as in Python and SQL. */
const Power = { Or: 1, And: 2, Not: 3, Compare: 4, Sum: 5, Product: 6, Prefix: 7 } as const;

const COMPARISONS: ReadonlySet<string> = new Set<ComparisonOp>(['==', '!=', '<', '<=', '>', '>=']);
const KEYWORDS: ReadonlySet<string> = new Set(['and', 'or', 'not', 'in', 'true', 'false']);

/** Infix binding power of a token, or 0 when it is no infix operator. */
function infixPower(t: Token): number {
  if (t.kind === 'op') {
    if (COMPARISONS.has(t.text)) return Power.Compare;
    if (t.text === '+' || t.text === '-') return Power.Sum;
    if (t.text === '*' || t.text === '/' || t.text === '%') return Power.Product;
    return 0;
  }
  if (t.kind === 'ident') {
    if (t.text === 'or') return Power.Or;
    if (t.text === 'and') return Power.And;
    if (t.text === 'in' || t.text === 'not') return Power.Compare;
  }
  return 0;
}

/** Describes a token for an error message. */
function shown(t: Token): string {
  if (t.kind === 'eof') return 'the end of the expression';
  if (t.kind === 'string') return JSON.stringify(clip(t.text));
  if (t.kind === 'op') return `"${t.text}"`;
  return clip(t.text);
}

/**
 * A Pratt parser: each loop in {@link Parser.expression} takes infix operators that bind tighter
 * than the caller's power, so precedence is the table above and nothing else.
 */
class Parser {
  private readonly tokens: Token[];
  private i = 0;
  /** Calls of {@link expression} under way: the tree level the current one's result sits at. */
  private level = 0;
  /** Depth of each subtree built that is deeper than a leaf (a leaf is 1). */
  private readonly depths = new Map<object, number>();

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): Node {
    if (this.peek().kind === 'eof') throw this.error('the expression is empty', this.peek());
    const node = this.expression(0);
    const rest = this.peek();
    if (rest.kind !== 'eof') throw this.error(`unexpected ${shown(rest)}`, rest);
    return node;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private isOp(t: Token, text: string): boolean {
    return t.kind === 'op' && t.text === text;
  }

  private isWord(t: Token, word: string): boolean {
    return t.kind === 'ident' && t.text === word;
  }

  private expect(text: string, what: string): Token {
    const t = this.peek();
    if (!this.isOp(t, text)) throw this.error(`expected ${what} but found ${shown(t)}`, t);
    return this.next();
  }

  private error(reason: string, at: Token | number): ExpressionError {
    return new ExpressionError(reason, this.source, typeof at === 'number' ? at : at.start);
  }

  /** Depth of a subtree built by this parser. */
  private depthOf(node: object): number {
    return this.depths.get(node) ?? 1;
  }

  /** Depth of the deepest of `nodes` (0 for none); a loop, as a tuple may hold any number of items. */
  private deepest(nodes: readonly Node[]): number {
    let max = 0;
    for (const n of nodes) max = Math.max(max, this.depthOf(n));
    return max;
  }

  /**
   * Records the depth of a new subtree. Its root sits at the current level or below, so the tree
   * is at least `level - 1 + depth` deep: past the limit, the parse stops at `at`.
   */
  private deep<N extends object>(node: N, depth: number, at: Token): N {
    if (this.level - 1 + depth > MAX_EXPRESSION_DEPTH) throw this.tooDeep(at);
    this.depths.set(node, depth);
    return node;
  }

  private tooDeep(at: Token): ExpressionError {
    return this.error(
      `the expression nests more than ${MAX_EXPRESSION_DEPTH} levels deep (brackets, operators and calls)`,
      at,
    );
  }

  private expression(minPower: number): Node {
    // Each call goes one level down the tree: stop before the recursion can overflow the stack.
    if (this.level >= MAX_EXPRESSION_DEPTH) throw this.tooDeep(this.peek());
    this.level++;
    const node = this.operators(minPower);
    this.level--;
    return node;
  }

  private operators(minPower: number): Node {
    let left = this.prefix();
    let lastCompare: Token | undefined;
    for (;;) {
      const t = this.peek();
      const power = infixPower(t);
      if (power === 0 || power <= minPower) break;
      if (power === Power.Compare) {
        if (lastCompare) {
          throw this.error(`comparisons cannot be chained (after ${shown(lastCompare)}); join them with and`, t);
        }
        lastCompare = t;
        left = this.isWord(t, 'in') || this.isWord(t, 'not') ? this.membership(left) : this.binary(left, power);
        continue;
      }
      lastCompare = undefined;
      left = this.binary(left, power);
    }
    return left;
  }

  private binary(left: Node, power: number): Node {
    const t = this.next();
    const right = this.expression(power);
    return this.deep(
      { type: 'binary', op: t.text as BinaryOp, opStart: t.start, left, right, start: left.start, end: right.end },
      1 + Math.max(this.depthOf(left), this.depthOf(right)),
      t,
    );
  }

  /** `left in …` or `left not in …`. */
  private membership(left: Node): InNode {
    const op = this.next();
    let negated = false;
    if (op.text === 'not') {
      const t = this.peek();
      if (!this.isWord(t, 'in')) throw this.error(`expected in after not but found ${shown(t)}`, t);
      this.next();
      negated = true;
    }
    const set = this.setExpression();
    return this.deep(
      { type: 'in', negated, opStart: op.start, left, set, start: left.start, end: set.end },
      1 + Math.max(this.depthOf(left), this.depthOf(set)),
      op,
    );
  }

  /** What follows `in`: `list("name")` or a tuple of literals. */
  private setExpression(): ListRef | TupleNode {
    const t = this.peek();
    if (this.isWord(t, 'list') && this.isOp(this.peek(1), '(')) {
      this.next();
      this.next();
      const name = this.peek();
      if (name.kind !== 'string') throw this.error(`list() takes a list name in quotes, found ${shown(name)}`, name);
      this.next();
      const close = this.expect(')', '")"');
      return { type: 'list', name: name.text, nameStart: name.start, start: t.start, end: close.end };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const items: Node[] = [];
      for (;;) {
        items.push(this.expression(Power.Compare));
        const sep = this.peek();
        if (this.isOp(sep, ',')) {
          this.next();
          if (this.isOp(this.peek(), ')')) break; // a trailing comma: ("a", "b",)
          continue;
        }
        if (this.isOp(sep, ')')) break;
        throw this.error(`expected "," or ")" but found ${shown(sep)}`, sep);
      }
      const close = this.next();
      return this.deep(
        { type: 'tuple', items, start: t.start, end: close.end },
        1 + this.deepest(items),
        t,
      );
    }
    throw this.error(`expected list("name") or a tuple like ("a", "b") after in, found ${shown(t)}`, t);
  }

  private prefix(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { type: 'number', text: t.text, value: Number(t.text), start: t.start, end: t.end };
      case 'string':
        return { type: 'string', value: t.text, start: t.start, end: t.end };
      case 'duration':
        return { type: 'duration', text: t.text, start: t.start, end: t.end };
      case 'eof':
        throw this.error('the expression ends too early', t);
      case 'op':
        return this.prefixOperator(t);
      case 'ident':
        break;
    }
    if (t.text === 'true' || t.text === 'false') {
      return { type: 'bool', value: t.text === 'true', start: t.start, end: t.end };
    }
    if (t.text === 'not') {
      const arg = this.expression(Power.Not);
      return this.deep({ type: 'unary', op: 'not', arg, start: t.start, end: arg.end }, 1 + this.depthOf(arg), t);
    }
    if (KEYWORDS.has(t.text)) throw this.error(`unexpected ${t.text}`, t);
    if (this.isOp(this.peek(), '(')) return this.call(t);
    return { type: 'ident', name: t.text, start: t.start, end: t.end };
  }

  private prefixOperator(t: Token): Node {
    if (t.text === '(') {
      const inner = this.expression(0);
      const close = this.peek();
      if (this.isOp(close, ',')) {
        throw this.error('unexpected "," (a tuple like ("a", "b") is only allowed after in)', close);
      }
      this.expect(')', '")"');
      // The span grows to the parentheses so errors about the group point at "(".
      return this.deep(
        { ...inner, start: t.start, end: this.tokens[this.i - 1]?.end ?? inner.end },
        1 + this.depthOf(inner),
        t,
      );
    }
    if (t.text === '-') {
      const arg = this.expression(Power.Prefix);
      const depth = 1 + this.depthOf(arg);
      if (arg.type === 'number' && !arg.text.startsWith('-')) {
        return this.deep({ type: 'number', text: `-${arg.text}`, value: -arg.value, start: t.start, end: arg.end }, depth, t);
      }
      return this.deep({ type: 'unary', op: '-', arg, start: t.start, end: arg.end }, depth, t);
    }
    if (t.text === '+') {
      throw this.error('unexpected "+" (write the number without a sign)', t);
    }
    throw this.error(`unexpected ${shown(t)}`, t);
  }

  private call(name: Token): Node {
    this.next(); // (
    const args: Node[] = [];
    if (!this.isOp(this.peek(), ')')) {
      for (;;) {
        args.push(this.expression(0));
        const sep = this.peek();
        if (this.isOp(sep, ',')) {
          this.next();
          continue;
        }
        if (this.isOp(sep, ')')) break;
        throw this.error(`expected "," or ")" but found ${shown(sep)}`, sep);
      }
    }
    const close = this.next();
    return this.deep(
      { type: 'call', name: name.text, nameEnd: name.end, args, start: name.start, end: close.end },
      1 + this.deepest(args),
      name,
    );
  }
}

/**
 * Parses a rule expression into its syntax tree. Throws {@link ExpressionError} with the position
 * of the first problem.
 *
 * Precedence, loosest first: `or`, `and`, `not`, comparisons (`== != < <= > >= in`, `not in`;
 * not chainable), `+ -`, `* / %`, unary `-`.
 * @example parse('amount > 10000 and country != "US"').type // 'binary'
 */
export function parse(source: string): Node {
  return new Parser(source).parseAll();
}
