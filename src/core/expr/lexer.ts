import { ExpressionError } from '../errors.js';

/** Kinds of token of the rule language. */
export type TokenKind =
  | 'number'
  | 'string'
  | 'ident'
  /** A number glued to a unit, as windows are written: `1m`, `24h`, `30d`. */
  | 'duration'
  | 'op'
  | 'eof';

/** One token, with its place in the source (0-based, `end` exclusive). */
export interface Token {
  kind: TokenKind;
  /** The source text of the token (for strings: the decoded value). */
  text: string;
  start: number;
  end: number;
}

/** Operators and punctuation, longest first so `<=` wins over `<`. */
const OPERATORS = ['==', '!=', '<=', '>=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ','] as const;

/** Tokens people reach for from other languages, with what to write instead. */
const HINTS: ReadonlyMap<string, string> = new Map([
  ['=', 'use == to compare'],
  ['!', 'use not'],
  ['&&', 'use and'],
  ['||', 'use or'],
  ['&', 'use and'],
  ['|', 'use or'],
]);

/**
 * Source text as an error message repeats it: cut to `max` characters, so a message stays short
 * whatever the expression holds.
 * @example clip('x'.repeat(100)) // 37 x's and '...'
 */
export function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Splits an expression into tokens. Numbers are `123` or `123.45` (no exponent, no sign: `-` is
 * an operator); strings are in double or single quotes with `\\`, `\"` and `\'` escapes.
 * Throws {@link ExpressionError} at the first character that starts no token.
 * @example tokenize('amount > 10000').map((t) => t.text) // ['amount', '>', '10000', '']
 */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === 46 && isDigit(source.charCodeAt(i + 1)))) {
      while (isDigit(source.charCodeAt(i))) i++;
      let decimal = false;
      if (source.charCodeAt(i) === 46) {
        decimal = true;
        i++;
        if (!isDigit(source.charCodeAt(i))) {
          throw new ExpressionError(
            `"${clip(source.slice(start, i))}" is not a number (digits must follow the point)`,
            source,
            start,
          );
        }
        while (isDigit(source.charCodeAt(i))) i++;
      }
      if (isIdentStart(source.charCodeAt(i))) {
        while (isIdentPart(source.charCodeAt(i))) i++;
        const text = source.slice(start, i);
        if (decimal || c === 46) throw new ExpressionError(`"${clip(text)}" is not a number or a window`, source, start);
        tokens.push({ kind: 'duration', text, start, end: i });
        continue;
      }
      if (c === 46) throw new ExpressionError('a number must start with a digit (write 0.5)', source, start);
      tokens.push({ kind: 'number', text: source.slice(start, i), start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      while (isIdentPart(source.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: source.slice(start, i), start, end: i });
      continue;
    }
    if (c === 34 || c === 39) {
      i = readString(source, i, tokens);
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op !== undefined) {
      i += op.length;
      tokens.push({ kind: 'op', text: op, start, end: i });
      continue;
    }
    const two = source.slice(i, i + 2);
    const shown = HINTS.has(two) ? two : source.charAt(i);
    const hint = HINTS.get(shown);
    throw new ExpressionError(`unexpected "${shown}"${hint ? ` (${hint})` : ''}`, source, start);
  }
  tokens.push({ kind: 'eof', text: '', start: n, end: n });
  return tokens;
}

/** Reads a quoted string starting at `i`; returns the index after its closing quote. */
function readString(source: string, start: number, tokens: Token[]): number {
  const quote = source.charAt(start);
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= source.length) throw new ExpressionError('unterminated string', source, start);
    const ch = source.charAt(i);
    if (ch === quote) break;
    if (ch === '\\') {
      const next = source.charAt(i + 1);
      if (next !== '\\' && next !== '"' && next !== "'") {
        throw new ExpressionError(`unknown escape "\\${next}" (only \\\\, \\" and \\' are allowed)`, source, i);
      }
      value += next;
      i += 2;
      continue;
    }
    value += ch;
    i++;
  }
  tokens.push({ kind: 'string', text: value, start, end: i + 1 });
  return i + 1;
}
