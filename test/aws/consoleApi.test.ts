/**
 * The analyst console's routes through the real `api` handler on the emulators, as API Gateway
 * delivers them behind the console's CloudFront front: users, sessions, the review queue,
 * decisions and cases in DynamoDB (dynalite), role and CSRF checks, `/events` answered at
 * once with a `retry:` and resumed from `Last-Event-ID`, and the rules workbench (check, backtest,
 * publish, roll back).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCaseStore } from '../../src/adapters/aws/DynamoCaseStore.js';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { DynamoRulesStore } from '../../src/adapters/aws/DynamoRulesStore.js';
import { DynamoUserStore } from '../../src/adapters/aws/DynamoUserStore.js';
import { addUser } from '../../src/app/consoleAuth.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { EVENTS_RETRY_MS } from '../../src/handlers/consoleOnAws.js';
import { useClients } from '../../src/handlers/runtime.js';
import { TEST_PAN } from '../helpers/alerts.js';
import { emulatorClients } from './clients.js';
import { applyEnv, createStack, lambdaContext, type Stack } from './harness.js';

/** An API Gateway proxy event of a browser's request. */
function api(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string>; iamCaller?: string } = {},
): Promise<APIGatewayProxyResult> {
  const event = {
    httpMethod: method,
    path,
    resource: path,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: options.query ?? null,
    multiValueQueryStringParameters: options.query ? Object.fromEntries(Object.entries(options.query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: { identity: { sourceIp: '198.51.100.9', userArn: options.iamCaller ?? null } } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
  return apiHandler(event, lambdaContext());
}

/** A signed-in browser: its cookie and anti-CSRF token. */
interface Browser {
  headers: (withCsrf?: boolean) => Record<string, string>;
}

async function signIn(username: string, password: string): Promise<Browser> {
  const res = await api('POST', '/session', { body: { username, password } });
  expect(res.statusCode).toBe(200);
  const cookie = /fraudmini_session=([^;]+)/.exec(res.headers?.['set-cookie'] as string)?.[1] ?? '';
  const { csrf_token } = JSON.parse(res.body) as { csrf_token: string };
  return { headers: (withCsrf = true) => ({ cookie: `fraudmini_session=${cookie}`, ...(withCsrf ? { 'x-csrf-token': csrf_token } : {}) }) };
}

const body = <T>(res: APIGatewayProxyResult): T => JSON.parse(res.body) as T;
const PASSWORD = 'correct horse battery';

/** A transaction the default rules block: high value on a low balance. */
const risky = (id: string, account: string) => ({
  transaction_id: id,
  timestamp: new Date().toISOString(),
  account_id: account,
  card_number: TEST_PAN,
  amount: '15000.00',
  account_balance: '100.00',
  merchant: 'M-1',
});

describe('api handler: the console on DynamoDB', () => {
  const c = emulatorClients();
  let stack: Stack;
  let restoreEnv: () => void;
  let ana: Browser;
  let root: Browser;

  beforeAll(async () => {
    stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
    useClients(c);
    resetApi();
    const users = new DynamoUserStore({ client: c.dynamo, stateTable: stack.tables.state });
    await addUser({ users }, { name: 'ana', role: 'analyst', password: PASSWORD });
    await addUser({ users }, { name: 'root', role: 'admin', password: PASSWORD });
    ana = await signIn('ana', PASSWORD);
    root = await signIn('root', PASSWORD);
  });

  afterAll(() => {
    restoreEnv();
    resetApi();
  });

  it('signs in with a Secure, HttpOnly, SameSite cookie, and refuses a wrong password alike for any name', async () => {
    // Act
    const ok = await api('POST', '/session', { body: { username: 'ana', password: PASSWORD } });
    const wrong = await api('POST', '/session', { body: { username: 'ana', password: 'not the password' } });
    const unknown = await api('POST', '/session', { body: { username: 'nobody', password: PASSWORD } });
    const who = await api('GET', '/session', { headers: ana.headers(false) });

    // Assess
    expect(ok.headers?.['set-cookie']).toMatch(/^fraudmini_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    expect([wrong.statusCode, unknown.statusCode]).toEqual([401, 401]);
    expect(body(wrong)).toEqual(body(unknown));
    expect(body(who)).toMatchObject({ user: 'ana', role: 'analyst' });
  });

  it('lists a POSTed transaction\'s alert in the queue, marks it Fraud through the label path, and audits it', async () => {
    // Prepare
    const posted = await api('POST', '/transactions', { body: risky('CON-1', 'acc-con-1') });
    expect(body<{ decision: { outcome: string } }>(posted).decision.outcome).toBe('block');

    // Act
    const queue = body<{ alerts: { id: number; transaction_id: string }[] }>(await api('GET', '/queue', { headers: ana.headers(false) }));
    const alert = queue.alerts.find((a) => a.transaction_id === 'CON-1');
    const opened = await api('GET', `/queue/${alert?.id}`, { headers: ana.headers(false) });
    const noCsrf = await api('POST', `/queue/${alert?.id}/decision`, { body: { label: 'fraud' }, headers: ana.headers(false) });
    const decided = await api('POST', `/queue/${alert?.id}/decision`, { body: { label: 'fraud', note: 'card reported stolen' }, headers: ana.headers() });
    const label = await new DynamoLabelStore({ client: c.dynamo, stateTable: stack.tables.state }).getLabel('CON-1');
    const after = body<{ alerts: { transaction_id: string }[] }>(await api('GET', '/queue', { headers: ana.headers(false) }));
    const reopened = body<{ label: string; audit: { user: string; label: string; note: string }[] }>(
      await api('GET', `/queue/${alert?.id}`, { headers: ana.headers(false) }),
    );

    // Assess
    expect(alert).toBeDefined();
    expect(opened.statusCode).toBe(200);
    expect(body(opened)).toMatchObject({ transaction: { transaction_id: 'CON-1', card: { masked: '411111******1111' } }, decision: { outcome: 'block' } });
    expect(opened.body).not.toContain(TEST_PAN);
    expect(noCsrf.statusCode).toBe(403);
    expect(body(noCsrf)).toMatchObject({ error: 'csrf_failed' });
    expect(decided.statusCode).toBe(201);
    expect(body(decided)).toMatchObject({ transaction_id: 'CON-1', label: 'fraud', status: 'recorded' });
    expect(label?.label).toBe(1);
    expect(after.alerts.map((a) => a.transaction_id)).not.toContain('CON-1');
    expect(reopened.label).toBe('fraud');
    expect(reopened.audit).toEqual([expect.objectContaining({ user: 'ana', label: 'fraud', note: 'card reported stolen' })]);
  });

  it('opens a case from an alert and keeps it, with its audit trail, in DynamoDB', async () => {
    // Prepare
    await api('POST', '/transactions', { body: risky('CON-2', 'acc-con-2') });
    const queue = body<{ alerts: { id: number; transaction_id: string }[] }>(await api('GET', '/queue', { headers: ana.headers(false), query: { account: 'acc-con-2' } }));
    const alertId = queue.alerts[0]?.id ?? 0;

    // Act
    const made = await api('POST', '/cases', { body: { alert_id: alertId }, headers: ana.headers() });
    const caseId = body<{ id: number }>(made).id;
    await api('POST', `/cases/${caseId}/notes`, { body: { note: 'calling the customer' }, headers: ana.headers() });
    const stored = await new DynamoCaseStore({ client: c.dynamo, stateTable: stack.tables.state }).getCase(caseId);
    const detail = body<{ audit: { action: string; user: string }[] }>(await api('GET', `/cases/${caseId}`, { headers: root.headers(false) }));

    // Assess
    expect(made.statusCode).toBe(201);
    expect(stored).toMatchObject({ subject: { kind: 'account', value: 'acc-con-2' }, status: 'open', assignee: 'ana', alertIds: [alertId] });
    expect(detail.audit.map((e) => [e.action, e.user])).toEqual([
      ['created', 'ana'],
      ['note', 'ana'],
    ]);
  });

  it("refuses what a role does not allow: an analyst cannot change the rules, nor an admin's session without its anti-CSRF token", async () => {
    // Prepare
    const doc = (version: string) => ({ version, rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] });

    // Act
    const analyst = await api('PUT', '/rules', { body: doc('by-ana'), headers: ana.headers() });
    const adminNoCsrf = await api('PUT', '/rules', { body: doc('by-root-no-csrf'), headers: root.headers(false) });
    const rules = body<{ version: string }>(await api('GET', '/rules', { headers: ana.headers(false) }));

    // Assess
    expect(analyst.statusCode).toBe(403);
    expect(adminNoCsrf.statusCode).toBe(403);
    expect(rules.version).not.toMatch(/^by-/);
  });

  it('answers /events at once with a retry interval, and from Last-Event-ID announces only newer alerts', async () => {
    // Act
    const first = await api('GET', '/events', { headers: ana.headers(false) });
    const id = /^id: (.+)$/m.exec(first.body)?.[1] ?? '';
    const quiet = await api('GET', '/events', { headers: { ...ana.headers(false), 'last-event-id': id } });
    await api('POST', '/transactions', { body: risky('CON-3', 'acc-con-3') });
    const moved = await api('GET', '/events', { headers: { ...ana.headers(false), 'last-event-id': id } });
    const anonymous = await api('GET', '/events');

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.headers?.['content-type']).toMatch(/^text\/event-stream/);
    expect(first.body.startsWith(`retry: ${EVENTS_RETRY_MS}\n`)).toBe(true);
    expect(first.body).toMatch(/^event: ready$/m);
    expect(first.body).toMatch(/^event: stats$/m);
    expect(quiet.body).not.toMatch(/^event: (ready|alerts)$/m);
    expect(moved.body).toMatch(/^event: alerts\ndata: \{"count":1,/m);
    const stats = JSON.parse(/^event: stats\ndata: (.+)$/m.exec(moved.body)?.[1] ?? '{}') as { transactions: number; decisions_per_minute: number };
    expect(stats.transactions).toBe(3);
    expect(stats.decisions_per_minute).toBeGreaterThan(0);
    expect(anonymous.statusCode).toBe(401);
  });

  it('serves the rules workbench: checks a draft at the caret, backtests it on the stored labels, an admin publishes and rolls back, an analyst cannot', async () => {
    // Prepare: labelled transactions, two large frauds and two small legit ones (one reported later)
    const tx = (id: string, amount: string, label?: string) => ({
      transaction_id: id,
      timestamp: new Date().toISOString(),
      account_id: `acc-${id}`,
      amount,
      merchant: 'M-2',
      ...(label !== undefined ? { label } : {}),
    });
    for (const t of [tx('WB-1', '900.00', '1'), tx('WB-2', '950.00', '1'), tx('WB-3', '20.00', '0'), tx('WB-4', '30.00')]) {
      expect((await api('POST', '/transactions', { body: t })).statusCode).toBe(201);
    }
    expect((await api('POST', '/transactions/WB-4/label', { body: { label: 'legit' } })).statusCode).toBe(201);
    const draft = (when: string) => ({ document: { version: 'draft-big', rules: [{ id: 'big', when, weight: 70 }] } });
    const inForce = body<{ version: string }>(await api('GET', '/rules', { headers: ana.headers(false) })).version;

    // Act
    const broken = body<{ ok: boolean; errors: { path: string; line: number; column: number }[] }>(
      await api('POST', '/rules/check', { body: draft('amount >'), headers: ana.headers() }),
    );
    const fixed = body<{ ok: boolean }>(await api('POST', '/rules/check', { body: draft('amount > 500'), headers: ana.headers() }));
    const backtest = await api('POST', '/rules/backtest', { body: draft('amount > 500'), headers: ana.headers() });
    const byAnalyst = await api('POST', '/rules/versions', { body: draft('amount > 500'), headers: ana.headers() });
    const published = await api('POST', '/rules/versions', { body: draft('amount > 500'), headers: root.headers() });
    const afterPublish = body<{ version: string }>(await api('GET', '/rules', { headers: ana.headers(false) })).version;
    const listed = body<{ versions: { id: number; version: string; active: boolean }[] }>(await api('GET', '/rules/versions', { headers: ana.headers(false) }));
    const earlier = listed.versions.find((v) => v.version === inForce);
    const rollBackByAnalyst = await api('POST', `/rules/versions/${earlier?.id}/activate`, { headers: ana.headers() });
    const rolledBack = await api('POST', `/rules/versions/${earlier?.id}/activate`, { headers: root.headers() });
    const afterRollBack = body<{ version: string }>(await api('GET', '/rules', { headers: ana.headers(false) })).version;
    const kept = body<{ document: unknown }>(await api('GET', `/rules/versions/${body<{ id: number }>(published).id}`, { headers: ana.headers(false) }));
    const audit = await new DynamoRulesStore({ client: c.dynamo, stateTable: stack.tables.state }).changes(10);

    // Assess
    expect(broken.ok).toBe(false);
    expect(broken.errors).toEqual([expect.objectContaining({ path: 'rules[0].when', line: 1, column: 9 })]);
    expect(fixed.ok).toBe(true);
    expect(backtest.statusCode).toBe(200);
    // Labelled: CON-1 (marked Fraud above, 15,000) and the four WB transactions.
    expect(body(backtest)).toMatchObject({
      labelled: 5,
      frauds: 3,
      draft: { version: 'draft-big', rules: { big: { hits: 3, frauds: 3, precision: 1, recall: 1 } } },
      current: { version: inForce },
    });
    expect(byAnalyst.statusCode).toBe(403);
    expect(body(byAnalyst)).toMatchObject({ error: 'forbidden' });
    expect(published.statusCode).toBe(201);
    expect(afterPublish).toBe('draft-big');
    expect(listed.versions.map((v) => [v.version, v.active])).toEqual([
      ['draft-big', true],
      [inForce, false],
    ]);
    expect(rollBackByAnalyst.statusCode).toBe(403);
    expect(rolledBack.statusCode).toBe(200);
    expect(afterRollBack).toBe(inForce);
    expect(kept.document).toEqual(draft('amount > 500').document);
    expect(audit.slice(0, 2).map((e) => [e.credential, e.version])).toEqual([
      ['user root', inForce],
      ['user root', 'draft-big'],
    ]);
  });

  it('keeps every rule set an IAM-signed PUT /rules puts in force in the workbench\'s history, even one replaced before anyone looked', async () => {
    // Prepare
    const admin = 'arn:aws:iam::000000000000:user/rules-admin';
    const doc = (version: string) => ({ version, rules: [{ id: 'high_value', when: 'amount > 20000', weight: 60 }] });

    // Act
    const first = await api('PUT', '/rules', { body: doc('iam-1'), iamCaller: admin });
    const second = await api('PUT', '/rules', { body: doc('iam-2'), iamCaller: admin });
    const listed = body<{ versions: { version: string; active: boolean }[] }>(await api('GET', '/rules/versions', { headers: ana.headers(false) }));

    // Assess
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(listed.versions.slice(0, 2).map((v) => [v.version, v.active])).toEqual([
      ['iam-2', true],
      ['iam-1', false],
    ]);
  });

  it('does not serve the page itself: the static site does', async () => {
    // Act
    const page = await api('GET', '/');

    // Assess
    expect(page.statusCode).toBe(404);
  });
});
