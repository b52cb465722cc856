import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  AppError,
  BadRequestError,
  InternalError,
  InvalidJsonError,
  InvalidRulesError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  UriTooLongError,
} from '../app/errors.js';
import { RulesError } from '../core/errors.js';
import { maskPansInText } from '../core/pan.js';
import type { Logger } from '../ports/Logger.js';

/** The body of every refused request. `details` of a coded error are spread beside these. */
export interface ErrorBody {
  error: string;
  message: string;
  errors?: unknown[];
  [detail: string]: unknown;
}

/**
 * The coded error a failure answers with: an {@link AppError} as it is, a core `RulesError` as
 * `invalid_rules`, Fastify's own request errors (body too large, not JSON, content type, bad
 * URL) as their fraudmini codes, anything else as `internal`.
 */
export function toAppError(error: unknown, bodyLimit: number): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof RulesError) return InvalidRulesError.from(error);
  const fastify = fastifyError(error);
  if (fastify) {
    const message = maskPansInText(fastify.message);
    switch (fastify.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return new PayloadTooLargeError(bodyLimit, { cause: error });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new UnsupportedMediaTypeError({ cause: error });
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return new InvalidJsonError(message, { cause: error });
      case 'FST_ERR_BAD_URL':
        // Fastify's message repeats the path, which cannot be decoded to mask what it holds.
        return new BadRequestError('the URL is not valid percent-encoding', { cause: error });
      case 'FST_ERR_MAX_PARAM_LENGTH':
        return new UriTooLongError({ cause: error });
      case 'FST_ERR_NOT_FOUND':
        return new NotFoundError(message);
    }
    // The URL, the content length, a validation: something the client sent, said in Fastify's words.
    if (fastify.statusCode === 400) return new BadRequestError(message, { cause: error });
  }
  return new InternalError({ cause: error });
}

/** The response body of a coded error, every card number in it masked. */
export function errorBody(e: AppError): ErrorBody {
  const body: ErrorBody = { error: e.code, message: maskPansInText(e.message) };
  if (e.errors) body.errors = e.errors.map(masked);
  if (e.details) Object.assign(body, masked(e.details));
  return body;
}

/**
 * The one place a failed request is answered: Fastify's error handler, not-found handler and
 * `frameworkErrors` (errors raised before routing, such as a bad URL) all end here. A 500 is
 * logged with its cause, masked; the client only gets the code and a fixed message.
 */
export function errorHandling(logger: Logger, defaultBodyLimit: number) {
  const send = (error: unknown, req: FastifyRequest, reply: FastifyReply): void => {
    const e = toAppError(error, req.routeOptions?.bodyLimit ?? defaultBodyLimit);
    // A 500 is a failure of fraudmini's; any other status (501 included) is an answer, not an event.
    if (e.status === 500) {
      // The route's pattern, not the raw URL: nothing the client sent ends up in the log line.
      logger.error(
        `request failed: ${req.method} ${req.routeOptions?.url ?? '(no route)'} answered ${e.status} ${e.code}: ${maskPansInText(causeOf(e))}`,
      );
    }
    void reply.code(e.status).send(errorBody(e));
  };
  return {
    /** For `setErrorHandler` and the `frameworkErrors` option. */
    send,
    /** For `setNotFoundHandler`: the path (never the query string), masked by {@link errorBody}. */
    notFound: (req: FastifyRequest, reply: FastifyReply): void =>
      send(new NotFoundError(`no route ${req.method} ${decodedPath(req.url)}`), req, reply),
  };
}

function fastifyError(e: unknown): FastifyError | undefined {
  if (!(e instanceof Error)) return undefined;
  const { code, statusCode } = e as Partial<FastifyError>;
  return typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' ? (e as FastifyError) : undefined;
}

/** The path of a URL, percent-decoded so that the masking sees a card number written with separators. */
function decodedPath(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function causeOf(e: AppError): string {
  const cause = e.cause ?? e;
  return cause instanceof Error ? cause.message : String(cause);
}

function masked(v: unknown): unknown {
  if (typeof v === 'string') return maskPansInText(v);
  if (Array.isArray(v)) return v.map(masked);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [maskPansInText(k), masked(x)]));
  return v;
}
