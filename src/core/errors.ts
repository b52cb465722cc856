/**
 * Errors raised by the pure core. Each carries the context a person needs to act on it
 * (file, row, column) and never a card number.
 */
export class FraudminiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FraudminiError';
  }
}

/** One field of one row that could not be accepted. */
export interface FieldError {
  /** Column as named in the input (the user's header), or `(row)` for whole-row problems. */
  column: string;
  reason: string;
}

/** A transaction (a CSV row or a JSON body) failed validation. */
export class ValidationError extends FraudminiError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.column}: ${e.reason}`).join('; '));
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

/**
 * A file cannot be read as CSV at all, so the whole file fails (into `failed/`, with a receipt
 * giving this message). Bad rows are rejections instead and never fail a file.
 */
export class FileFormatError extends FraudminiError {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'FileFormatError';
    this.file = file;
  }
}

/** A file's header cannot be mapped onto the transaction schema: the whole file fails. */
export class HeaderError extends FileFormatError {
  constructor(message: string, file?: string) {
    super(message, file);
    this.name = 'HeaderError';
  }
}

/**
 * A quoted field is still open when its record reaches the longest record allowed: most likely
 * a closing quote is missing, and where the following records start cannot be known.
 */
export class UnclosedQuoteError extends FileFormatError {
  /** 1-based line where the record with the open quote starts. */
  readonly line: number;
  /** The longest record allowed, in characters. */
  readonly maxRecord: number;
  constructor(line: number, maxRecord: number, file?: string) {
    super(
      `line ${line}: a quoted field is still open ${maxRecord.toLocaleString('en-US')} characters into its record, ` +
        'the longest record allowed: a closing quote is probably missing',
      file,
    );
    this.name = 'UnclosedQuoteError';
    this.line = line;
    this.maxRecord = maxRecord;
  }
}

/** A rules file (or rule set document) is invalid. */
export class RulesError extends FraudminiError {
  /** JSON path of the problem inside the rules document (`rules[2].params.amount`). */
  readonly path: string;
  readonly reason: string;
  /** The rules file, when the document came from one. */
  readonly file: string | undefined;
  constructor(path: string, reason: string, file?: string) {
    super(`${file ? `${file}: ` : ''}rules${path ? ` ${path}` : ''}: ${reason}`);
    this.name = 'RulesError';
    this.path = path;
    this.reason = reason;
    this.file = file;
  }
}

/** A `--map` specification or mapping config is malformed. */
export class MappingError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

/** Where an expression problem is: 1-based line and column, and the line with a caret under it. */
export interface SourcePosition {
  /** 1-based line of the expression (1 unless the expression spans lines). */
  line: number;
  /** 1-based column in that line. */
  column: number;
  /**
   * The offending line indented by two spaces, and a caret under the column. A line longer than
   * {@link SNIPPET_WIDTH} shows only the part around the column, with `…` where it is cut.
   */
  snippet: string;
}

/** The most characters of a line a snippet shows. */
export const SNIPPET_WIDTH = 72;

/** Locates a 0-based offset in an expression's source text. */
export function sourcePosition(source: string, offset: number): SourcePosition {
  const at = Math.max(0, Math.min(offset, source.length));
  const lineStart = source.lastIndexOf('\n', at - 1) + 1;
  const lineEnd = source.indexOf('\n', at);
  const text = source.slice(lineStart, lineEnd === -1 ? source.length : lineEnd);
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (source.charCodeAt(i) === 10) line++;
  const column = at - lineStart + 1;
  if (text.length <= SNIPPET_WIDTH) return { line, column, snippet: `  ${text}\n  ${' '.repeat(column - 1)}^` };
  const from = Math.max(0, Math.min(column - 1 - SNIPPET_WIDTH / 2, text.length - SNIPPET_WIDTH));
  const head = from > 0 ? '…' : '';
  const tail = from + SNIPPET_WIDTH < text.length ? '…' : '';
  const shown = `${head}${text.slice(from, from + SNIPPET_WIDTH)}${tail}`;
  return { line, column, snippet: `  ${shown}\n  ${' '.repeat(head.length + column - 1 - from)}^` };
}

/**
 * An expression of the rule language does not lex, parse or type-check. Carries the position of
 * the problem; the rule compiler turns it into a {@link RuleExpressionError} naming the rule.
 */
export class ExpressionError extends FraudminiError {
  /** 0-based offset of the problem in {@link source}. */
  readonly offset: number;
  readonly reason: string;
  readonly source: string;
  readonly position: SourcePosition;
  constructor(reason: string, source: string, offset: number) {
    const position = sourcePosition(source, offset);
    super(`${reason} at ${where(position)}\n${position.snippet}`);
    this.name = 'ExpressionError';
    this.offset = offset;
    this.reason = reason;
    this.source = source;
    this.position = position;
  }
}

/**
 * A rule's `when` or `detail` is not a valid expression. The message names the rule and the
 * position, with a caret under it:
 *
 * ```
 * rules[3] (velocity_card).when: expected "," or ")" but found 1m at column 12
 *   count(card 1m)) > 3
 *              ^
 * ```
 */
export class RuleExpressionError extends RulesError {
  /** The rule's id, when it has a valid one. */
  readonly rule: string | undefined;
  /** 1-based line and column of the problem in the expression. */
  readonly line: number;
  readonly column: number;
  readonly snippet: string;
  constructor(path: string, rule: string | undefined, cause: ExpressionError, file?: string) {
    super(path, cause.reason, file);
    this.name = 'RuleExpressionError';
    this.rule = rule;
    this.line = cause.position.line;
    this.column = cause.position.column;
    this.snippet = cause.position.snippet;
    const [head, field] = splitField(path);
    this.message =
      `${file ? `${file}: ` : ''}${head}${rule === undefined ? '' : ` (${rule})`}${field}: ` +
      `${cause.reason} at ${where(cause.position)}\n${cause.position.snippet}`;
  }
}

/**
 * Several problems in one rules document (one per rule at most, plus the document's own).
 * `path` and `reason` are the first problem's; `errors` holds them all.
 */
export class RuleSetError extends RulesError {
  readonly errors: readonly RulesError[];
  constructor(errors: readonly RulesError[], file?: string) {
    const first = errors[0] ?? new RulesError('', 'is invalid', file);
    super(first.path, first.reason, file);
    this.name = 'RuleSetError';
    this.errors = errors.length > 0 ? errors : [first];
    this.message = this.errors.map((e) => e.message).join('\n');
  }
}

function where(p: SourcePosition): string {
  return p.line === 1 ? `column ${p.column}` : `line ${p.line}, column ${p.column}`;
}

/** `rules[3].when` → [`rules[3]`, `.when`]. */
function splitField(path: string): [string, string] {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? [path, ''] : [path.slice(0, dot), path.slice(dot)];
}
