/**
 * The admin routes through the real `api` handler on the emulators: API Gateway authorises them
 * with IAM, and the handler takes the caller only from the identity API Gateway put in the event.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { useClients } from '../../src/handlers/runtime.js';
import { emulatorClients } from './clients.js';
import { applyEnv, createStack, lambdaContext } from './harness.js';

const ADMIN_ARN = 'arn:aws:sts::123456789012:assumed-role/RulesAdmin/alice';

/** An API Gateway proxy event; `userArn` is what API Gateway sets on an IAM-authorised method. */
function api(
  method: string,
  path: string,
  options: { body?: unknown; userArn?: string; iamAuthorizerArn?: string; headers?: Record<string, string> } = {},
): Promise<APIGatewayProxyResult> {
  const event = {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json', ...options.headers },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
    requestContext: {
      identity: { sourceIp: '203.0.113.7', userArn: options.userArn ?? null },
      // Where an HTTP API's IAM authorisation puts the caller.
      ...(options.iamAuthorizerArn ? { authorizer: { iam: { userArn: options.iamAuthorizerArn } } } : {}),
    } as unknown as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
  return apiHandler(event, lambdaContext());
}

const rulesDoc = (version: string) => ({ version, rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }] });

describe('api handler: admin routes need an IAM caller', () => {
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

  it('refuses PUT /rules from a client holding only the API key, and whatever header it forges', async () => {
    // Act
    const plain = await api('PUT', '/rules', { body: rulesDoc('evil-1') });
    const forged = await api('PUT', '/rules', {
      body: rulesDoc('evil-2'),
      headers: { 'x-admin-key': 'anything-at-all-0000', 'x-fraudmini-iam-caller': `iam ${ADMIN_ARN}` },
    });
    const after = JSON.parse((await api('GET', '/rules')).body) as { version: string };

    // Assess
    expect([plain.statusCode, forged.statusCode]).toEqual([403, 403]);
    expect(JSON.parse(plain.body)).toMatchObject({ error: 'admin_forbidden' });
    expect(after.version).not.toMatch(/^evil/);
  });

  it('takes PUT /rules from an IAM-authorised caller', async () => {
    // Act
    const res = await api('PUT', '/rules', { body: rulesDoc('iam-1'), userArn: ADMIN_ARN });
    const after = JSON.parse((await api('GET', '/rules')).body) as { version: string };

    // Assess
    expect(res.statusCode).toBe(200);
    expect(after.version).toBe('iam-1');
  });

  it('takes PUT /rules from a caller an HTTP API authorised with IAM', async () => {
    // Act
    const res = await api('PUT', '/rules', { body: rulesDoc('http-iam-1'), iamAuthorizerArn: ADMIN_ARN });
    const after = JSON.parse((await api('GET', '/rules')).body) as { version: string };

    // Assess
    expect(res.statusCode).toBe(200);
    expect(after.version).toBe('http-iam-1');
  });

  it('keeps the IAM caller and its address in the audit log, which only an IAM caller reads', async () => {
    // Prepare
    await api('PUT', '/rules', { body: rulesDoc('iam-2'), userArn: ADMIN_ARN });

    // Act
    const anonymous = await api('GET', '/rules/audit');
    const res = await api('GET', '/rules/audit', { userArn: ADMIN_ARN });

    // Assess
    expect(anonymous.statusCode).toBe(403);
    expect(res.statusCode).toBe(200);
    const { changes } = JSON.parse(res.body) as { changes: Record<string, unknown>[] };
    expect(changes[0]).toMatchObject({ credential: `iam ${ADMIN_ARN}`, remote: '203.0.113.7', previous_version: 'http-iam-1', version: 'iam-2' });
    expect(changes.map((c) => c.version)).not.toContain('evil-1');
  });
});
