import { createHash, timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import {
  AdminDisabledError,
  AdminForbiddenError,
  AdminUnauthorizedError,
  type AppError,
  BadRequestError,
  ConflictError,
  InvalidJsonError,
  InvalidLabelError,
  InvalidTransactionError,
  NotFoundError,
  NotImplementedError,
  RulesNotSavedError,
  UnauthorizedError,
} from '../app/errors.js';
import { RulesError } from '../core/errors.js';
import { type PanTokenizer, tokenisePansInText } from '../core/pan.js';
import { type FieldMap, parseLabel, validateObject } from '../core/schema.js';
import type { Alert } from '../core/views.js';
import type { Logger } from '../ports/Logger.js';
import type { AdminCaller } from '../core/rulesChange.js';
import { errorHandling } from './errorHandler.js';
import { routeSchema, SHARED_SCHEMAS, swaggerOptions } from './openapi.js';
import type { ApiService } from '../app/ApiService.js';
import { localService, type LocalServiceDeps } from '../app/localApiService.js';
import { type ConsoleAuth, consoleAuth, type ConsoleOptions, consoleRoutes, requireAdmin } from './consoleRoutes.js';

export type { LabelResult } from '../app/ApiService.js';

/**
 * How an admin request proves who it is.
 * - `adminKey`: the `x-admin-key` header holds this key (compared in constant time). The local runtime.
 * - `caller`: an identity the platform checked before the request reached fraudmini, or undefined
 *   when there is none (API Gateway's IAM authorisation on AWS).
 */
export type AdminAccess = { adminKey: string } | { caller: (req: FastifyRequest) => string | undefined };

export type { AdminCaller } from '../core/rulesChange.js';

/** How the HTTP layer reads requests, whichever runtime serves them. */
export interface ApiOptions {
  tokenizer: PanTokenizer;
  fieldMap?: FieldMap;
  /** When set, every request but `GET /healthz` must carry it in `x-api-key`. */
  apiKey?: string;
  /**
   * Who may call the admin routes (`PUT /rules` and any later one), on top of `apiKey`.
   * Absent: they answer 403, whoever asks, so a deployment that never set an admin credential
   * cannot have its rules changed over HTTP.
   */
  admin?: AdminAccess;
  /** Largest request body in bytes. @default 65536 */
  bodyLimit?: number;
  defaultCurrency?: string;
  logger: Logger;
  /**
   * The analyst console (its page, sign-in, review queue and events), served when set. Its routes
   * take a session cookie instead of the API key; see src/server/consoleRoutes.ts.
   */
  console?: ConsoleOptions;
}

/** What the local HTTP API needs: how it reads requests, and the local runtime's ports. */
export interface ServerDeps extends ApiOptions, LocalServiceDeps {}

const MAX_ALERTS = 1000;
/** Most entries `GET /rules/audit` returns at once. */
const MAX_AUDIT = 1000;
/** Largest rules document `PUT /rules` takes: named lists (BINs, merchants) outgrow the default body limit. */
const RULES_BODY_LIMIT = 1024 * 1024;
/**
 * Longest path parameter, in characters of the URL: an id of 256 characters (the longest the
 * schema accepts), each percent-encoded as up to 3 UTF-8 bytes of 3 characters.
 */
const MAX_PARAM_LENGTH = 256 * 9;

/**
 * The local HTTP API. `POST /transactions` scores synchronously and is idempotent on
 * `transaction_id` (a body without one gets an id derived from its content). Nothing it returns
 * or logs holds a card number: only tokens, BIN/last 4 and masked forms.
 *
 * @example
 * const app = buildServer(deps);
 * await app.listen({ port: 3000, host: '127.0.0.1' });
 */
export function buildServer(deps: ServerDeps): FastifyInstance {
  return buildApi(localService(deps), deps);
}

/**
 * The HTTP routes over any {@link ApiService}: `fraudmini start` serves them on a port, the AWS
 * `api` handler feeds them API Gateway events. `POST /transactions` is idempotent on
 * `transaction_id` (a body without one gets an id derived from its content).
 */
export function buildApi(service: ApiService, deps: ApiOptions): FastifyInstance {
  const bodyLimit = deps.bodyLimit ?? 64 * 1024;
  // Every failure, wherever raised, is answered by this one handler (src/app/errors.ts has the codes).
  const errors = errorHandling(deps.logger, bodyLimit);
  const app = Fastify({
    logger: false,
    bodyLimit,
    // Raised before routing (a URL that is not valid percent-encoding, a parameter over the limit).
    frameworkErrors: errors.send,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  app.setErrorHandler(errors.send);
  app.setNotFoundHandler(errors.notFound);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  const auth = deps.console ? consoleAuth(deps.console) : undefined;
  // First: the API key's hook below and the admin guard ask which session a request has.
  if (auth) app.addHook('onRequest', auth.resolve);
  if (deps.apiKey) {
    const expected = sha256(deps.apiKey);
    app.addHook('onRequest', async (req) => {
      if (req.url === '/healthz') return;
      // Console routes authenticate by session; a session opens some API routes in place of the key.
      if (auth && (auth.isConsoleRoute(req) || (req.headers['x-api-key'] === undefined && auth.admitsWithoutKey(req)))) return;
      if (!sameKey(req.headers['x-api-key'], expected)) throw new UnauthorizedError();
    });
  }

  // The route schemas document the API (GET /openapi.json); requests are validated by the routes
  // themselves (every field with its reason, card numbers masked) and replies are sent as built,
  // so neither compiler does anything: see src/server/openapi.ts.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  app.register(swagger, swaggerOptions());
  const admin = adminGuard(deps, auth);
  adminGuards.set(app, admin);
  // In a plugin registered after swagger's, so that its onRoute hook sees every route.
  app.register(async (api) => {
    routes(api, service, deps, admin);
    if (auth && deps.console) consoleRoutes(api, service, deps.console, auth);
  });
  return app;
}

const BLANK = /^\s*$/;

/**
 * A JSON request body, refused as `invalid_json` when it is empty, is not JSON, or holds a key
 * named `__proto__` or a `constructor` object with a `prototype` key: such keys can change the
 * prototype of objects the body is copied into, so they are refused whole and named, not dropped.
 */
export function parseJsonBody(text: string): unknown {
  // A test, not `trim()`: no copy of every body to find the rare empty one (same whitespace set).
  if (BLANK.test(text)) throw new InvalidJsonError('the body is empty: send a JSON object');
  const check = text.includes('__proto__') || text.includes('prototype');
  try {
    return check ? JSON.parse(text, refusePrototypeKeys) : JSON.parse(text);
  } catch (e) {
    if (e instanceof InvalidJsonError) throw e;
    // The parser's own message may quote the body; say only where it stopped.
    const at = /at position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
    throw new InvalidJsonError(`the body is not valid JSON${at === undefined ? '' : ` (at character ${at})`}`);
  }
}

function refusePrototypeKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && typeof value === 'object' && value !== null && Object.hasOwn(value, 'prototype'))) {
    throw new InvalidJsonError(`the body holds a key "${key === '__proto__' ? '__proto__' : 'constructor.prototype'}", which could change the objects it is read into: refused`);
  }
  return value;
}

/** The admin routes' guard: an `onRequest` hook, and the caller it let through for each request. */
export interface AdminGuard {
  check: (req: FastifyRequest) => Promise<void>;
  callerOf: (req: FastifyRequest) => AdminCaller | undefined;
}

const adminGuards = new WeakMap<FastifyInstance, AdminGuard>();

/**
 * The admin guard of a server {@link buildApi} built, for admin routes registered on it later as
 * plugins: the same credential, console roles and anti-CSRF check as `PUT /rules`.
 *
 * @example
 * const admin = adminGuardOf(server);
 * server.put('/x', { onRequest: admin.check }, async (req) => doAs(admin.callerOf(req)));
 */
export function adminGuardOf(app: FastifyInstance): AdminGuard {
  const guard = adminGuards.get(app);
  if (!guard) throw new Error('not a server built by buildApi');
  return guard;
}

/** Declares the routes of {@link buildApi}, each with its schema from src/server/openapi.ts. */
function routes(app: FastifyInstance, service: ApiService, deps: ApiOptions, admin: AdminGuard): void {
  const started = Date.now();
  const schema = (method: string, url: string) => ({ schema: routeSchema(method, url) });

  app.post('/transactions', schema('POST', '/transactions'), async (req, reply) => {
    const body = req.body;
    const result = validateObject(
      body,
      {
        tokenizer: deps.tokenizer,
        // Keyed (HMAC) so an id derived from a body holding a PAN cannot be brute-forced back to it.
        // A getter: only a body without a transaction_id reads it, so the others skip canonicalising
        // and hashing the body.
        get sourceKey() {
          return `api:${deps.tokenizer(canonical(body)).token}`;
        },
        row: 0,
        defaultCurrency: deps.defaultCurrency,
      },
      deps.fieldMap,
    );
    if (!result.ok) throw new InvalidTransactionError(result.errors);
    const tx = result.transaction;
    const outcome = await service.submit(tx);
    // The body is returned, not sent with `return reply.send(...)`: a returned reply is a thenable
    // that the handler's promise waits on, one more job (and, while the response is not yet
    // written, a stream listener) per request.
    if (outcome.kind === 'accepted') {
      reply.code(outcome.duplicate ? 200 : 202);
      return { transaction_id: tx.transactionId, status: 'accepted', duplicate: outcome.duplicate };
    }
    if (outcome.duplicate) {
      reply.code(200);
      return { transaction_id: tx.transactionId, decision: outcome.decision, duplicate: true };
    }
    reply.code(201);
    return { transaction_id: tx.transactionId, decision: outcome.decision };
  });

  app.post<{ Params: { id: string } }>('/transactions/:id/label', schema('POST', '/transactions/:id/label'), async (req, reply) => {
    const label = service.label;
    if (!label) throw new NotImplementedError('labels are not enabled');
    const body = req.body as { label?: unknown } | null;
    const raw = body && typeof body === 'object' ? body.label : undefined;
    const value =
      typeof raw === 'string' ? parseLabel(raw.trim()) : typeof raw === 'number' || typeof raw === 'boolean' ? parseLabel(String(Number(raw))) : undefined;
    if (value === undefined) throw new InvalidLabelError();
    // Ids are stored masked (a transaction_id is masked on entry like any text): one that reads
    // as a card number is looked up as it was stored, and never echoed whole.
    const id = tokenisePansInText(req.params.id, deps.tokenizer);
    const result = await label(id, value);
    if (result.status === 'not_found') throw new NotFoundError(`no transaction ${id}`);
    const out = {
      transaction_id: id,
      label: result.label === 1 ? 'fraud' : 'legit',
      known_at: new Date(result.knownAt).toISOString(),
    };
    if (result.status === 'conflict') throw new ConflictError(`transaction ${id} is already labelled ${out.label}`, out);
    return reply.code(result.status === 'recorded' ? 201 : 200).send(out);
  });

  app.get<{ Params: { id: string } }>('/transactions/:id', schema('GET', '/transactions/:id'), async (req) => {
    // As stored, and as echoed: masked (see the label route).
    const id = tokenisePansInText(req.params.id, deps.tokenizer);
    const found = await service.getTransaction(id);
    if (!found) throw new NotFoundError(`no transaction ${id}`);
    return found;
  });

  app.get<{ Querystring: { since?: string | string[]; limit?: string | string[] } }>('/alerts', schema('GET', '/alerts'), async (req) => {
    const limit = queryLimit(req.query.limit, MAX_ALERTS);
    const since = req.query.since;
    // Given twice, a parameter arrives as an array: refused like any other value that is not one.
    const sinceError = new BadRequestError('since must be an alert id (from "next") or an ISO 8601 time');
    if (Array.isArray(since)) throw sinceError;
    let alerts: Alert[];
    if (since === undefined || since === '') alerts = await service.listAlerts({ afterId: 0, limit });
    else if (/^\d+$/.test(since)) alerts = await service.listAlerts({ afterId: Number(since), limit });
    else {
      const t = Date.parse(since);
      if (Number.isNaN(t)) throw sinceError;
      alerts = await service.listAlerts({ since: new Date(t).toISOString(), limit });
    }
    const last = alerts[alerts.length - 1];
    return { alerts, next: last ? String(last.id) : (since ?? '0') };
  });

  app.get('/stats', schema('GET', '/stats'), async () => service.stats());

  const editor = service.rules;
  if (editor) {
    app.get('/rules', schema('GET', '/rules'), async () => editor.get());

    app.put('/rules', { ...schema('PUT', '/rules'), bodyLimit: RULES_BODY_LIMIT, onRequest: admin.check }, async (req, reply) => {
      const by = admin.callerOf(req);
      // The guard lets no request through without a caller; this keeps it so if that ever changes.
      if (!by) throw new AdminForbiddenError('this route needs an admin credential');
      let set: { version: string };
      try {
        set = await editor.replace(req.body, by);
      } catch (e) {
        // A RulesError is the document's fault (answered 400 with its problems); anything else is ours.
        if (e instanceof RulesError) throw e;
        throw new RulesNotSavedError({ cause: e });
      }
      return reply.code(200).send({ version: set.version });
    });

    const audit = { ...schema('GET', '/rules/audit'), onRequest: admin.check };
    app.get<{ Querystring: { limit?: string | string[] } }>('/rules/audit', audit, async (req) => {
      const limit = queryLimit(req.query.limit, MAX_AUDIT);
      const changes = await editor.changes(limit);
      return {
        changes: changes.map((c) => ({
          at: c.at,
          credential: c.credential,
          remote: c.remote,
          previous_version: c.previousVersion,
          version: c.version,
          digest: c.digest,
        })),
      };
    });
  }

  app.get('/healthz', schema('GET', '/healthz'), async () => ({
    status: 'ok',
    rules_version: await service.rulesVersion(),
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));

  app.get('/openapi.json', schema('GET', '/openapi.json'), async () => app.swagger());
}

/**
 * The admin routes' `onRequest` hook, and the caller it let through for each request. A request
 * of a console session without `x-admin-key` is judged by its user's role (and its anti-CSRF
 * token); any other by the configured admin credential.
 */
function adminGuard(deps: ApiOptions, auth: ConsoleAuth | undefined): AdminGuard {
  const callers = new WeakMap<FastifyRequest, AdminCaller>();
  const access = deps.admin;
  const refuse = (req: FastifyRequest, error: AppError): never => {
    // The route's pattern, not the raw URL: nothing the client sent ends up in the log line.
    deps.logger.warn(`admin request refused (${error.code}): ${req.method} ${req.routeOptions.url ?? ''} from ${req.ip}`);
    throw error;
  };
  let check: (req: FastifyRequest) => Promise<void>;
  if (access === undefined) {
    check = async (req) =>
      refuse(
        req,
        new AdminDisabledError(
          'rule changes over HTTP are off: start fraudmini with --admin-key (or FRAUDMINI_ADMIN_KEY) and send that key ' +
            'in the x-admin-key header, or edit the rules file, which is reloaded when it changes',
        ),
      );
  } else if ('adminKey' in access) {
    const expected = sha256(access.adminKey);
    const credential = `admin-key sha256:${expected.toString('hex').slice(0, 8)}`;
    check = async (req) => {
      if (!sameKey(req.headers['x-admin-key'], expected)) refuse(req, new AdminUnauthorizedError());
      callers.set(req, { credential, remote: req.ip });
    };
  } else {
    check = async (req) => {
      const caller = access.caller(req);
      if (caller === undefined) refuse(req, new AdminForbiddenError('this route needs an admin identity (IAM-signed request)'));
      else callers.set(req, { credential: caller, remote: req.ip });
    };
  }
  const byCredential = check;
  const withSessions = async (req: FastifyRequest): Promise<void> => {
    const session = req.headers['x-admin-key'] === undefined ? auth?.sessionOf(req) : undefined;
    if (!session) return byCredential(req);
    try {
      requireAdmin(session);
      if (req.method !== 'GET' && req.method !== 'HEAD') auth?.checkCsrf(req, session);
    } catch (e) {
      refuse(req, e as AppError);
    }
    callers.set(req, { credential: `user ${session.user}`, remote: req.ip });
  };
  return { check: auth ? withSessions : check, callerOf: (req) => callers.get(req) };
}

/** A `limit` query parameter: an integer 1–`max`, 100 when absent. */
function queryLimit(raw: string | string[] | undefined, max: number): number {
  const limit = typeof raw === 'string' ? Number(raw) : raw === undefined ? 100 : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new BadRequestError(`limit must be an integer 1–${max}`);
  return limit;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Whether a header holds the key whose SHA-256 is `expected`. Both sides are hashed first, so the
 * comparison takes the same time whatever the given value's length or content.
 */
function sameKey(given: string | string[] | undefined, expected: Buffer): boolean {
  return timingSafeEqual(sha256(typeof given === 'string' ? given : ''), expected);
}

/** A JSON body as a string with key order ignored, to derive an id for a POST without one. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k.toLowerCase())}:${canonical(o[k])}`)
    .join(',')}}`;
}
