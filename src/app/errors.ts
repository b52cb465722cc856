/**
 * The errors a request can end in, each with a stable code and an HTTP status: the use cases and
 * the routes throw them, and one error handler renders every one as `{error, message, errors?}`
 * (see `src/server/errorHandler.ts`). The code is the contract with clients; the message is for
 * a person and may change.
 */
import { FraudminiError, RuleExpressionError, type FieldError, type RulesError, RuleSetError } from '../core/errors.js';

/**
 * Every code a request can fail with: its HTTP status and when it is answered. The API reference
 * (docs/api.md) lists the same table, checked by a test.
 */
export const ERROR_CODES = {
  bad_request: { status: 400, when: 'a query parameter or the URL is malformed' },
  invalid_json: { status: 400, when: 'the body is sent as JSON but is not JSON (or is empty)' },
  invalid_transaction: { status: 400, when: 'the transaction has invalid fields: `errors` lists each with its reason' },
  invalid_label: { status: 400, when: 'the label is not fraud, legit, 1 or 0' },
  invalid_rules: { status: 400, when: 'the rules document is invalid: `errors` lists each problem with its path' },
  unauthorized: { status: 401, when: 'an API key is configured and `x-api-key` is missing or wrong' },
  admin_unauthorized: { status: 401, when: 'an admin route without the right `x-admin-key`' },
  invalid_credentials: { status: 401, when: 'a console sign-in with an unknown user name or a wrong password' },
  session_required: { status: 401, when: 'a console route without a valid session cookie: sign in with `POST /session`' },
  csrf_failed: { status: 403, when: 'a state-changing request of a console session without its `x-csrf-token` header' },
  forbidden: { status: 403, when: 'the signed-in user\'s role does not allow this request' },
  admin_forbidden: { status: 403, when: 'an admin route without an admin identity (on AWS: an IAM-signed request)' },
  admin_disabled: { status: 403, when: 'an admin route while no admin credential is configured' },
  not_found: { status: 404, when: 'no such transaction, no challenger to promote, or no such route' },
  conflict: { status: 409, when: 'the transaction is already labelled otherwise: the body also holds the label in force' },
  payload_too_large: { status: 413, when: 'the body is larger than the limit' },
  too_many_attempts: { status: 429, when: 'too many failed console sign-ins for this user from this address: `retry_after_s` says when to try again' },
  uri_too_long: { status: 414, when: 'a path parameter is longer than any id fraudmini accepts' },
  unsupported_media_type: { status: 415, when: 'the body is of a content type the API does not read' },
  internal: { status: 500, when: 'an unexpected failure; the log has the cause' },
  rules_not_saved: { status: 500, when: 'a valid rules document could not be stored; the log has the cause' },
  not_implemented: { status: 501, when: 'the runtime does not offer this route (labels)' },
} as const satisfies Record<string, { status: number; when: string }>;

/** A stable error code of the API. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * One problem of a request, as listed in `errors`: a transaction or label field (`field`), or a
 * place in a rules document (`path`, and the `column` inside an expression).
 */
export type Problem = { field: string; reason: string } | { path: string; column?: number; reason: string };

/** What an {@link AppError} carries besides its message. */
export interface AppErrorOptions {
  /** Every problem found, for the `errors` array of the response. */
  errors?: readonly Problem[];
  /** Fields added to the response body beside `error` and `message`. */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

/**
 * The base of every coded error. Its message is shown to the client, so it must not hold a
 * card number (the error handler masks any it finds anyway) nor anything internal: an
 * unexpected failure is an {@link InternalError} whose `cause` only the log sees.
 *
 * @example
 * // in a route: answered 404 {"error": "not_found", "message": "no transaction T1"}
 * if (!found) throw new NotFoundError(`no transaction ${id}`);
 */
export class AppError extends FraudminiError {
  readonly code: ErrorCode;
  /** The HTTP status, from {@link ERROR_CODES}. */
  readonly status: number;
  readonly errors: readonly Problem[] | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;
  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errors = options.errors;
    this.details = options.details;
  }
}

/** A query parameter, a path or another part of the request is malformed. */
export class BadRequestError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('bad_request', message, options);
    this.name = 'BadRequestError';
  }
}

/** A body sent as JSON is not JSON. */
export class InvalidJsonError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_json', message, options);
    this.name = 'InvalidJsonError';
  }
}

/** A transaction failed validation: every field in error, each with its reason. */
export class InvalidTransactionError extends AppError {
  constructor(errors: readonly FieldError[]) {
    super('invalid_transaction', 'the transaction has invalid fields', {
      errors: errors.map((e) => ({ field: e.column, reason: e.reason })),
    });
    this.name = 'InvalidTransactionError';
  }
}

/** A label that is none of fraud, legit, 1 or 0. */
export class InvalidLabelError extends AppError {
  constructor() {
    super('invalid_label', 'body must be {"label": "fraud" | "legit"} (or 1 / 0)', {
      errors: [{ field: 'label', reason: 'must be fraud, legit, 1 or 0' }],
    });
    this.name = 'InvalidLabelError';
  }
}

/** A rules document was refused: every problem, with its path and, in an expression, its column. */
export class InvalidRulesError extends AppError {
  constructor(message: string, errors: readonly Problem[], options?: { cause?: unknown }) {
    super('invalid_rules', message, { errors, ...options });
    this.name = 'InvalidRulesError';
  }

  /** The refusal of the core's validation of a rules document (one problem, or a {@link RuleSetError} of several). */
  static from(e: RulesError): InvalidRulesError {
    const problems = e instanceof RuleSetError ? e.errors : [e];
    return new InvalidRulesError(
      e.message,
      problems.map((p) =>
        p instanceof RuleExpressionError ? { path: p.path, column: p.column, reason: p.reason } : { path: p.path, reason: p.reason },
      ),
      { cause: e },
    );
  }
}

/** The API key is configured and the request does not carry it. */
export class UnauthorizedError extends AppError {
  constructor() {
    super('unauthorized', 'missing or wrong x-api-key header');
    this.name = 'UnauthorizedError';
  }
}

/** An admin route without the admin key it needs. */
export class AdminUnauthorizedError extends AppError {
  constructor() {
    super('admin_unauthorized', 'missing or wrong x-admin-key header');
    this.name = 'AdminUnauthorizedError';
  }
}

/** A console sign-in that does not match a user and its password (which one is not said). */
export class InvalidCredentialsError extends AppError {
  constructor() {
    super('invalid_credentials', 'unknown user name or wrong password');
    this.name = 'InvalidCredentialsError';
  }
}

/** A console route without a live session. */
export class SessionRequiredError extends AppError {
  constructor() {
    super('session_required', 'sign in first (POST /session): this route needs a console session');
    this.name = 'SessionRequiredError';
  }
}

/** A state-changing request of a session without the session's anti-CSRF token. */
export class CsrfError extends AppError {
  constructor() {
    super('csrf_failed', 'missing or wrong x-csrf-token header: send the csrf_token that GET /session returns');
    this.name = 'CsrfError';
  }
}

/** The signed-in user's role does not allow the request. */
export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message);
    this.name = 'ForbiddenError';
  }
}

/** Too many failed sign-ins for a user from one address: refused until the window ends. */
export class TooManyAttemptsError extends AppError {
  constructor(retryAfterS: number) {
    super('too_many_attempts', `too many failed sign-ins: try again in ${retryAfterS} s`, { details: { retry_after_s: retryAfterS } });
    this.name = 'TooManyAttemptsError';
  }
}

/** A console user that cannot be added as given (name, role or password). */
export class InvalidUserError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUserError';
  }
}

/** An admin route without an admin identity. */
export class AdminForbiddenError extends AppError {
  constructor(message: string) {
    super('admin_forbidden', message);
    this.name = 'AdminForbiddenError';
  }
}

/** An admin route while no admin credential is configured: refused whoever asks. */
export class AdminDisabledError extends AppError {
  constructor(message: string) {
    super('admin_disabled', message);
    this.name = 'AdminDisabledError';
  }
}

/** No such transaction, or no such route. */
export class NotFoundError extends AppError {
  constructor(message: string) {
    super('not_found', message);
    this.name = 'NotFoundError';
  }
}

/** The request contradicts what is stored (a transaction labelled otherwise); `details` shows what is. */
export class ConflictError extends AppError {
  constructor(message: string, details: Readonly<Record<string, unknown>>) {
    super('conflict', message, { details });
    this.name = 'ConflictError';
  }
}

/** A body over the size limit of its route. */
export class PayloadTooLargeError extends AppError {
  /** The limit, in bytes. */
  readonly limit: number;
  constructor(limit: number, options?: { cause?: unknown }) {
    super('payload_too_large', `request body is larger than ${limit} bytes`, options);
    this.name = 'PayloadTooLargeError';
    this.limit = limit;
  }
}

/** A path parameter longer than any id the API accepts. */
export class UriTooLongError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super('uri_too_long', 'a path parameter is longer than any id fraudmini accepts', options);
    this.name = 'UriTooLongError';
  }
}

/** A body of a content type the API does not read. */
export class UnsupportedMediaTypeError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super('unsupported_media_type', 'send the body as application/json', options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** An unexpected failure: the client gets a fixed message, the log the cause. */
export class InternalError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super('internal', 'internal error', options);
    this.name = 'InternalError';
  }
}

/** A valid rules document could not be stored (the rules in force are unchanged). */
export class RulesNotSavedError extends AppError {
  constructor(options?: { cause?: unknown }) {
    super('rules_not_saved', 'the rules could not be saved', options);
    this.name = 'RulesNotSavedError';
  }
}

/** A route this runtime does not offer. */
export class NotImplementedError extends AppError {
  constructor(message: string) {
    super('not_implemented', message);
    this.name = 'NotImplementedError';
  }
}
