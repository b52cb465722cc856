/**
 * Cases and assignment over HTTP, in process, on real SQLite: who may do what (checked by the
 * server whatever the page sends), the anti-CSRF token on every change, the audit trail, and
 * closing a case recording labels through the label path.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteCaseStore } from '../../src/adapters/local/SqliteCaseStore.js';
import { SqliteReviewStore } from '../../src/adapters/local/SqliteReviewStore.js';
import { SqliteSessionStore } from '../../src/adapters/local/SqliteSessionStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteUserStore } from '../../src/adapters/local/SqliteUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { recordLabel } from '../../src/app/recordLabel.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES, CONSOLE_ASSETS } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { buildServer } from '../../src/server/buildServer.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir, TEST_PANS } from '../helpers/fixtures.js';

const PASSWORD = 'a long enough password';

/** The committed OpenAPI document (test/server/openapi.test.ts checks it is what the server serves). */
const OPENAPI = JSON.parse(readFileSync(join(ROOT, 'docs/openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: unknown;
};
const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ $id: 'openapi', components: OPENAPI.components });

/** The problems of an answer against the schema the document gives its route and status (`path` as documented). */
function undocumented(method: string, path: string, res: LightMyRequestResponse): unknown {
  const schema = OPENAPI.paths[path]?.[method.toLowerCase()]?.responses[String(res.statusCode)]?.content?.['application/json']?.schema;
  if (schema === undefined) return `${method} ${path} documents no ${res.statusCode}`;
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as object);
  return validate(res.json()) ? [] : validate.errors;
}

interface Client {
  cookie: string;
  csrf: string;
}

interface CaseView {
  id: number;
  subject: { kind: string; value: string };
  status: string;
  assignee: string | null;
  alert_ids: number[];
}

describe('cases and assignment over HTTP (real SQLite)', () => {
  let cleanup: () => void;
  let state: SqliteStateStore;
  let rules: FileRulesSource;
  let app: FastifyInstance;
  /** Alert ids by transaction id. */
  let alerts: Record<string, number>;

  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    const rulesPath = join(dir, 'rules.json');
    copyFileSync(BUNDLED_RULES, rulesPath);
    state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    rules = new FileRulesSource(rulesPath, silentLogger, { audit: state });
    const users = new SqliteUserStore({ db: state.db });
    for (const [name, role] of [['ana', 'analyst'], ['bo', 'analyst'], ['root', 'admin']]) {
      await addUser({ users }, { name: name as string, role: role as string, password: PASSWORD });
    }
    app = buildServer({
      decisions: state,
      labels: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      rulesStore: rules,
      tokenizer: createPanTokenizer('cases-test-key-0123456789'),
      logger: silentLogger,
      labelTransaction: (id, label) =>
        recordLabel(id, label, {
          findTransaction: async (tid) => state.getTransactionRecord(tid),
          putLabel: (tid, l, knownAt) => state.putLabel(tid, l, knownAt),
          feedBack: async () => {},
          clock: { latest: async () => 0, advance: async () => {} },
          labelDelayMs: 0,
        }),
      console: {
        users,
        sessions: new SqliteSessionStore({ db: state.db }),
        reviews: new SqliteReviewStore({ db: state.db }),
        cases: new SqliteCaseStore({ db: state.db }),
        assetsDir: CONSOLE_ASSETS,
      },
    });
    // A1: two alerts on one card; A2: one alert; A3: none (allowed). Over 10,000 alerts under the bundled rules.
    const txs = [
      { transaction_id: 'T1', timestamp: '2026-01-01T10:00:00Z', account_id: 'A1', amount: '12500.00', card_number: TEST_PANS[0] },
      { transaction_id: 'T2', timestamp: '2026-01-01T11:00:00Z', account_id: 'A2', amount: '15000.00' },
      { transaction_id: 'T3', timestamp: '2026-01-01T12:00:00Z', account_id: 'A3', amount: '20.50' },
      { transaction_id: 'T4', timestamp: '2026-01-01T13:00:00Z', account_id: 'A1', amount: '11000.00', card_number: TEST_PANS[0] },
    ];
    for (const tx of txs) expect((await app.inject({ method: 'POST', url: '/transactions', payload: tx })).statusCode).toBe(201);
    const listed = (await app.inject({ method: 'GET', url: '/alerts' })).json() as { alerts: { id: number; transaction_id: string }[] };
    alerts = Object.fromEntries(listed.alerts.map((a) => [a.transaction_id, a.id]));
  });

  afterEach(async () => {
    await app?.close();
    rules.close();
    state.close();
    cleanup();
  });

  const signIn = async (username: string): Promise<Client> => {
    const res = await app.inject({ method: 'POST', url: '/session', payload: { username, password: PASSWORD } });
    expect(res.statusCode).toBe(200);
    return { cookie: String(res.headers['set-cookie']).split(';')[0] ?? '', csrf: (res.json() as { csrf_token: string }).csrf_token };
  };
  const get = (url: string, c?: Client) => app.inject({ method: 'GET', url, headers: c ? { cookie: c.cookie } : {} });
  /** `csrf` null: sent without the header. */
  const post = (url: string, c: Client, body: unknown = {}, csrf: string | null = c.csrf) =>
    app.inject({ method: 'POST', url, payload: body as object, headers: { cookie: c.cookie, ...(csrf !== null ? { 'x-csrf-token': csrf } : {}) } });
  const audit = () => state.db.prepare('SELECT user_name, action, case_id, alert_id, detail FROM case_audit ORDER BY id').all();

  it('assigns an alert to the analyst who asks, to anyone only for an admin, and audits each assignment', async () => {
    // Prepare
    const ana = await signIn('ana');
    const bo = await signIn('bo');
    const root = await signIn('root');
    const t1 = alerts.T1 ?? 0;

    // Act
    const mine = await post(`/queue/${t1}/assign`, ana);
    const toOther = await post(`/queue/${t1}/assign`, ana, { user: 'bo' });
    const takeOver = await post(`/queue/${t1}/assign`, bo);
    const byAdmin = await post(`/queue/${t1}/assign`, root, { user: 'bo' });
    const noSuchUser = await post(`/queue/${t1}/assign`, root, { user: 'nobody' });
    const noCsrf = await post(`/queue/${t1}/assign`, ana, {}, null);
    const noAlert = await post('/queue/999/assign', ana);

    // Assess
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toEqual({ alert_id: t1, assignee: 'ana' });
    expect(toOther.statusCode).toBe(403);
    expect(toOther.json()).toMatchObject({ error: 'forbidden' });
    expect(takeOver.statusCode).toBe(403);
    expect(byAdmin.json()).toEqual({ alert_id: t1, assignee: 'bo' });
    expect(noSuchUser.statusCode).toBe(400);
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toMatchObject({ error: 'csrf_failed' });
    expect(noAlert.statusCode).toBe(404);
    const opened = (await get(`/queue/${t1}`, ana)).json() as { assignee: string; case_id: number | null; assignments: { user: string; detail: string }[] };
    expect(opened.assignee).toBe('bo');
    expect(opened.case_id).toBeNull();
    expect(opened.assignments.map((e) => [e.user, e.detail])).toEqual([
      ['ana', 'assigned to ana'],
      ['root', 'assigned to bo'],
    ]);
    expect(audit()).toHaveLength(2);
  });

  it('opens a case from an alert, takes in the alerts of its account only, and keeps an alert in one case', async () => {
    // Prepare
    const ana = await signIn('ana');

    // Act
    const opened = await post('/cases', ana, { alert_id: alerts.T1 });
    const c = opened.json() as CaseView;
    const added = await post(`/cases/${c.id}/alerts`, ana, { alert_id: alerts.T4 });
    const otherAccount = await post(`/cases/${c.id}/alerts`, ana, { alert_id: alerts.T2 });
    const again = await post('/cases', ana, { alert_id: alerts.T4 });
    const byCard = await post('/cases', ana, { alert_id: alerts.T2, by: 'card' });
    const noCsrf = await post('/cases', ana, { alert_id: alerts.T2 }, null);
    const unsigned = await app.inject({ method: 'GET', url: '/cases' });

    // Assess
    expect(opened.statusCode).toBe(201);
    expect(c).toMatchObject({ subject: { kind: 'account', value: 'A1' }, status: 'open', assignee: 'ana', alert_ids: [alerts.T1] });
    expect(added.statusCode).toBe(200);
    expect((added.json() as CaseView).alert_ids).toEqual([alerts.T1, alerts.T4]);
    expect(otherAccount.statusCode).toBe(400);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'conflict', case_id: c.id });
    expect(byCard.statusCode).toBe(400);
    expect(noCsrf.statusCode).toBe(403);
    expect(unsigned.statusCode).toBe(401);
    const listed = (await get('/cases?status=active', ana)).json() as { cases: CaseView[]; next: string | null };
    expect(listed.cases.map((x) => x.id)).toEqual([c.id]);
    expect((await get('/cases?account=A2', ana)).json()).toEqual({ cases: [], next: null });
    expect((await get(`/queue/${alerts.T4}`, ana)).json()).toMatchObject({ case_id: c.id });
    const detail = (await get(`/cases/${c.id}`, ana)).json() as { alerts: { transaction_id: string; label: null }[]; audit: { action: string }[] };
    expect(detail.alerts.map((a) => [a.transaction_id, a.label])).toEqual([
      ['T1', null],
      ['T4', null],
    ]);
    expect(detail.audit.map((e) => e.action)).toEqual(['created', 'alert_added']);
    expect(JSON.stringify(detail)).not.toContain(TEST_PANS[0]);
  });

  it('lets only the assignee or an admin change a case\'s status; closing as fraud labels every alert\'s transaction, audited', async () => {
    // Prepare
    const ana = await signIn('ana');
    const bo = await signIn('bo');
    const c = (await post('/cases', ana, { alert_id: alerts.T1 })).json() as CaseView;
    await post(`/cases/${c.id}/alerts`, ana, { alert_id: alerts.T4 });

    // Act
    const note = await post(`/cases/${c.id}/notes`, bo, { note: 'same card, two big buys' });
    const notAssignee = await post(`/cases/${c.id}/status`, bo, { status: 'closed_fraud' });
    const takeOver = await post(`/cases/${c.id}/assign`, bo);
    const working = await post(`/cases/${c.id}/status`, ana, { status: 'investigating' });
    const closed = await post(`/cases/${c.id}/status`, ana, { status: 'closed_fraud' });
    const reopen = await post(`/cases/${c.id}/status`, ana, { status: 'open' });
    const bad = await post(`/cases/${c.id}/status`, ana, { status: 'maybe' });

    // Assess
    expect(note.statusCode).toBe(201);
    expect(notAssignee.statusCode).toBe(403);
    expect(takeOver.statusCode).toBe(403);
    expect(working.statusCode).toBe(200);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toEqual({
      case: expect.objectContaining({ status: 'closed_fraud' }),
      labels: [
        { alert_id: alerts.T1, transaction_id: 'T1', status: 'recorded' },
        { alert_id: alerts.T4, transaction_id: 'T4', status: 'recorded' },
      ],
    });
    expect(reopen.statusCode).toBe(409);
    expect(bad.statusCode).toBe(400);
    // The labels, through the label path: the machine route sees them and refuses another
    expect((await app.inject({ method: 'POST', url: '/transactions/T1/label', payload: { label: 'legit' } })).statusCode).toBe(409);
    expect(((await get('/transactions/T4')).json() as { transaction: { label?: number } }).transaction.label).toBe(1);
    // Off the review queue, which holds only A2's alert now
    const queue = (await get('/queue', ana)).json() as { alerts: { transaction_id: string }[] };
    expect(queue.alerts.map((a) => a.transaction_id)).toEqual(['T2']);
    expect(audit()).toEqual([
      { user_name: 'ana', action: 'created', case_id: c.id, alert_id: alerts.T1, detail: `opened for account A1 with alert ${alerts.T1}, assigned to ana` },
      { user_name: 'ana', action: 'alert_added', case_id: c.id, alert_id: alerts.T4, detail: `alert ${alerts.T4} added` },
      { user_name: 'bo', action: 'note', case_id: c.id, alert_id: null, detail: 'same card, two big buys' },
      { user_name: 'ana', action: 'status', case_id: c.id, alert_id: null, detail: 'open → investigating' },
      { user_name: 'ana', action: 'label', case_id: c.id, alert_id: alerts.T1, detail: 'fraud recorded for transaction T1' },
      { user_name: 'ana', action: 'label', case_id: c.id, alert_id: alerts.T4, detail: 'fraud recorded for transaction T4' },
      { user_name: 'ana', action: 'status', case_id: c.id, alert_id: null, detail: 'investigating → closed_fraud' },
    ]);
  });

  it('lets an admin close a case assigned to someone else, keeping a transaction\'s earlier label as a conflict', async () => {
    // Prepare: T1 labelled legit before the case closes as fraud
    const ana = await signIn('ana');
    const root = await signIn('root');
    const c = (await post('/cases', ana, { alert_id: alerts.T1 })).json() as CaseView;
    expect((await app.inject({ method: 'POST', url: '/transactions/T1/label', payload: { label: 'legit' } })).statusCode).toBe(201);

    // Act
    const closed = await post(`/cases/${c.id}/status`, root, { status: 'closed_fraud' });

    // Assess
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ case: { status: 'closed_fraud', assignee: 'ana' }, labels: [{ transaction_id: 'T1', status: 'conflict' }] });
    const detail = (await get(`/cases/${c.id}`, root)).json() as { alerts: { label: string }[]; audit: { user: string; detail: string }[] };
    expect(detail.alerts[0]?.label).toBe('legit');
    expect(detail.audit.map((e) => e.detail)).toContain('fraud not recorded for transaction T1: it is labelled legit');
  });

  it('answers every case and assignment route in the shape the OpenAPI document gives it', async () => {
    // Prepare
    const ana = await signIn('ana');
    const bo = await signIn('bo');

    // Act: each route, with its success and its refusals
    const answers: [string, string, LightMyRequestResponse][] = [];
    const record = async (method: string, path: string, res: Promise<LightMyRequestResponse>) => {
      answers.push([method, path, await res]);
      return (await res).json() as Record<string, unknown>;
    };
    await record('POST', '/queue/{id}/assign', post(`/queue/${alerts.T1}/assign`, ana));
    await record('POST', '/queue/{id}/assign', post(`/queue/${alerts.T1}/assign`, bo));
    const c = await record('POST', '/cases', post('/cases', ana, { alert_id: alerts.T1 }));
    await record('POST', '/cases', post('/cases', ana, { alert_id: alerts.T1 }));
    await record('POST', '/cases', post('/cases', ana, { alert_id: 'one' }));
    await record('POST', '/cases/{id}/alerts', post(`/cases/${c.id}/alerts`, ana, { alert_id: alerts.T4 }));
    await record('POST', '/cases/{id}/notes', post(`/cases/${c.id}/notes`, ana, { note: 'checked' }));
    await record('POST', '/cases/{id}/assign', post(`/cases/${c.id}/assign`, bo));
    await record('POST', '/cases/{id}/assign', post(`/cases/${c.id}/assign`, ana, { user: null }));
    await record('POST', '/cases/{id}/status', post(`/cases/${c.id}/status`, ana, { status: 'closed_legit' }));
    await record('POST', '/cases/{id}/assign', post(`/cases/${c.id}/assign`, ana));
    await record('POST', '/cases/{id}/status', post(`/cases/${c.id}/status`, ana, { status: 'closed_legit' }));
    await record('POST', '/cases/{id}/status', post(`/cases/${c.id}/status`, ana, { status: 'closed_legit' }));
    await record('GET', '/cases', get('/cases', ana));
    await record('GET', '/cases', get('/cases?status=later', ana));
    await record('GET', '/cases/{id}', get(`/cases/${c.id}`, ana));
    await record('GET', '/cases/{id}', get('/cases/999', ana));
    await record('GET', '/queue/{id}', get(`/queue/${alerts.T1}`, ana));

    // Assess
    expect(answers.map(([m, p, r]) => `${m} ${p} ${r.statusCode}`)).toEqual([
      'POST /queue/{id}/assign 200',
      'POST /queue/{id}/assign 403',
      'POST /cases 201',
      'POST /cases 409',
      'POST /cases 400',
      'POST /cases/{id}/alerts 200',
      'POST /cases/{id}/notes 201',
      'POST /cases/{id}/assign 403',
      'POST /cases/{id}/assign 200',
      'POST /cases/{id}/status 403',
      'POST /cases/{id}/assign 200',
      'POST /cases/{id}/status 200',
      'POST /cases/{id}/status 409',
      'GET /cases 200',
      'GET /cases 400',
      'GET /cases/{id} 200',
      'GET /cases/{id} 404',
      'GET /queue/{id} 200',
    ]);
    for (const [method, path, res] of answers) expect(undocumented(method, path, res), `${method} ${path} ${res.statusCode}: ${res.body}`).toEqual([]);
  });
});
