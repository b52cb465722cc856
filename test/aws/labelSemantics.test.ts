/**
 * One labelling semantics on both runtimes: the same requests to `fraudmini start` (SQLite) and to
 * the `api` handler on the emulators (DynamoDB) get the same answers. A label becomes known at
 * the pipeline's event time (the latest transaction time taken in), never at the wall clock, and a
 * transaction that arrived with a label keeps it.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { useClients } from '../../src/handlers/runtime.js';
import { createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { emulatorClients } from './clients.js';
import { applyEnv, createStack, lambdaContext } from './harness.js';

type Request = [method: 'POST' | 'GET', path: string, body?: unknown];
type Answer = { status: number; body: unknown };

const tx = (id: string, account: string, timestamp: string, extra: Record<string, unknown> = {}) => ({
  transaction_id: id,
  timestamp,
  account_id: account,
  amount: '25.00',
  card_number: '4000 0000 0000 0002',
  ...extra,
});

/** Transactions in event time far from the wall clock, then labels. */
const REQUESTS: Request[] = [
  ['POST', '/transactions', tx('L1', 'LA', '2026-03-01T12:00:00Z')],
  ['POST', '/transactions', tx('L2', 'LB', '2026-03-01T12:30:00Z')],
  // Late: older than the latest event; the clock stays at 12:30.
  ['POST', '/transactions', tx('L3', 'LA', '2026-03-01T11:00:00Z')],
  // Arrived labelled (fraud), known at its time + the 1-day delay.
  ['POST', '/transactions', tx('L4', 'LC', '2026-03-01T12:10:00Z', { label: '1' })],
  ['POST', '/transactions/L1/label', { label: 'fraud' }],
  ['POST', '/transactions/L1/label', { label: 'fraud' }],
  ['POST', '/transactions/L1/label', { label: 'legit' }],
  ['POST', '/transactions/L3/label', { label: 'legit' }],
  ['POST', '/transactions/L4/label', { label: 'fraud' }],
  ['POST', '/transactions/L4/label', { label: 'legit' }],
  ['POST', '/transactions', tx('L5', 'LB', '2026-03-02T08:00:00Z')],
  ['POST', '/transactions/L2/label', { label: 'legit' }],
  ['POST', '/transactions/NOPE/label', { label: 'legit' }],
];

/** The answers to the label requests (the decisions' wall-clock `decided_at` left out). */
function labelAnswers(answers: Answer[]): Answer[] {
  return answers.filter((_, i) => REQUESTS[i]?.[1].endsWith('/label'));
}

describe('labels: one semantics on both runtimes', () => {
  const c = emulatorClients();
  let restoreEnv: () => void;
  let local: LocalWiring;

  beforeAll(async () => {
    const stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, FRAUDMINI_LABEL_DELAY: '1d', POWERTOOLS_LOG_LEVEL: 'ERROR' });
    useClients(c);
    resetApi();
    local = createLocalRuntime(loadConfig({ FRAUDMINI_LABEL_DELAY: '1d' }, { dataDir: tempDir().dir, port: 0 }), {
      logger: silentLogger,
      alertOut: { write: () => true } as unknown as NodeJS.WritableStream,
    });
  });

  afterAll(async () => {
    restoreEnv();
    resetApi();
    await local.runtime.stop();
  });

  async function onLocal(): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (const [method, url, body] of REQUESTS) {
      const res = await local.server.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
      answers.push({ status: res.statusCode, body: res.json() });
    }
    return answers;
  }

  async function onAws(): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (const [method, path, body] of REQUESTS) {
      const res = await apiHandler(
        {
          httpMethod: method,
          path,
          resource: path,
          headers: { 'content-type': 'application/json' },
          multiValueQueryStringParameters: null,
          body: body === undefined ? null : JSON.stringify(body),
          isBase64Encoded: false,
          requestContext: { identity: { sourceIp: '203.0.113.7', userArn: null } },
        } as unknown as APIGatewayProxyEvent,
        lambdaContext(),
      );
      answers.push({ status: res.statusCode, body: JSON.parse(res.body) as unknown });
    }
    return answers;
  }

  it('answers every label request alike, each known at event time', async () => {
    // Act
    const aws = labelAnswers(await onAws());
    const sqlite = labelAnswers(await onLocal());

    // Assess: the same answers, and the event-time ones expected
    expect(aws).toEqual(sqlite);
    expect(aws.map((a) => [a.status, (a.body as { known_at?: string }).known_at])).toEqual([
      [201, '2026-03-01T12:30:00.000Z'], // L1: the latest event time, not the wall clock
      [200, '2026-03-01T12:30:00.000Z'],
      [409, '2026-03-01T12:30:00.000Z'],
      [201, '2026-03-01T12:30:00.000Z'], // L3 is older than the clock: known at the clock
      [200, '2026-03-02T12:10:00.000Z'], // L4 arrived labelled: its time + 1 day
      [409, '2026-03-02T12:10:00.000Z'],
      [201, '2026-03-02T08:00:00.000Z'], // after L5 the clock is at 2026-03-02 08:00
      [404, undefined],
    ]);
  });
});
