/**
 * What one `POST /transactions` costs on DynamoDB, through the real `api` handler on the
 * emulators: one lookup of its id, and one write of the state table (the event clock and the
 * counters together), with every guarantee kept: no counter lost, the clock never back, a retry
 * repairing what a stopped attempt left.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { useClients } from '../../src/handlers/runtime.js';
import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import { DynamoEventClock } from '../../src/adapters/aws/DynamoEventClock.js';
import { attachRequestCounter, RequestCounter } from '../../src/adapters/aws/requestCounter.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { scoreBatch } from '../../src/pipeline/score.js';
import { FeatureWindows } from '../../src/core/features.js';
import { makeTx, money } from '../helpers/transactions.js';
import { emulatorClients } from './clients.js';
import { gatewayEvent, transactionBody } from './apiEvents.js';
import { applyEnv, createStack, lambdaContext, type Stack } from './harness.js';

const T = Date.UTC(2026, 0, 9, 12);
const MINUTE = 60_000;

describe('api handler: DynamoDB requests of a POST', () => {
  const c = emulatorClients();
  const counter = new RequestCounter();
  attachRequestCounter(c, counter);
  let stack: Stack;
  let restoreEnv: () => void;

  const post = async (id: string, at: number) => {
    const res = await apiHandler(gatewayEvent('POST', '/transactions', { body: transactionBody(id, at) }), lambdaContext());
    return { status: res.statusCode, body: JSON.parse(res.body) as Record<string, unknown> };
  };
  const stats = async () =>
    JSON.parse((await apiHandler(gatewayEvent('GET', '/stats'), lambdaContext())).body) as { decisions: number; outcomes: Record<string, number> };
  const clock = () => new DynamoEventClock({ client: c.dynamo, stateTable: stack.tables.state }).latest();
  /** A new container: adapters (and what they remember) built again. */
  const coldStart = () => {
    useClients(c);
    resetApi();
  };

  beforeAll(() => {
    restoreEnv = () => undefined;
  });

  beforeEach(async () => {
    restoreEnv();
    stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, POWERTOOLS_LOG_LEVEL: 'ERROR' });
    coldStart();
  });

  afterAll(() => {
    restoreEnv();
    resetApi();
  });

  it('looks the id up once and writes the state table once when the time moves forward', async () => {
    // Prepare
    await post('P-1', T);
    counter.reset();

    // Act
    const res = await post('P-2', T + MINUTE);

    // Assess
    expect(res.status).toBe(201);
    expect(counter.get('DynamoDB:BatchGetItem').requests).toBe(1);
    expect(counter.get('DynamoDB:UpdateItem').requests).toBe(1);
    expect((await stats()).decisions).toBe(2);
    expect(await clock()).toBe(T + MINUTE);
  });

  it('counts an earlier POST and keeps the clock, with one write when the container knows the clock is later', async () => {
    // Prepare
    await post('P-LATE', T + 10 * MINUTE);
    counter.reset();

    // Act
    const res = await post('P-EARLY', T);

    // Assess
    expect(res.status).toBe(201);
    expect(counter.get('DynamoDB:UpdateItem').requests).toBe(1);
    expect((await stats()).decisions).toBe(2);
    expect(await clock()).toBe(T + 10 * MINUTE);
  });

  it('counts an earlier POST in a new container too: the failed condition, then the counters alone', async () => {
    // Prepare
    await post('P-LATE', T + 10 * MINUTE);
    coldStart();
    counter.reset();

    // Act
    const res = await post('P-EARLY', T);

    // Assess: a failed condition is billed, so this POST writes twice
    expect(res.status).toBe(201);
    expect(counter.get('DynamoDB:UpdateItem').requests).toBe(2);
    expect((await stats()).decisions).toBe(2);
    expect(await clock()).toBe(T + 10 * MINUTE);
  });

  it('loses no counter and never moves the clock back under concurrent POSTs in any order', async () => {
    // Prepare
    const offsets = [7, 2, 9, 4, 1, 8, 3, 6, 5, 0];

    // Act
    const answers = await Promise.all(offsets.map((k) => post(`P-C${k}`, T + k * MINUTE)));

    // Assess
    expect(answers.map((a) => a.status)).toEqual(offsets.map(() => 201));
    expect((await stats()).decisions).toBe(offsets.length);
    expect(await clock()).toBe(T + 9 * MINUTE);
  });

  it('answers a repeated POST with the first decision after one lookup, and moves a clock its first attempt left behind', async () => {
    // Prepare: a first attempt that stored its decision and stopped before writing the state table
    const rules = compileRuleSet({ version: 'stopped', thresholds: { review: 50, block: 80 }, rules: [] });
    const tx = makeTx({ transactionId: 'P-STOPPED', timestamp: T + 5 * MINUTE, accountId: 'ACC-P-STOPPED', amount: money('25.00'), merchant: 'M-1', terminalId: 'T-1' });
    const scored = scoreBatch([{ transaction: tx }], new Map(), { features: new FeatureWindows(), rules });
    await new DynamoDecisionStore({ client: c.dynamo, decisionsTable: stack.tables.decisions, stateTable: stack.tables.state }).storeDecisions(
      scored.decided,
    );
    counter.reset();

    // Act
    const res = await post('P-STOPPED', T + 5 * MINUTE);

    // Assess
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ transaction_id: 'P-STOPPED', duplicate: true, decision: { rules_version: 'stopped' } });
    expect(counter.get('DynamoDB:BatchGetItem').requests).toBe(1);
    expect(await clock()).toBe(T + 5 * MINUTE);
  });
});
