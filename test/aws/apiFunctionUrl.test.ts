/**
 * The `api` function behind a Lambda function URL (payload format 2.0, `AWS_IAM` auth), through
 * the real handler on the emulators: the client routes are served, the admin routes are refused
 * whoever signed the request (a function URL's IAM is all or nothing), and nothing else of the app
 * is reachable through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { useClients } from '../../src/handlers/runtime.js';
import { emulatorClients } from './clients.js';
import { functionUrlEvent, gatewayEvent, transactionBody } from './apiEvents.js';
import { applyEnv, createStack, lambdaContext } from './harness.js';

const ADMIN_ARN = 'arn:aws:sts::123456789012:assumed-role/RulesAdmin/alice';
const T = Date.UTC(2026, 0, 9, 12);

const viaUrl = async (...args: Parameters<typeof functionUrlEvent>) => {
  const res = await apiHandler(functionUrlEvent(...args), lambdaContext());
  return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
};

describe('api handler behind a function URL', () => {
  const c = emulatorClients();
  let restoreEnv: () => void;

  beforeAll(async () => {
    const stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
    useClients(c);
    resetApi();
  });

  afterAll(() => {
    restoreEnv();
    resetApi();
  });

  it('scores a POST /transactions and serves it back by id', async () => {
    // Act
    const posted = await viaUrl('POST', '/transactions', { body: transactionBody('U-1', T, { amount: '15000.00' }) });
    const again = await viaUrl('POST', '/transactions', { body: transactionBody('U-1', T, { amount: '15000.00' }), base64: true });
    const read = await viaUrl('GET', '/transactions/U-1');

    // Assess
    expect(posted.status).toBe(201);
    const decision = posted.body.decision as { outcome: string; reasons: { rule: string }[] };
    expect(posted.body).toMatchObject({ transaction_id: 'U-1' });
    expect(decision.reasons.map((r) => r.rule)).toContain('high_value');
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, decision: { transaction_id: 'U-1' } } });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ decision: { transaction_id: 'U-1', outcome: decision.outcome } });
  });

  it('passes the query string on', async () => {
    // Act
    const res = await viaUrl('GET', '/alerts', { rawQueryString: 'limit=1' });

    // Assess
    expect(res.status).toBe(200);
    expect((res.body.alerts as unknown[]).length).toBeLessThanOrEqual(1);
  });

  it('refuses the admin routes, whoever signed the request and whatever header it forges', async () => {
    // Prepare
    const before = JSON.parse((await apiHandler(gatewayEvent('GET', '/rules'), lambdaContext())).body) as { version: string };

    // Act
    const put = await viaUrl('PUT', '/rules', {
      userArn: ADMIN_ARN,
      headers: { 'x-fraudmini-iam-caller': `iam ${ADMIN_ARN}` },
      body: { version: 'via-url', rules: [{ id: 'high_value', when: 'amount > 1', weight: 60 }] },
    });
    const audit = await viaUrl('GET', '/rules/audit', { userArn: ADMIN_ARN });
    const after = JSON.parse((await apiHandler(gatewayEvent('GET', '/rules'), lambdaContext())).body) as { version: string };

    // Assess
    expect([put.status, audit.status]).toEqual([403, 403]);
    expect(put.body).toMatchObject({ error: 'admin_forbidden' });
    expect(String(put.body.message)).toMatch(/admin API/);
    expect(after.version).toBe(before.version);
  });

  it('answers 404 for any path that is not a client route', async () => {
    // Act
    const answers = await Promise.all([
      viaUrl('GET', '/openapi.json'),
      viaUrl('GET', '/transactions/'),
      viaUrl('DELETE', '/transactions/U-1'),
    ]);

    // Assess
    expect(answers.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(answers[0]?.body).toMatchObject({ error: 'not_found' });
  });
});
