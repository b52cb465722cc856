/**
 * The analyst console: its static page, its sign-in (`/session`), the review queue (`/queue`) and
 * a stream of new-alert events (`/events`), on the same port as the API. Console routes take a
 * session cookie, never the API key: every change they make is made by a named user. A session
 * also opens the API's read routes and, for an admin, the admin routes (`PUT /rules`); its
 * state-changing requests must carry the session's anti-CSRF token in `x-csrf-token`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfMatches, findSession, type SessionDeps, SignInThrottle, signIn, signOut } from '../app/consoleAuth.js';
import { BadRequestError, CsrfError, ForbiddenError, InvalidLabelError, NotFoundError, NotImplementedError, SessionRequiredError } from '../app/errors.js';
import {
  addAlertToCase,
  alertCaseInfo,
  assignAlert,
  assignCase,
  type CaseDeps,
  caseDetail,
  listCases,
  noteCase,
  openCase,
  setCaseStatus,
} from '../app/cases.js';
import { liveCharts, type LiveCharts, LiveRates } from '../app/liveView.js';
import { decideAlert, listQueue, openAlert } from '../app/reviewQueue.js';
import { backtestDraft, checkDraft, RulesVersions } from '../app/rulesWorkbench.js';
import { compileRuleSet } from '../core/rules.js';
import type { FileRecord } from '../ports/FileLedger.js';
import type { LabelledHistory } from '../ports/LabelledHistory.js';
import type { LiveChartSource } from '../ports/LiveChartSource.js';
import type { RulesHistory } from '../ports/RulesHistory.js';
import type { ApiService } from '../app/ApiService.js';
import { parseLabel } from '../core/schema.js';
import type { Stats } from '../core/records.js';
import type { Alert } from '../core/views.js';
import { CASE_STATUSES, type CaseEvent, type CaseQuery, type CaseRecord, type CaseStatus, type CaseStore } from '../ports/CaseStore.js';
import type { ReviewCursor, ReviewQuery, ReviewStore } from '../ports/ReviewStore.js';
import type { ActiveSession, SessionStore } from '../ports/SessionStore.js';
import type { UserStore } from '../ports/UserStore.js';
import { CONSOLE_PAGE_HEADERS } from './consoleHeaders.js';
import { routeSchema } from './openapi.js';

/** What the console needs beyond the API's service. */
export interface ConsoleOptions {
  users: UserStore;
  sessions: SessionStore;
  reviews: ReviewStore;
  /**
   * What the live view charts (score distribution, precision of labelled alerts over time, files
   * in progress), sent with the `stats` events; absent: the events carry no charts.
   */
  charts?: { source: LiveChartSource; filesInProgress: () => Promise<FileRecord[]> };
  /** The cases analysts group alerts into, and alert assignment; absent: the case routes are not served. */
  cases?: CaseStore;
  /**
   * The folder of the console's static files (`index.html`, `console.js`, `console.css`); absent:
   * `/` and `/console/:file` are not served (on AWS a static site serves them).
   */
  assetsDir?: string;
  /** Add `Secure` to the session cookie: for a console served over TLS (directly or behind a proxy). @default false */
  secureCookies?: boolean;
  /** @default DEFAULT_SESSION_TTL_MS (12 hours) */
  sessionTtlMs?: number;
  /** How often `/events` looks for new alerts, in ms. @default 1000 */
  eventsPollMs?: number;
  /**
   * How `/events` answers. `stream` holds the response open and pushes events as they happen (the
   * local server). `short` answers at once with what changed since the `Last-Event-ID` the
   * browser sends and a `retry:` of `retryMs`, after which its EventSource asks again by itself:
   * for a front that cannot hold a response open (API Gateway and Lambda). @default { mode: 'stream' }
   */
  events?: { mode: 'stream' } | { mode: 'short'; retryMs: number };
  /**
   * The rules workbench's stores: the history of rule sets and the labelled history a draft is
   * backtested on. Absent (or without the API's rules routes): the workbench routes are not served.
   */
  workbench?: {
    history: RulesHistory;
    labelled: LabelledHistory;
    /** Label feedback of the backtest's features, as scoring has it; absent: none. */
    labelDelayMs?: number;
    /** Newest stored transactions a backtest replays at most. @default 200,000 */
    backtestLimit?: number;
  };
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'fraudmini_session';
/** Largest page of the review queue. */
const MAX_QUEUE_PAGE = 200;
/** Largest rules document the workbench takes (named lists outgrow the default body limit). */
const RULES_BODY_LIMIT = 1024 * 1024;
/** Most versions `GET /rules/versions` lists at once. */
const MAX_VERSIONS = 1000;
/** Longest note kept with a decision, in characters. */
const MAX_NOTE = 2000;
/** The console's static files, by the name they are served under, with their content type. */
const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};
/** The console page loads nothing from elsewhere and cannot be framed. */
const PAGE_HEADERS = CONSOLE_PAGE_HEADERS;

/** Route patterns of the console: they take a session and never the API key. */
export const CONSOLE_ROUTES = new Set([
  '/',
  '/console/:file',
  '/session',
  '/queue',
  '/queue/:id',
  '/queue/:id/decision',
  '/events',
  '/rules/versions',
  '/rules/versions/:id',
  '/rules/versions/:id/activate',
  '/rules/check',
  '/rules/backtest',
  '/queue/:id/assign',
  '/cases',
  '/cases/:id',
  '/cases/:id/alerts',
  '/cases/:id/notes',
  '/cases/:id/status',
  '/cases/:id/assign',
]);
/** API routes a session opens in place of the API key (the admin ones still check the role). */
const SESSION_API_ROUTES = new Set(['GET /transactions/:id', 'GET /alerts', 'GET /stats', 'GET /rules', 'PUT /rules', 'GET /rules/audit', 'PUT /shadow/promote', 'GET /openapi.json']);

/** The session each request's cookie names, resolved once per request. */
export interface ConsoleAuth {
  /**
   * `onRequest` hook (callback style: a request without the cookie, as every API call, costs no
   * promise): reads the session cookie. Registered before any hook that asks {@link sessionOf}.
   */
  resolve: (req: FastifyRequest, reply: unknown, next: (error?: Error) => void) => void;
  sessionOf: (req: FastifyRequest) => ActiveSession | undefined;
  /** Whether the route is the console's (session only). */
  isConsoleRoute: (req: FastifyRequest) => boolean;
  /**
   * Whether a request without the API key is let through on its session: an API route a session
   * opens, with the anti-CSRF token when it changes state. Throws {@link CsrfError} for a session
   * request without it.
   */
  admitsWithoutKey: (req: FastifyRequest) => boolean;
  /** Checks the anti-CSRF token of a session's state-changing request; throws {@link CsrfError}. */
  checkCsrf: (req: FastifyRequest, session: ActiveSession) => void;
}

/** Builds the session resolution and the checks the API's hooks use. */
export function consoleAuth(options: ConsoleOptions): ConsoleAuth {
  const deps = sessionDeps(options);
  const sessions = new WeakMap<FastifyRequest, ActiveSession>();
  const checkCsrf = (req: FastifyRequest, session: ActiveSession): void => {
    if (!csrfMatches(session, req.headers['x-csrf-token'])) throw new CsrfError();
  };
  return {
    resolve: (req, _reply, next) => {
      const id = cookie(req.headers.cookie, SESSION_COOKIE);
      if (id === undefined) {
        next();
        return;
      }
      findSession(deps, id).then(
        (session) => {
          if (session) sessions.set(req, session);
          next();
        },
        (e: unknown) => next(e instanceof Error ? e : new Error(String(e))),
      );
    },
    sessionOf: (req) => sessions.get(req),
    isConsoleRoute: (req) => CONSOLE_ROUTES.has(req.routeOptions.url ?? ''),
    admitsWithoutKey: (req) => {
      const session = sessions.get(req);
      if (!session || !SESSION_API_ROUTES.has(`${req.method} ${req.routeOptions.url ?? ''}`)) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') checkCsrf(req, session);
      return true;
    },
    checkCsrf,
  };
}

function sessionDeps(options: ConsoleOptions): SessionDeps {
  return { users: options.users, sessions: options.sessions, ...(options.sessionTtlMs !== undefined ? { ttlMs: options.sessionTtlMs } : {}) };
}

/** Declares the console's routes on `app`. */
export function consoleRoutes(app: FastifyInstance, service: ApiService, options: ConsoleOptions, auth: ConsoleAuth): void {
  const deps: SessionDeps = { ...sessionDeps(options), throttle: new SignInThrottle() };
  const schema = (method: string, url: string) => ({ schema: routeSchema(method, url) });
  const assetsDir = options.assetsDir;
  const assets = new Map(assetsDir === undefined ? [] : Object.keys(ASSETS).map((name) => [name, readFileSync(join(assetsDir, name))]));
  const caseDeps: CaseDeps | undefined = options.cases
    ? {
        cases: options.cases,
        reviews: options.reviews,
        ...(service.label ? { label: service.label } : {}),
        userExists: async (name) => (await options.users.findUser(name)) !== undefined,
      }
    : undefined;

  /** The request's session, or 401; for a state-changing request, also its anti-CSRF token, or 403. */
  const session = (req: FastifyRequest): ActiveSession => {
    const s = auth.sessionOf(req);
    if (!s) throw new SessionRequiredError();
    if (req.method !== 'GET' && req.method !== 'HEAD') auth.checkCsrf(req, s);
    return s;
  };
  const sendAsset = (reply: FastifyReply, name: string) =>
    reply
      .code(200)
      .headers({ ...PAGE_HEADERS, 'content-type': ASSETS[name] ?? 'application/octet-stream' })
      // Sent as a Buffer, so the JSON serializer of the API leaves it as it is.
      .send(assets.get(name));

  if (assetsDir !== undefined) {
    app.get('/', schema('GET', '/'), async (_req, reply) => sendAsset(reply, 'index.html'));

    app.get<{ Params: { file: string } }>('/console/:file', schema('GET', '/console/:file'), async (req, reply) => {
      if (!assets.has(req.params.file)) throw new NotFoundError(`no console file ${req.params.file}`);
      return sendAsset(reply, req.params.file);
    });
  }

  const whoAmI = (s: ActiveSession) => ({
    user: s.user,
    role: s.role,
    csrf_token: s.csrfToken,
    expires_at: new Date(s.expiresAt).toISOString(),
  });

  app.post('/session', schema('POST', '/session'), async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | null;
    const username = body && typeof body === 'object' ? body.username : undefined;
    const password = body && typeof body === 'object' ? body.password : undefined;
    if (typeof username !== 'string' || typeof password !== 'string') {
      throw new BadRequestError('send {"username": "...", "password": "..."}');
    }
    const created = await signIn(deps, username, password, req.ip);
    const maxAge = Math.max(0, Math.floor((created.session.expiresAt - Date.now()) / 1000));
    return reply
      .code(200)
      .header('set-cookie', sessionCookie(created.id, maxAge, options.secureCookies === true))
      .header('cache-control', 'no-store')
      .send(whoAmI(created.session));
  });

  app.get('/session', schema('GET', '/session'), async (req, reply) =>
    reply.header('cache-control', 'no-store').send(whoAmI(session(req))),
  );

  app.delete('/session', schema('DELETE', '/session'), async (req, reply) => {
    session(req);
    const id = cookie(req.headers.cookie, SESSION_COOKIE);
    if (id !== undefined) await signOut(deps, id);
    return reply.code(200).header('set-cookie', sessionCookie('', 0, options.secureCookies === true)).send({ signed_out: true });
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/queue', schema('GET', '/queue'), async (req) => {
    session(req);
    const q = queueQuery(req.query);
    const alerts = await listQueue(options.reviews, q);
    const last = alerts[alerts.length - 1];
    const next = alerts.length === q.limit && last ? (q.order === 'riskiest' ? `${last.score}:${last.id}` : String(last.id)) : null;
    return { alerts, next };
  });

  app.get<{ Params: { id: string } }>('/queue/:id', schema('GET', '/queue/:id'), async (req) => {
    session(req);
    const id = alertId(req.params.id);
    const d = await openAlert(options.reviews, id);
    const info = caseDeps ? await alertCaseInfo(caseDeps, id) : { assignee: null, caseId: null, audit: [] };
    return {
      alert: d.alert,
      transaction: d.stored.transaction,
      decision: d.stored.decision,
      label: d.label ?? null,
      history: d.history,
      related: d.related,
      audit: d.audit.map((e) => ({
        at: e.at,
        user: e.user,
        action: e.action,
        label: e.label,
        result: e.result,
        ...(e.note !== undefined ? { note: e.note } : {}),
      })),
      assignee: info.assignee,
      case_id: info.caseId,
      assignments: info.audit.map(eventView),
    };
  });

  app.post<{ Params: { id: string } }>('/queue/:id/decision', schema('POST', '/queue/:id/decision'), async (req, reply) => {
    const s = session(req);
    const label = service.label;
    if (!label) throw new NotImplementedError('labels are not enabled');
    const body = req.body as { label?: unknown; note?: unknown } | null;
    const raw = body && typeof body === 'object' ? body.label : undefined;
    const value = typeof raw === 'string' ? parseLabel(raw.trim()) : undefined;
    if (value === undefined) throw new InvalidLabelError();
    const note = body && typeof body === 'object' ? body.note : undefined;
    if (note !== undefined && (typeof note !== 'string' || note.length > MAX_NOTE)) {
      throw new BadRequestError(`note must be text of at most ${MAX_NOTE} characters`);
    }
    const result = await decideAlert(
      { reviews: options.reviews, label },
      { alertId: alertId(req.params.id), label: value, user: s.user, ...(note !== undefined ? { note } : {}) },
    );
    return reply.code(result.status === 'recorded' ? 201 : 200).send({
      alert_id: result.alertId,
      transaction_id: result.transactionId,
      label: result.label,
      status: result.status,
      next: result.next,
    });
  });

  if (caseDeps) caseRoutes(app, caseDeps, session);

  const bench = options.workbench;
  const editor = service.rules;
  if (bench && editor) workbenchRoutes(app, { ...bench, editor }, session);

  const charts = options.charts ? ((c) => () => liveCharts(c.source, c.filesInProgress))(options.charts) : undefined;
  const mode = options.events ?? { mode: 'stream' };
  if (mode.mode === 'short') {
    const short = new ShortEvents(
      options.reviews,
      (afterId) => service.listAlerts({ afterId, limit: 500 }),
      () => service.stats(),
      mode.retryMs,
      charts,
    );
    app.get('/events', schema('GET', '/events'), async (req, reply) => {
      session(req);
      const last = req.headers['last-event-id'];
      return reply
        .code(200)
        .headers({ 'content-type': 'text/event-stream', 'cache-control': 'no-store' })
        .send(await short.since(typeof last === 'string' ? last : undefined));
    });
    return;
  }
  const events = new AlertEvents(
    options.reviews,
    (afterId) => service.listAlerts({ afterId, limit: 500 }),
    () => service.stats(),
    options.eventsPollMs ?? 1000,
    charts,
  );
  app.addHook('preClose', async () => events.close());
  app.get('/events', schema('GET', '/events'), async (req, reply) => {
    session(req);
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    await events.add(reply.raw);
  });
}

/**
 * The rules workbench: the history of rule sets, checking and backtesting a draft (any signed-in
 * user), publishing a draft and putting an earlier set back in force (an admin; audited in the
 * rules audit log under the user's name, as `user <name>`).
 */
function workbenchRoutes(
  app: FastifyInstance,
  bench: NonNullable<ConsoleOptions['workbench']> & { editor: NonNullable<ApiService['rules']> },
  session: (req: FastifyRequest) => ActiveSession,
): void {
  const schema = (method: string, url: string) => ({ schema: routeSchema(method, url) });
  const big = (method: string, url: string) => ({ ...schema(method, url), bodyLimit: RULES_BODY_LIMIT });
  const versions = new RulesVersions(bench.editor, bench.history);
  const documentOf = (body: unknown): unknown => {
    const doc = body && typeof body === 'object' ? (body as { document?: unknown }).document : undefined;
    if (doc === undefined) throw new BadRequestError('send {"document": {...a rules document...}}');
    return doc;
  };
  const versionId = (raw: string): number => {
    if (!/^[1-9]\d{0,15}$/.test(raw)) throw new BadRequestError('a rules version id is a positive integer');
    return Number(raw);
  };
  const view = (v: { id: number; version: string; digest: string; savedAt: string }) => ({
    id: v.id,
    version: v.version,
    digest: v.digest,
    saved_at: v.savedAt,
  });

  app.get<{ Querystring: { limit?: string | string[] } }>('/rules/versions', schema('GET', '/rules/versions'), async (req) => {
    session(req);
    const raw = req.query.limit;
    const limit = raw === undefined ? 100 : typeof raw === 'string' ? Number(raw) : Number.NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_VERSIONS) throw new BadRequestError(`limit must be an integer 1–${MAX_VERSIONS}`);
    return { versions: (await versions.list(limit)).map((v) => ({ ...view(v), active: v.active })) };
  });

  app.get<{ Params: { id: string } }>('/rules/versions/:id', schema('GET', '/rules/versions/:id'), async (req) => {
    session(req);
    const v = await versions.get(versionId(req.params.id));
    return { ...view(v), document: v.document };
  });

  app.post('/rules/check', big('POST', '/rules/check'), async (req) => {
    session(req);
    return checkDraft(documentOf(req.body));
  });

  app.post('/rules/backtest', big('POST', '/rules/backtest'), async (req) => {
    session(req);
    // An invalid draft is refused as invalid_rules, with every problem.
    const draft = compileRuleSet(documentOf(req.body));
    const current = compileRuleSet((await bench.editor.get()).document);
    return backtestDraft(bench.labelled, current, draft, {
      ...(bench.labelDelayMs !== undefined ? { labelDelayMs: bench.labelDelayMs } : {}),
      ...(bench.backtestLimit !== undefined ? { limit: bench.backtestLimit } : {}),
    });
  });

  app.post('/rules/versions', big('POST', '/rules/versions'), async (req, reply) => {
    const s = session(req);
    requireAdmin(s);
    const published = await versions.publish(documentOf(req.body), { credential: `user ${s.user}`, remote: req.ip });
    return reply.code(201).send(published);
  });

  app.post<{ Params: { id: string } }>('/rules/versions/:id/activate', schema('POST', '/rules/versions/:id/activate'), async (req) => {
    const s = session(req);
    requireAdmin(s);
    return versions.rollBack(versionId(req.params.id), { credential: `user ${s.user}`, remote: req.ip });
  });
}

/** Most cases `GET /cases` lists at once. */
const MAX_CASE_PAGE = 200;

/** A case as the API shows it. */
function caseView(c: CaseRecord) {
  return {
    id: c.id,
    subject: c.subject,
    status: c.status,
    assignee: c.assignee,
    created_at: c.createdAt,
    created_by: c.createdBy,
    updated_at: c.updatedAt,
    alert_ids: c.alertIds,
  };
}

/** An audit entry of cases and assignments as the API shows it. */
function eventView(e: CaseEvent) {
  return { at: e.at, user: e.user, action: e.action, case_id: e.caseId, alert_id: e.alertId, detail: e.detail };
}

/**
 * Cases and assignment: any signed-in user reads them; every change needs the session's anti-CSRF
 * token, is checked against the user's role by the use cases (src/app/cases.ts) and audited.
 */
function caseRoutes(app: FastifyInstance, deps: CaseDeps, session: (req: FastifyRequest) => ActiveSession): void {
  const schema = (method: string, url: string) => ({ schema: routeSchema(method, url) });
  const actor = (req: FastifyRequest) => {
    const s = session(req);
    return { user: s.user, role: s.role };
  };
  const field = (body: unknown, name: string): unknown => (body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined);
  const idField = (body: unknown, name: string): number => {
    const v = field(body, name);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new BadRequestError(`${name} must be a positive integer`);
    return v;
  };
  /** `{"user": NAME | null}`, or the signed-in user when absent. */
  const assignTo = (body: unknown, self: string): string | null => {
    const v = field(body, 'user');
    if (v === undefined) return self;
    if (v !== null && (typeof v !== 'string' || v === '')) throw new BadRequestError('user must be a user name, or null for nobody');
    return v;
  };

  app.post<{ Params: { id: string } }>('/queue/:id/assign', schema('POST', '/queue/:id/assign'), async (req) => {
    const a = actor(req);
    return assignAlert(deps, a, alertId(req.params.id), assignTo(req.body, a.user));
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/cases', schema('GET', '/cases'), async (req) => {
    session(req);
    const q = caseQuery(req.query);
    const cases = await listCases(deps, q);
    const last = cases[cases.length - 1];
    return { cases: cases.map(caseView), next: cases.length === q.limit && last ? String(last.id) : null };
  });

  app.post('/cases', schema('POST', '/cases'), async (req, reply) => {
    const a = actor(req);
    const by = field(req.body, 'by');
    if (by !== undefined && by !== 'account' && by !== 'card') throw new BadRequestError('by must be account or card');
    const made = await openCase(deps, a, { alertId: idField(req.body, 'alert_id'), ...(by !== undefined ? { by } : {}) });
    return reply.code(201).send(caseView(made));
  });

  app.get<{ Params: { id: string } }>('/cases/:id', schema('GET', '/cases/:id'), async (req) => {
    session(req);
    const d = await caseDetail(deps, caseId(req.params.id));
    return { case: caseView(d.case), alerts: d.alerts, audit: d.audit.map(eventView) };
  });

  app.post<{ Params: { id: string } }>('/cases/:id/alerts', schema('POST', '/cases/:id/alerts'), async (req) => {
    const a = actor(req);
    return caseView(await addAlertToCase(deps, a, caseId(req.params.id), idField(req.body, 'alert_id')));
  });

  app.post<{ Params: { id: string } }>('/cases/:id/notes', schema('POST', '/cases/:id/notes'), async (req, reply) => {
    const a = actor(req);
    const note = field(req.body, 'note');
    if (typeof note !== 'string') throw new BadRequestError('send {"note": "..."}');
    return reply.code(201).send(eventView(await noteCase(deps, a, caseId(req.params.id), note)));
  });

  app.post<{ Params: { id: string } }>('/cases/:id/status', schema('POST', '/cases/:id/status'), async (req) => {
    const a = actor(req);
    const status = field(req.body, 'status');
    if (typeof status !== 'string' || !(CASE_STATUSES as readonly string[]).includes(status)) {
      throw new BadRequestError(`status must be one of ${CASE_STATUSES.join(', ')}`);
    }
    const done = await setCaseStatus(deps, a, caseId(req.params.id), status as CaseStatus);
    return { case: caseView(done.case), labels: done.labels };
  });

  app.post<{ Params: { id: string } }>('/cases/:id/assign', schema('POST', '/cases/:id/assign'), async (req) => {
    const a = actor(req);
    return caseView(await assignCase(deps, a, caseId(req.params.id), assignTo(req.body, a.user)));
  });
}

function caseId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new BadRequestError('a case id is a positive integer');
  return Number(raw);
}

/** The list of cases' query parameters, each checked, into a {@link CaseQuery}. */
function caseQuery(query: Record<string, string | string[] | undefined>): CaseQuery {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (Array.isArray(v)) throw new BadRequestError(`${name} is given more than once`);
    return v === '' ? undefined : v;
  };
  const limitRaw = one('limit');
  const limit = limitRaw === undefined ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_CASE_PAGE) throw new BadRequestError(`limit must be an integer 1–${MAX_CASE_PAGE}`);
  const q: CaseQuery = { limit };
  const status = one('status');
  if (status !== undefined) {
    if (status !== 'active' && !(CASE_STATUSES as readonly string[]).includes(status)) {
      throw new BadRequestError(`status must be active or one of ${CASE_STATUSES.join(', ')}`);
    }
    q.status = status as CaseQuery['status'] & string;
  }
  const account = one('account');
  const card = one('card');
  if (account !== undefined && card !== undefined) throw new BadRequestError('give account or card, not both');
  if (account !== undefined) q.subject = { kind: 'account', value: account };
  if (card !== undefined) q.subject = { kind: 'card', value: card };
  const after = one('after');
  if (after !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(after)) throw new BadRequestError('after must be the "next" of the previous page');
    q.afterId = Number(after);
  }
  return q;
}

/** A role check for routes only an admin may use. */
export function requireAdmin(session: ActiveSession): void {
  if (session.role !== 'admin') throw new ForbiddenError(`${session.user} is an ${session.role}: only an admin may change the rules`);
}

/** The `Set-Cookie` value of the session cookie; an empty id with age 0 removes it. */
function sessionCookie(id: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

/** The value of one cookie of a `Cookie` header. */
function cookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function alertId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw new BadRequestError('an alert id is a positive integer');
  return Number(raw);
}

/** The review queue's query parameters, each checked, into a {@link ReviewQuery}. */
function queueQuery(query: Record<string, string | string[] | undefined>): ReviewQuery {
  const one = (name: string): string | undefined => {
    const v = query[name];
    if (Array.isArray(v)) throw new BadRequestError(`${name} is given more than once`);
    return v === '' ? undefined : v;
  };
  const num = (name: string): number | undefined => {
    const v = one(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 100) throw new BadRequestError(`${name} must be a score 0–100`);
    return n;
  };
  const order = one('order') ?? 'newest';
  if (order !== 'newest' && order !== 'riskiest') throw new BadRequestError('order must be newest or riskiest');
  const outcome = one('outcome');
  if (outcome !== undefined && outcome !== 'review' && outcome !== 'block') throw new BadRequestError('outcome must be review or block');
  const limitRaw = one('limit');
  const limit = limitRaw === undefined ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_QUEUE_PAGE) throw new BadRequestError(`limit must be an integer 1–${MAX_QUEUE_PAGE}`);
  const q: ReviewQuery = { order, limit };
  if (outcome !== undefined) q.outcome = outcome;
  const minScore = num('min_score');
  const maxScore = num('max_score');
  if (minScore !== undefined) q.minScore = minScore;
  if (maxScore !== undefined) q.maxScore = maxScore;
  const rule = one('rule');
  if (rule !== undefined) q.rule = rule;
  const account = one('account');
  if (account !== undefined) q.account = account;
  const after = one('after');
  if (after !== undefined) q.after = cursor(after, order);
  return q;
}

/** A `next` of a previous page: `<id>` (newest first) or `<score>:<id>` (riskiest first). */
function cursor(raw: string, order: 'newest' | 'riskiest'): ReviewCursor {
  const m = order === 'riskiest' ? /^(\d+(?:\.\d+)?):(\d+)$/.exec(raw) : /^()(\d+)$/.exec(raw);
  if (!m) throw new BadRequestError('after must be the "next" of the previous page');
  const c: ReviewCursor = { id: Number(m[2]) };
  if (order === 'riskiest') c.score = Number(m[1]);
  return c;
}

/** One open `/events` stream. */
interface EventClient {
  write(chunk: string): boolean;
  end(): void;
  once(event: 'close', listener: () => void): unknown;
}

/** How often the live figures are sent when no counter moved (their rates decay). */
const STATS_REFRESH_MS = 5000;

/**
 * New alerts and the live figures, pushed to every open `/events` stream: `event: alerts` with
 * the count of new alerts and the newest id, `event: stats` with the counters, the rates of the
 * last minute ({@link LiveFigures}) and the charts ({@link LiveCharts}) when they change, and at
 * least every few seconds. The database
 * is polled (an indexed `max(id)` and the counters, a period) only while a stream is open; polling
 * sees work from files, from the API and from any other process writing the database.
 */
class AlertEvents {
  private readonly clients = new Set<EventClient>();
  private timer: NodeJS.Timeout | undefined;
  private lastId = 0;
  private polling = false;
  private readonly rates = new LiveRates();
  private lastStats = '';
  private lastStatsAt = 0;

  constructor(
    private readonly reviews: ReviewStore,
    private readonly newAlerts: (afterId: number) => Promise<Alert[]>,
    private readonly stats: () => Promise<Stats>,
    private readonly periodMs: number,
    private readonly charts?: () => Promise<LiveCharts>,
  ) {}

  async add(client: EventClient): Promise<void> {
    if (this.clients.size === 0) this.lastId = await this.reviews.latestAlertId();
    this.clients.add(client);
    client.once('close', () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    });
    client.write(`event: ready\ndata: ${JSON.stringify({ latest_id: this.lastId })}\n\n`);
    // The figures at once, so a new page does not wait for a change to show them.
    this.lastStats = '';
    this.timer ??= setInterval(() => void this.poll(), this.periodMs);
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const latest = await this.reviews.latestAlertId();
      if (latest > this.lastId) {
        const alerts = await this.newAlerts(this.lastId);
        this.lastId = alerts[alerts.length - 1]?.id ?? latest;
        this.send(`event: alerts\ndata: ${JSON.stringify({ count: alerts.length, latest_id: this.lastId })}\n\n`);
      }
      const now = Date.now();
      const stats = await this.stats();
      // Labels move the precision chart without moving a counter: the charts are compared too.
      const charts = this.charts ? await this.charts() : undefined;
      const counters = JSON.stringify([stats, charts]);
      // The stats event also keeps proxies from closing an idle stream.
      if (counters !== this.lastStats || now - this.lastStatsAt >= STATS_REFRESH_MS) {
        this.lastStats = counters;
        this.lastStatsAt = now;
        this.send(`event: stats\ndata: ${JSON.stringify({ ...this.rates.sample(stats, now), ...(charts ? { charts } : {}) })}\n\n`);
      }
    } catch {
      // The database is busy or closing: the next period tries again.
    } finally {
      this.polling = false;
    }
  }

  private send(chunk: string): void {
    if (this.clients.size === 0) return;
    for (const c of this.clients) c.write(chunk);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Ends every stream (the server is closing: an open stream would hold it open). */
  close(): void {
    this.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

/**
 * `/events` for a front that cannot hold a response open: each request is answered at once with
 * the events since the client's last one, then `retry:` tells the browser's EventSource when to
 * ask again (it reconnects by itself and sends the last `id:` it saw as `Last-Event-ID`). The id
 * carries what the next answer compares with: `<newest alert id>.<epoch ms>.<transactions>.<alerts>`.
 *
 * - without a `Last-Event-ID` (a new page): `ready` with the newest alert id;
 * - with one: `alerts` when alerts newer than its id were stored (the count and the newest id);
 * - always `stats`: the counters, the rates since the previous answer scaled to a minute, and
 *   the charts when there are any.
 *
 * The id is the client's own state, not a credential: a forged one only skews what that page shows.
 */
class ShortEvents {
  constructor(
    private readonly reviews: ReviewStore,
    private readonly newAlerts: (afterId: number) => Promise<Alert[]>,
    private readonly stats: () => Promise<Stats>,
    private readonly retryMs: number,
    private readonly charts?: () => Promise<LiveCharts>,
  ) {}

  /** The body of one answer, given the client's `Last-Event-ID`. */
  async since(lastEventId: string | undefined): Promise<string> {
    const prev = parseEventId(lastEventId);
    const now = Date.now();
    const [latest, stats, charts] = await Promise.all([this.reviews.latestAlertId(), this.stats(), this.charts?.()]);
    let lastId = latest;
    let out = `retry: ${this.retryMs}\n\n`;
    if (!prev) {
      out += `event: ready\ndata: ${JSON.stringify({ latest_id: latest })}\n\n`;
    } else if (latest > prev.alertId) {
      const alerts = await this.newAlerts(prev.alertId);
      lastId = alerts[alerts.length - 1]?.id ?? latest;
      out += `event: alerts\ndata: ${JSON.stringify({ count: alerts.length, latest_id: lastId })}\n\n`;
    } else {
      lastId = prev.alertId;
    }
    const rates = new LiveRates();
    if (prev && prev.at < now) rates.sample({ ...stats, transactions: prev.transactions, alerts: prev.alerts }, prev.at);
    const figures = rates.sample(stats, now);
    const id = `${lastId}.${now}.${stats.transactions}.${stats.alerts}`;
    out += `id: ${id}\nevent: stats\ndata: ${JSON.stringify({ ...figures, ...(charts ? { charts } : {}) })}\n\n`;
    return out;
  }
}

/** A `Last-Event-ID` of {@link ShortEvents}, or undefined when absent or not one. */
function parseEventId(raw: string | undefined): { alertId: number; at: number; transactions: number; alerts: number } | undefined {
  const m = raw === undefined ? null : /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(raw);
  if (!m) return undefined;
  return { alertId: Number(m[1]), at: Number(m[2]), transactions: Number(m[3]), alerts: Number(m[4]) };
}
