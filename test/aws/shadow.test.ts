/**
 * A shadow challenger on the AWS runtime, on the emulators, through the real handlers: a file
 * (raw bucket → ingest → transactions queue → score) and Kinesis records (stream) are decided by
 * the challenger configured by the CDK app's environment, beside the decisions in force, which
 * stay exactly what they are without it; `GET /stats/shadow` (the api function) reads the
 * comparison back; and a promotion (`PUT /rules` with the challenger's rules, a copy of its model
 * object) decides as the challenger did in shadow.
 */
import { readFileSync } from 'node:fs';
import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import { ENV } from '../../src/adapters/aws/tables.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { handler as ingestHandler } from '../../src/handlers/ingest.js';
import { useClients } from '../../src/handlers/runtime.js';
import { handler as scoreHandler } from '../../src/handlers/score.js';
import { handler as streamHandler } from '../../src/handlers/stream.js';
import { loadModel, type Model } from '../../src/core/model/model.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { trainModel } from '../../src/pipeline/train.js';
import { chunked, labelledCsv, labelledHistory } from '../helpers/labelledHistory.js';
import { testTokenizer } from '../helpers/transactions.js';
import { emulatorClients } from './clients.js';
import { applyEnv, captureHandlerLogs, createStack, drainStream, dropFile, lambdaContext, pumpQueue, sendTo, type Stack } from './harness.js';

const DAY = 86_400_000;
const c: AwsClients = emulatorClients();
/** Size of the run; larger with FRAUDMINI_SHADOW_AWS_DAYS and FRAUDMINI_SHADOW_AWS_PER_DAY (docs/detection.md's figures). */
const DAYS = Number(process.env.FRAUDMINI_SHADOW_AWS_DAYS ?? 8);
const PER_DAY = Number(process.env.FRAUDMINI_SHADOW_AWS_PER_DAY ?? 25);
/** The challenger model learns from one history and is compared on another, of the same make. */
const trainedOn = labelledHistory({ days: DAYS, perDay: PER_DAY, seed: 1 });
const generated = labelledHistory({ days: DAYS, perDay: PER_DAY, seed: 2 });
/** Every 15th amount made small and round: the candidate below reviews those, the rules in force allow them. */
const history = { ...generated, rows: generated.rows.map((r, i) => (i % 15 === 0 ? { ...r, amount: '20.00' } : r)) };
const csv = labelledCsv(history.rows);
const bundled = JSON.parse(readFileSync(BUNDLED_RULES, 'utf8')) as Record<string, unknown>;
/** The challenger's rules: the bundled ones with thresholds so low that a small round amount (weight 20) is blocked. */
const CANDIDATE = { ...bundled, version: 'candidate-aws-1', thresholds: { review: 10, block: 20 } };
const SHADOW_MODEL_KEY = 'models/shadow.json';
const SHADOW_RULES_KEY = 'models/shadow-rules.json';

let model: Model;
let modelJson: string;
let restoreStdout: () => void;
/** What the handlers logged (Powertools, to stdout). */
let logged: string[] = [];

beforeAll(async () => {
  const capture = captureHandlerLogs();
  restoreStdout = capture.restore;
  logged = capture.lines;
  const file = await trainModel(chunked(labelledCsv(trainedOn.rows)), {
    fileKey: 'h.csv',
    tokenizer: testTokenizer(),
    rules: compileRuleSet(bundled),
    labelDelayMs: 7 * DAY,
    gbdt: { trees: 15 },
    now: () => new Date(trainedOn.start),
  });
  modelJson = JSON.stringify(file);
  model = loadModel(JSON.parse(modelJson));
}, 120_000);

afterAll(() => restoreStdout());

/** Points the handlers at `stack` with `extra` environment, runs `act`, then restores. */
async function onStack<T>(extra: (stack: Stack) => Record<string, string>, act: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await createStack(c);
  const restore = applyEnv({ ...stack.env, [ENV.ingestBatchRows]: '50', ...extra(stack) });
  useClients(c);
  resetApi();
  try {
    return await act(stack);
  } finally {
    restore();
    resetApi();
  }
}

/** The environment `-c shadowModel=true -c shadowRules=true` gives the scoring functions. */
const shadowEnv = (stack: Stack): Record<string, string> => ({
  [ENV.shadowModelUri]: `s3://${stack.refinedBucket}/${SHADOW_MODEL_KEY}`,
  [ENV.shadowRulesUri]: `s3://${stack.refinedBucket}/${SHADOW_RULES_KEY}`,
});

async function uploadChallenger(stack: Stack): Promise<void> {
  await c.s3.send(new PutObjectCommand({ Bucket: stack.refinedBucket, Key: SHADOW_MODEL_KEY, Body: modelJson }));
  await c.s3.send(new PutObjectCommand({ Bucket: stack.refinedBucket, Key: SHADOW_RULES_KEY, Body: JSON.stringify(CANDIDATE) }));
}

/**
 * The file through ingest and score, as S3 notifications and the queues' event sources deliver
 * it: in messages of 50 rows, two per score invocation, so most batches read the history the
 * ones before wrote to DynamoDB.
 */
async function scoreFile(stack: Stack): Promise<void> {
  await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'history.csv', csv));
  await pumpQueue(c, stack.rawEvents, ingestHandler, { batchSize: 1 });
  await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 2 });
}

function api(method: string, path: string, body?: unknown, userArn?: string): Promise<APIGatewayProxyResult> {
  const event = {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: (userArn === undefined ? {} : { identity: { userArn } }) as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
  return apiHandler(event, lambdaContext());
}

async function scan(table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await c.dynamo.send(new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

interface Decided {
  score: number;
  outcome: string;
  model_score: number | null;
  rules: string[];
  rules_version: string;
  model_version: string | null;
}

/** The decisions in force by transaction id (their wall-clock time left out). */
async function decisionsInForce(stack: Stack): Promise<Map<string, Decided>> {
  const out = new Map<string, Decided>();
  for (const it of await scan(stack.tables.decisions)) {
    const d = it.decision as { score: number; outcome: string; model_score: number | null; reasons: { rule: string }[]; rules_version: string; model_version: string | null };
    out.set(it.id as string, {
      score: d.score,
      outcome: d.outcome,
      model_score: d.model_score,
      rules: d.reasons.map((r) => r.rule),
      rules_version: d.rules_version,
      model_version: d.model_version,
    });
  }
  return out;
}

/** The shadow decisions by transaction id, and the raw items (to check what they hold). */
async function shadowDecisions(stack: Stack): Promise<{ byId: Map<string, Decided>; items: Record<string, unknown>[] }> {
  const items = (await scan(stack.tables.state)).filter((it) => String(it.pk).startsWith('shadow#'));
  const byId = new Map<string, Decided>();
  for (const it of items) {
    byId.set(it.sk as string, {
      score: it.score as number,
      outcome: it.outcome as string,
      model_score: it.modelScore as number | null,
      rules: it.rules as string[],
      rules_version: it.rulesVersion as string,
      model_version: it.modelVersion as string | null,
    });
  }
  return { byId, items };
}

async function stats(): Promise<{ decisions: number; alerts: number; outcomes: Record<string, number> }> {
  return JSON.parse((await api('GET', '/stats')).body) as { decisions: number; alerts: number; outcomes: Record<string, number> };
}

describe('shadow challenger on AWS (emulators)', () => {
  it('decides a file in shadow: stored apart, the decisions in force as without it, compared by GET /stats/shadow, promoted by PUT /rules and a model copy', async () => {
    // Act 1: the same file on a stack without a challenger, and on one with a model and rules in shadow
    const plain = await onStack(
      () => ({}),
      async (stack) => {
        await scoreFile(stack);
        return { decisions: await decisionsInForce(stack), stats: await stats() };
      },
    );
    const shadowed = await onStack(shadowEnv, async (stack) => {
      await uploadChallenger(stack);
      await scoreFile(stack);
      return {
        decisions: await decisionsInForce(stack),
        stats: await stats(),
        shadow: await shadowDecisions(stack),
        compared: JSON.parse((await api('GET', '/stats/shadow')).body) as Record<string, unknown>,
      };
    });
    // Act 2: the challenger promoted on a fresh stack: its rules by PUT /rules, its model object copied to the model's key
    const promoted = await onStack(
      (stack) => ({ [ENV.modelUri]: `s3://${stack.refinedBucket}/models/model.json` }),
      async (stack) => {
        await uploadChallenger(stack);
        await c.s3.send(new CopyObjectCommand({ Bucket: stack.refinedBucket, CopySource: `${stack.refinedBucket}/${SHADOW_MODEL_KEY}`, Key: 'models/model.json' }));
        const put = await api('PUT', '/rules', CANDIDATE, 'arn:aws:iam::123456789012:user/rules-admin');
        expect(put.statusCode, put.body).toBe(200);
        await scoreFile(stack);
        return decisionsInForce(stack);
      },
    );

    // Assess: the decisions in force, their counts and alerts, exactly as without the challenger
    expect(plain.decisions.size).toBe(history.rows.length);
    expect(shadowed.decisions).toEqual(plain.decisions);
    expect(shadowed.stats).toEqual(plain.stats);
    expect(new Set([...plain.decisions.values()].map((d) => `${d.rules_version} ${d.model_version}`))).toEqual(new Set(['default-1 null']));

    // Assess: one shadow decision per transaction, of the challenger, holding no card data
    expect(shadowed.shadow.byId.size).toBe(history.rows.length);
    expect(new Set([...shadowed.shadow.byId.values()].map((d) => `${d.rules_version} ${d.model_version}`))).toEqual(
      new Set([`candidate-aws-1 ${model.version}`]),
    );
    const stored = JSON.stringify(shadowed.shadow.items);
    for (const pan of new Set(history.rows.map((r) => r.pan))) expect(stored).not.toContain(pan);

    // Assess: in shadow, the challenger decided as it decides in force once promoted (same features, to the bit)
    expect(promoted.size).toBe(history.rows.length);
    for (const [id, d] of promoted) {
      const s = shadowed.shadow.byId.get(id);
      expect({ id, score: s?.score, outcome: s?.outcome, model_score: s?.model_score, rules: s?.rules }).toEqual({
        id,
        score: d.score,
        outcome: d.outcome,
        model_score: d.model_score,
        rules: d.rules,
      });
    }

    // Assess: the comparison the api function reads back
    const labelled = history.rows.filter((r) => r.label !== undefined);
    const flaggedInForce = [...plain.decisions.values()].filter((d) => d.outcome !== 'allow').length;
    const flaggedShadow = [...shadowed.shadow.byId.values()].filter((d) => d.outcome !== 'allow').length;
    const agreed = [...plain.decisions].filter(([id, d]) => shadowed.shadow.byId.get(id)?.outcome === d.outcome).length;
    expect(shadowed.compared).toMatchObject({
      challenger: { rules_version: 'candidate-aws-1', model_version: model.version },
      rows: history.rows.length,
      agreed,
      labelled: labelled.length,
      frauds: labelled.filter((r) => r.label === 1).length,
      in_force: { flagged: flaggedInForce },
      shadow: { flagged: flaggedShadow },
    });
    expect(flaggedShadow).not.toBe(flaggedInForce);
    // FRAUDMINI_SHADOW_AWS_PRINT=1: what docs/detection.md shows.
    if (process.env.FRAUDMINI_SHADOW_AWS_PRINT) process.stderr.write(`GET /stats/shadow\n${JSON.stringify(shadowed.compared)}\n`);
  }, 180_000);

  it('decides Kinesis records in shadow too, and answers GET /stats/shadow before any challenger', () =>
    onStack(shadowEnv, async (stack) => {
      // Prepare
      const before = JSON.parse((await api('GET', '/stats/shadow')).body) as Record<string, unknown>;
      await uploadChallenger(stack);
      const records = Array.from({ length: 12 }, (_, i) => ({
        transaction_id: `K${i}`,
        timestamp: new Date(Date.UTC(2026, 1, 1, 10, i)).toISOString(),
        account_id: `KA${i % 3}`,
        amount: i % 4 === 0 ? '12000.00' : '30.00',
        currency: 'USD',
      }));
      await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: stack.streamName,
          Records: records.map((r, i) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: String(i) })),
        }),
      );

      // Act
      await drainStream(c, stack, streamHandler, { batchSize: 5 });
      const after = JSON.parse((await api('GET', '/stats/shadow')).body) as Record<string, unknown>;

      // Assess
      expect(before).toMatchObject({ challenger: null, rows: 0 });
      expect(after).toMatchObject({ challenger: { rules_version: 'candidate-aws-1', model_version: model.version }, rows: records.length });
      expect((await shadowDecisions(stack)).byId.size).toBe(records.length);
    }));

  it('scores without the challenger, and logs why, when its objects cannot be read or do not validate', () =>
    onStack(shadowEnv, async (stack) => {
      // Prepare: rules that do not compile, and no model object at all
      await c.s3.send(
        new PutObjectCommand({ Bucket: stack.refinedBucket, Key: SHADOW_RULES_KEY, Body: JSON.stringify({ version: 'broken-1', rules: [{ id: 'x', when: 'amount >', weight: 10 }] }) }),
      );
      const records = Array.from({ length: 6 }, (_, i) => ({
        transaction_id: `B${i}`,
        timestamp: new Date(Date.UTC(2026, 1, 1, 10, i)).toISOString(),
        account_id: 'BA',
        amount: '30.00',
      }));
      await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: stack.streamName,
          Records: records.map((r, i) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: String(i) })),
        }),
      );
      const from = logged.length;

      // Act
      const run = await drainStream(c, stack, streamHandler, { batchSize: 6 });

      // Assess
      expect(run.records).toBe(records.length);
      expect((await decisionsInForce(stack)).size).toBe(records.length);
      expect((await shadowDecisions(stack)).byId.size).toBe(0);
      expect(logged.slice(from).some((l) => l.includes('shadow challenger not loaded; scoring without it'))).toBe(true);
    }));
});
