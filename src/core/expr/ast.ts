/**
 * The syntax tree of a rule expression, as the parser builds it. Every node keeps `start` and
 * `end` (0-based offsets into the source, `end` exclusive) so later errors can point at it.
 */
export type Node =
  NumberNode | StringNode | BoolNode | IdentNode | DurationNode | CallNode | UnaryNode | BinaryNode | InNode;

interface Span {
  start: number;
  end: number;
}

/** A number literal, kept as written so money can be converted exactly. */
export interface NumberNode extends Span {
  type: 'number';
  /** As written, with a leading `-` when negated (`-5`). */
  text: string;
  value: number;
}

export interface StringNode extends Span {
  type: 'string';
  value: string;
}

export interface BoolNode extends Span {
  type: 'bool';
  value: boolean;
}

/** A transaction field, or an entity name when it is a function argument. */
export interface IdentNode extends Span {
  type: 'ident';
  name: string;
}

/** A window written as a duration: `1m`, `30d`. */
export interface DurationNode extends Span {
  type: 'duration';
  text: string;
}

export interface CallNode extends Span {
  type: 'call';
  name: string;
  /** Where the function name is (for "unknown function" errors). */
  nameEnd: number;
  args: Node[];
}

export type UnaryOp = '-' | 'not';

export interface UnaryNode extends Span {
  type: 'unary';
  op: UnaryOp;
  arg: Node;
}

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';
export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;

export interface BinaryNode extends Span {
  type: 'binary';
  op: BinaryOp;
  /** Where the operator is. */
  opStart: number;
  left: Node;
  right: Node;
}

/** `x in list("name")`, `x in ("a", "b")`, and their `not in` forms. */
export interface InNode extends Span {
  type: 'in';
  negated: boolean;
  opStart: number;
  left: Node;
  set: ListRef | TupleNode;
}

/** `list("name")`: a named list of the rules document. */
export interface ListRef extends Span {
  type: 'list';
  name: string;
  /** Where the name's string literal is. */
  nameStart: number;
}

/** `("a", "b")`: literal values after `in`. */
export interface TupleNode extends Span {
  type: 'tuple';
  items: Node[];
}
