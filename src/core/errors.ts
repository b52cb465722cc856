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

/** A file's header cannot be mapped onto the transaction schema: the whole file fails. */
export class HeaderError extends FraudminiError {
  readonly file: string | undefined;
  constructor(message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'HeaderError';
    this.file = file;
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
