import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RuleExpressionError, RulesError, RuleSetError } from '../core/errors.js';
import { maskPansInText, type PanTokenizer, tokenisePansInText } from '../core/pan.js';
import type { RuleSet, RulesDocument } from '../core/rules.js';
import { type FieldMap, parseLabel, validateObject } from '../core/schema.js';
import type { Model } from '../core/model/model.js';
import type { Decision } from '../core/scoring.js';
import type { Label, Transaction } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import { type FeatureSource, scoreBatch } from '../pipeline/score.js';
import type { Logger } from '../ports/Logger.js';
import type { AdminCaller, RulesChange } from '../ports/RulesAudit.js';
import type { StateStore } from '../ports/StateStore.js';
import type { ApiService, LabelResult } from './service.js';

/** The rule set behind `GET /rules` and `PUT /rules` (the local runtime's `FileRulesSource`). */
export interface RulesEditor {
  /** The rule set in force. */
  current(): RuleSet;
  /** The document of the rule set in force. */
  document(): RulesDocument;
  /**
   * Validates `doc` (throwing `RulesError`, changing nothing, when invalid), persists it, records
   * the change with `by` in the audit log and activates it.
   */
  replace(doc: unknown, by: AdminCaller): RuleSet;
  /** The newest `limit` entries of the audit log of rule changes, newest first. */
  changes(limit: number): RulesChange[];
}

export type { LabelResult } from './service.js';

/**
 * How an admin request proves who it is.
 * - `adminKey`: the `x-admin-key` header holds this key (compared in constant time). The local runtime.
 * - `caller`: an identity the platform checked before the request reached fraudmini, or undefined
 *   when there is none (API Gateway's IAM authorisation on AWS).
 */
export type AdminAccess = { adminKey: string } | { caller: (req: FastifyRequest) => string | undefined };

export type { AdminCaller } from '../ports/RulesAudit.js';

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
}

/** What the local HTTP API needs. */
export interface ServerDeps extends ApiOptions {
  state: StateStore;
  /**
   * Decisions being committed elsewhere and not visible in `state` yet (the local runtime's file
   * batches on the commit worker): a POST of such an id is a duplicate, not a second decision.
   */
  committing?: (id: string) => Promise<Decision> | undefined;
  features: FeatureSource;
  rules: () => RuleSet;
  /** When set, `GET /rules` shows the rule set in force and `PUT /rules` replaces it. */
  rulesEditor?: RulesEditor;
  onAlerts?: (alerts: Alert[]) => void;
  /**
   * A group's commit failed after its transactions were observed by `features`: they are counted
   * there and stored nowhere. The local runtime rebuilds the windows from the database.
   */
  onCommitFailed?: (error: unknown) => void;
  /** Records a known outcome for a stored transaction; absent: the label route answers 501. */
  labelTransaction?: (id: string, label: Label) => LabelResult;
  /** A trained model combined with the rules. */
  model?: Model;
  now?: () => Date;
}

/** The local runtime's {@link ApiService}: synchronous SQLite and in-memory features behind it. */
export function localService(deps: ServerDeps): ApiService {
  const { labelTransaction, rulesEditor: editor } = deps;
  const groups = groupCommit(deps);
  const service: ApiService = {
    submit: async (tx) => {
      const committing = deps.committing?.(tx.transactionId);
      if (committing) return { kind: 'decided', decision: await committing, duplicate: true };
      return { kind: 'decided', ...(await groups.submit(tx)) };
    },
    getTransaction: async (id) => deps.state.getTransaction(id),
    listAlerts: async (q) => deps.state.listAlerts(q),
    stats: async () => deps.state.stats(),
    rulesVersion: async () => deps.rules().version,
  };
  if (labelTransaction) service.label = async (id, label) => labelTransaction(id, label);
  if (editor) {
    service.rules = {
      get: async () => ({ version: editor.current().version, document: editor.document() }),
      replace: async (doc, by) => ({ version: editor.replace(doc, by).version }),
      changes: async (limit) => editor.changes(limit),
    };
  }
  return service;
}

/** A submitted transaction's decision, and whether it was decided before. */
interface Submitted {
  decision: Decision;
  duplicate: boolean;
}

/**
 * Group commit for `POST /transactions`: the transactions that arrive in one turn of the event
 * loop go through the stages of a file batch together (one duplicate lookup, scoring in arrival
 * order, one SQLite transaction), and each request is answered once its group is committed, so an
 * answered decision is as durable as before. Per request, the lookup, the commit and its WAL pages
 * were most of the cost of a POST; under load a group holds as many requests as arrived together.
 * A group whose commit fails fails every request in it, and SQLite stores none of it; the feature
 * windows counted it already, which `onCommitFailed` reports.
 */
function groupCommit(deps: ServerDeps): { submit(tx: Transaction): Promise<Submitted> } {
  let group: { tx: Transaction; resolve: (s: Submitted) => void; reject: (e: unknown) => void }[] = [];
  // Ids submitted and not committed yet: a second POST of one waits for the first one's answer.
  const inFlight = new Map<string, Promise<Submitted>>();
  // On this thread, not the commit worker: a request's own commit is small, and handing it to the
  // worker cost more CPU in messages and thread wake-ups than it saved (docs/performance.md).
  const flush = (): void => {
    const waiting = group;
    group = [];
    let observed = false;
    try {
      const ids = waiting.map((w) => w.tx.transactionId);
      const prior = deps.state.findDecisions(ids);
      // Scored by a file batch since these requests arrived and not stored yet: duplicates too,
      // answered with that decision once stored (a second decision would fail one of the commits).
      const elsewhere = new Map<string, Promise<Decision>>();
      for (const id of ids) {
        const pending = prior.has(id) ? undefined : deps.committing?.(id);
        if (pending) elsewhere.set(id, pending);
      }
      const known = { has: (id: string) => prior.has(id) || elsewhere.has(id) };
      // From here on the features may have counted the group.
      observed = true;
      const scored = scoreBatch(
        waiting.filter((w) => !known.has(w.tx.transactionId)).map((w) => ({ transaction: w.tx })),
        known,
        { features: deps.features, rules: deps.rules(), model: deps.model, now: deps.now },
      );
      const alerts = deps.state.commit(scored.decided);
      const decided = new Map(scored.decided.map((d) => [d.transaction.transactionId, d.decision]));
      for (const w of waiting) {
        const id = w.tx.transactionId;
        const later = elsewhere.get(id);
        if (later) {
          later.then((decision) => w.resolve({ decision, duplicate: true }), w.reject);
          continue;
        }
        const before = prior.get(id);
        const decision = before ?? decided.get(id);
        if (decision) w.resolve({ decision, duplicate: before !== undefined });
        else w.reject(new Error(`transaction ${id} was not decided`));
      }
      if (alerts.length > 0) deps.onAlerts?.(alerts);
    } catch (e) {
      for (const w of waiting) w.reject(e);
      if (observed) deps.onCommitFailed?.(e);
    } finally {
      for (const w of waiting) inFlight.delete(w.tx.transactionId);
    }
  };
  return {
    submit(tx) {
      const pending = inFlight.get(tx.transactionId);
      if (pending) return pending.then((s) => ({ decision: s.decision, duplicate: true }));
      const done = new Promise<Submitted>((resolve, reject) => {
        if (group.length === 0) setImmediate(flush);
        group.push({ tx, resolve, reject });
      });
      inFlight.set(tx.transactionId, done);
      return done;
    },
  };
}

const MAX_ALERTS = 1000;
/** Most entries `GET /rules/audit` returns at once. */
const MAX_AUDIT = 1000;
/** Largest rules document `PUT /rules` takes: named lists (BINs, merchants) outgrow the default body limit. */
const RULES_BODY_LIMIT = 1024 * 1024;

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
  const app = Fastify({ logger: false, bodyLimit: deps.bodyLimit ?? 64 * 1024 });
  const started = Date.now();

  if (deps.apiKey) {
    const expected = sha256(deps.apiKey);
    app.addHook('onRequest', async (req, reply) => {
      if (req.url === '/healthz') return;
      if (!sameKey(req.headers['x-api-key'], expected)) {
        await reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong x-api-key header' });
      }
    });
  }
  const admin = adminGuard(deps);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) deps.logger.error(`request failed: ${maskPansInText(error.message)}`);
    const message =
      status === 413
        ? `request body is larger than ${req.routeOptions.bodyLimit ?? deps.bodyLimit ?? 64 * 1024} bytes`
        : status === 500
          ? 'internal error'
          : maskPansInText(error.message);
    void reply.code(status).send({ error: status === 500 ? 'internal' : (error.code ?? 'bad_request'), message });
  });

  app.post('/transactions', async (req, reply) => {
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
    if (!result.ok) {
      return reply.code(400).send({
        error: 'invalid_transaction',
        message: 'the transaction has invalid fields',
        errors: result.errors.map((e) => ({ field: e.column, reason: e.reason })),
      });
    }
    const tx = result.transaction;
    const outcome = await service.submit(tx);
    if (outcome.kind === 'accepted') {
      return reply.code(outcome.duplicate ? 200 : 202).send({ transaction_id: tx.transactionId, status: 'accepted', duplicate: outcome.duplicate });
    }
    if (outcome.duplicate) {
      return reply.code(200).send({ transaction_id: tx.transactionId, decision: outcome.decision, duplicate: true });
    }
    return reply.code(201).send({ transaction_id: tx.transactionId, decision: outcome.decision });
  });

  app.post<{ Params: { id: string } }>('/transactions/:id/label', async (req, reply) => {
    const label = service.label;
    if (!label) return reply.code(501).send({ error: 'not_implemented', message: 'labels are not enabled' });
    const body = req.body as { label?: unknown } | null;
    const raw = body && typeof body === 'object' ? body.label : undefined;
    const value =
      typeof raw === 'string' ? parseLabel(raw.trim()) : typeof raw === 'number' || typeof raw === 'boolean' ? parseLabel(String(Number(raw))) : undefined;
    if (value === undefined) {
      return reply.code(400).send({
        error: 'invalid_label',
        message: 'body must be {"label": "fraud" | "legit"} (or 1 / 0)',
        errors: [{ field: 'label', reason: 'must be fraud, legit, 1 or 0' }],
      });
    }
    // Ids are stored masked (a transaction_id is masked on entry like any text): one that reads
    // as a card number is looked up as it was stored, and never echoed whole.
    const id = tokenisePansInText(req.params.id, deps.tokenizer);
    const result = await label(id, value);
    if (result.status === 'not_found') {
      return reply.code(404).send({ error: 'not_found', message: `no transaction ${id}` });
    }
    const out = {
      transaction_id: id,
      label: result.label === 1 ? 'fraud' : 'legit',
      known_at: new Date(result.knownAt).toISOString(),
    };
    if (result.status === 'conflict') {
      return reply
        .code(409)
        .send({ error: 'conflict', message: `transaction ${id} is already labelled ${out.label}`, ...out });
    }
    return reply.code(result.status === 'recorded' ? 201 : 200).send(out);
  });

  app.get<{ Params: { id: string } }>('/transactions/:id', async (req, reply) => {
    // As stored, and as echoed: masked (see the label route).
    const id = tokenisePansInText(req.params.id, deps.tokenizer);
    const found = await service.getTransaction(id);
    if (!found) return reply.code(404).send({ error: 'not_found', message: `no transaction ${id}` });
    return found;
  });

  app.get<{ Querystring: { since?: string; limit?: string } }>('/alerts', async (req, reply) => {
    const limitRaw = req.query.limit ?? '100';
    const limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ALERTS) {
      return reply.code(400).send({ error: 'bad_request', message: `limit must be an integer 1–${MAX_ALERTS}` });
    }
    const since = req.query.since;
    let alerts: Alert[];
    if (since === undefined || since === '') alerts = await service.listAlerts({ afterId: 0, limit });
    else if (/^\d+$/.test(since)) alerts = await service.listAlerts({ afterId: Number(since), limit });
    else {
      const t = Date.parse(since);
      if (Number.isNaN(t)) {
        return reply
          .code(400)
          .send({ error: 'bad_request', message: 'since must be an alert id (from "next") or an ISO 8601 time' });
      }
      alerts = await service.listAlerts({ since: new Date(t).toISOString(), limit });
    }
    const last = alerts[alerts.length - 1];
    return { alerts, next: last ? String(last.id) : (since ?? '0') };
  });

  app.get('/stats', async () => service.stats());

  const editor = service.rules;
  if (editor) {
    app.get('/rules', async () => editor.get());

    app.put('/rules', { bodyLimit: RULES_BODY_LIMIT, onRequest: admin.check }, async (req, reply) => {
      const by = admin.callerOf(req);
      // The guard lets no request through without a caller; this keeps it so if that ever changes.
      if (!by) return reply.code(403).send({ error: 'admin_forbidden', message: 'this route needs an admin credential' });
      let set: { version: string };
      try {
        set = await editor.replace(req.body, by);
      } catch (e) {
        if (!(e instanceof RulesError)) {
          deps.logger.error(`rules not saved: ${maskPansInText((e as Error).message)}`);
          return reply.code(500).send({ error: 'rules_not_saved', message: 'the rules could not be saved' });
        }
        const problems = e instanceof RuleSetError ? e.errors : [e];
        return reply.code(400).send({
          error: 'invalid_rules',
          message: maskPansInText(e.message),
          errors: problems.map((p) =>
            p instanceof RuleExpressionError
              ? { path: maskPansInText(p.path), column: p.column, reason: maskPansInText(p.reason) }
              : { path: maskPansInText(p.path), reason: maskPansInText(p.reason) },
          ),
        });
      }
      return reply.code(200).send({ version: set.version });
    });

    app.get<{ Querystring: { limit?: string } }>('/rules/audit', { onRequest: admin.check }, async (req, reply) => {
      const limit = Number(req.query.limit ?? '100');
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT) {
        return reply.code(400).send({ error: 'bad_request', message: `limit must be an integer 1–${MAX_AUDIT}` });
      }
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

  app.get('/healthz', async () => ({
    status: 'ok',
    rules_version: await service.rulesVersion(),
    uptime_s: Math.round((Date.now() - started) / 1000),
  }));

  return app;
}

/** The admin routes' `onRequest` hook, and the caller it let through for each request. */
function adminGuard(deps: ApiOptions): {
  check: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  callerOf: (req: FastifyRequest) => AdminCaller | undefined;
} {
  const callers = new WeakMap<FastifyRequest, AdminCaller>();
  const access = deps.admin;
  const refuse = async (req: FastifyRequest, reply: FastifyReply, status: 401 | 403, error: string, message: string) => {
    // The route's pattern, not the raw URL: nothing the client sent ends up in the log line.
    deps.logger.warn(`admin request refused (${error}): ${req.method} ${req.routeOptions.url ?? ''} from ${req.ip}`);
    await reply.code(status).send({ error, message });
  };
  let check: (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  if (access === undefined) {
    check = (req, reply) =>
      refuse(
        req,
        reply,
        403,
        'admin_disabled',
        'rule changes over HTTP are off: start fraudmini with --admin-key (or FRAUDMINI_ADMIN_KEY) and send that key ' +
          'in the x-admin-key header, or edit the rules file, which is reloaded when it changes',
      );
  } else if ('adminKey' in access) {
    const expected = sha256(access.adminKey);
    const credential = `admin-key sha256:${expected.toString('hex').slice(0, 8)}`;
    check = async (req, reply) => {
      if (!sameKey(req.headers['x-admin-key'], expected)) {
        return refuse(req, reply, 401, 'admin_unauthorized', 'missing or wrong x-admin-key header');
      }
      callers.set(req, { credential, remote: req.ip });
    };
  } else {
    check = async (req, reply) => {
      const caller = access.caller(req);
      if (caller === undefined) {
        return refuse(req, reply, 403, 'admin_forbidden', 'this route needs an admin identity (IAM-signed request)');
      }
      callers.set(req, { credential: caller, remote: req.ip });
    };
  }
  return { check, callerOf: (req) => callers.get(req) };
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
