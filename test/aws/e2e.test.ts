/**
 * End to end on the emulators, in process: a CSV in the raw bucket → the S3 event message → the
 * real `ingest` handler → the transactions queue → the real `score` handler → decisions in
 * DynamoDB, alerts through the suspicious queue and the real `notify` handler to SNS → an SQS
 * subscriber; the receipt and the masked copy in the refined bucket; the raw object gone. Then
 * redelivery, a poison message, a paused file, Kinesis, the table stream and the API. Each group
 * (and each test outside the first group) runs on a stack of its own: none relies on what an
 * earlier test left behind, so they pass alone, in any order, and whatever fails before them.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import { redriveMessages } from '../../src/adapters/aws/SqsRedrive.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { handler as ingestHandler } from '../../src/handlers/ingest.js';
import { handler as notifyHandler } from '../../src/handlers/notify.js';
import { useClients } from '../../src/handlers/runtime.js';
import { objectCreatedEvent } from '../../src/handlers/s3Events.js';
import { main } from '../../src/cli/main.js';
import { handler as scoreHandler } from '../../src/handlers/score.js';
import { handler as streamHandler } from '../../src/handlers/stream.js';
import { handler as tableStreamHandler } from '../../src/handlers/tableStream.js';
import { LAKE_COLUMNS, LAKE_PREFIX } from '../../src/adapters/aws/lakeSchema.js';
import { scenarioFile, TEST_PANS } from '../helpers/fixtures.js';
import { readParquet } from '../helpers/parquet.js';
import { drainQueue, emulatorClients } from './clients.js';
import {
  applyEnv,
  captureHandlerLogs,
  createStack,
  pumpQueue,
  drainStream,
  dropFile,
  lambdaContext,
  sendTo,
  type Stack,
} from './harness.js';

const c: AwsClients = emulatorClients();
/** Everything the handlers wrote to stdout (Powertools logs), to check for PANs. */
let logged: string[] = [];
let restoreStdout: () => void;

beforeAll(() => {
  const capture = captureHandlerLogs();
  logged = capture.lines;
  restoreStdout = capture.restore;
});

afterAll(() => restoreStdout());

/** Points the handlers at `stack` (environment, clients, a fresh API app); returns the undo. */
function useStack(stack: Stack): () => void {
  const restoreEnv = applyEnv(stack.env);
  useClients(c);
  resetApi();
  return () => {
    restoreEnv();
    resetApi();
  };
}

/** Runs `act` on a stack of its own. */
async function onOwnStack<T>(act: (stack: Stack) => Promise<T>): Promise<T> {
  const stack = await createStack(c);
  const restore = useStack(stack);
  try {
    return await act(stack);
  } finally {
    restore();
  }
}

async function text(bucket: string, key: string): Promise<string> {
  const out = await c.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function stats(): Promise<Record<string, unknown> & { decisions: number; alerts: number }> {
  const res = await api('GET', '/stats');
  return JSON.parse(res.body) as Record<string, unknown> & { decisions: number; alerts: number };
}

/** Runs the pipeline's queues dry: raw events → ingest, transactions → score, suspicious → notify. */
async function runPipeline(stack: Stack): Promise<{ scoredBodies: string[] }> {
  await pumpQueue(c, stack.rawEvents, ingestHandler, { batchSize: 1 });
  const scored = await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 10 });
  await pumpQueue(c, stack.suspicious, notifyHandler, { batchSize: 10 });
  return { scoredBodies: scored.succeeded };
}

/** `userArn`: the IAM identity API Gateway puts in the event of an IAM-authorised (admin) method. */
function api(method: string, path: string, body?: unknown, query: Record<string, string> = {}, userArn?: string): Promise<APIGatewayProxyResult> {
  const event = {
    httpMethod: method,
    path,
    resource: path,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    stageVariables: null,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: (userArn === undefined ? {} : { identity: { userArn } }) as APIGatewayProxyEvent['requestContext'],
  } as APIGatewayProxyEvent;
  return apiHandler(event, lambdaContext());
}

/** Every object of the decision lake in the refined bucket, read back with a Parquet reader. */
async function lake(stack: Stack): Promise<{ keys: string[]; rows: Record<string, unknown>[]; names: string[][] }> {
  const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: stack.refinedBucket, Prefix: LAKE_PREFIX }));
  const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
  const rows: Record<string, unknown>[] = [];
  const names: string[][] = [];
  for (const key of keys) {
    const out = await c.s3.send(new GetObjectCommand({ Bucket: stack.refinedBucket, Key: key }));
    const read = await readParquet(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    const date = /date=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1];
    for (const r of read.rows) rows.push({ ...r, date });
    names.push(read.names);
  }
  return { keys, rows, names };
}

function noPan(textToCheck: string): void {
  for (const pan of TEST_PANS) expect(textToCheck).not.toContain(pan);
}

describe('a file dropped in the raw bucket', () => {
  const file = scenarioFile(1500, 4, 11);
  let stack: Stack;
  let restore = (): void => {};
  let event: string;
  let alertBodies: string[] = [];
  let firstStats: Awaited<ReturnType<typeof stats>>;
  let scoredBodies: string[] = [];

  beforeAll(async () => {
    stack = await createStack(c);
    restore = useStack(stack);
    event = await dropFile(c, stack, 'day1.csv', file.csv);
    await sendTo(c, stack.rawEvents.url, event);
    ({ scoredBodies } = await runPipeline(stack));
    alertBodies = await drainQueue(c.sqs, stack.alertInboxUrl);
    firstStats = await stats();
    // The whole pipeline over the emulators: well under the default minute on an idle machine,
    // over it on a busy one.
  }, 180_000);

  afterAll(() => restore());

  it('decides every accepted row once and packs many rows per queue message', () => {
    expect(firstStats.decisions).toBe(file.rows - file.badRows.length);
    expect(scoredBodies.length).toBeGreaterThan(0);
    expect(scoredBodies.length).toBeLessThan(20);
  });

  it('writes a receipt whose counts add up, and a masked copy, then deletes the raw object', async () => {
    const receipt = JSON.parse(await text(stack.refinedBucket, 'processed/day1.receipt.json')) as {
      status: string;
      counts: { rows: number; accepted: number; rejected: number; queued: number };
      rejections: { row: number; column: string; reason: string }[];
    };
    expect(receipt.status).toBe('processed');
    expect(receipt.counts.rows).toBe(file.rows);
    expect(receipt.counts.accepted + receipt.counts.rejected).toBe(receipt.counts.rows);
    expect(receipt.counts.rejected).toBe(file.badRows.length);
    expect(receipt.counts.queued).toBe(receipt.counts.accepted);
    expect(receipt.rejections.map((r) => r.row)).toEqual(file.badRows);
    const copy = await text(stack.refinedBucket, 'processed/day1.csv');
    expect(copy.split('\n').length).toBe(file.csv.split('\n').length);
    noPan(copy);
    noPan(JSON.stringify(receipt));
    expect(await exists(stack.rawBucket, 'inbox/day1.csv')).toBe(false);
  });

  it('publishes one SNS alert per alerting decision, with ids, reasons and a masked card only', async () => {
    expect(firstStats.alerts).toBeGreaterThan(0);
    expect(alertBodies.length).toBe(firstStats.alerts);
    const published = alertBodies.map((b) => JSON.parse(b) as { Subject?: string; Message: string });
    const ids = new Set<string>();
    for (const p of published) {
      expect(p.Subject).toMatch(/^fraudmini (REVIEW|BLOCK)/);
      const id = /R\d{7}/.exec(p.Message)?.[0];
      expect(id).toBeDefined();
      ids.add(id ?? '');
      noPan(p.Message);
    }
    expect(ids.size).toBe(alertBodies.length);
    for (const id of file.expected.high_value ?? []) expect(ids.has(id)).toBe(true);
  });

  it('stores decisions the API can read back, with the rule reasons built for them', async () => {
    const id = file.expected.high_value?.[0] ?? '';
    const res = await api('GET', `/transactions/${id}`);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as { decision: { reasons: { rule: string }[] }; transaction: { card?: { masked: string } } };
    expect(body.decision.reasons.map((r) => r.rule)).toContain('high_value');
    expect(body.transaction.card?.masked).toMatch(/\*{6}/);
    noPan(res.body);
  });

  it('writes the decisions to the lake as Parquet, one object per scored message and day, equal to the stored ones', async () => {
    const { keys, rows, names } = await lake(stack);
    for (const k of keys) expect(k).toMatch(/^lake\/decisions\/date=\d{4}-\d{2}-\d{2}\/[0-9a-f]{32}\.parquet$/);
    const days = new Set(keys.map((k) => k.split('/')[2]));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBeLessThanOrEqual(scoredBodies.length * days.size);
    for (const n of names) expect(n).toEqual(LAKE_COLUMNS.map((col) => col.name));
    expect(rows.length).toBe(firstStats.decisions);
    expect(new Set(rows.map((r) => r.transaction_id)).size).toBe(rows.length);
    for (const id of [...(file.expected.high_value ?? []), ...(file.expected.round_amount ?? [])].slice(0, 5)) {
      const row = rows.find((r) => r.transaction_id === id);
      const stored = JSON.parse((await api('GET', `/transactions/${id}`)).body) as {
        transaction: { timestamp: string; amount: number; account_id: string; card?: { masked: string; token: string } };
        decision: { outcome: string; score: number; rules_version: string; reasons: { rule: string }[]; decided_at: string };
      };
      expect(row).toMatchObject({
        account_id: stored.transaction.account_id,
        card_masked: stored.transaction.card?.masked ?? null,
        card_token: stored.transaction.card?.token ?? null,
        outcome: stored.decision.outcome,
        score: stored.decision.score,
        rules_version: stored.decision.rules_version,
        rule_ids: stored.decision.reasons.map((r) => r.rule).join(','),
        date: stored.transaction.timestamp.slice(0, 10),
      });
      expect(Math.round((row?.amount as number) * 10_000)).toBe(Math.round(stored.transaction.amount * 10_000));
      expect((row?.event_time as Date).toISOString()).toBe(stored.transaction.timestamp);
      expect((row?.decided_at as Date).toISOString()).toBe(stored.decision.decided_at);
    }
    noPan(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  });

  it('ignores the same S3 event delivered twice: no new decisions, alerts or outputs', async () => {
    const before = await stats();
    await sendTo(c, stack.rawEvents.url, event);
    await runPipeline(stack);
    expect(await drainQueue(c.sqs, stack.alertInboxUrl)).toEqual([]);
    const again = await stats();
    expect(again.decisions).toBe(before.decisions);
    expect(again.alerts).toBe(before.alerts);
    const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: stack.refinedBucket, Prefix: 'processed/' }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(['processed/day1.csv', 'processed/day1.receipt.json']);
  });

  it('ignores a redelivered transactions message: no second decision, no second SNS alert, no second lake row', async () => {
    const before = await stats();
    const lakeBefore = await lake(stack);
    expect(scoredBodies.length).toBeGreaterThan(0);
    for (const body of scoredBodies) await sendTo(c, stack.transactions.url, body);
    await runPipeline(stack);
    expect(await drainQueue(c.sqs, stack.alertInboxUrl)).toEqual([]);
    const again = await stats();
    expect(again.decisions).toBe(before.decisions);
    expect(again.alerts).toBe(before.alerts);
    const lakeAfter = await lake(stack);
    expect(lakeAfter.keys).toEqual(lakeBefore.keys);
    expect(lakeAfter.rows.length).toBe(lakeBefore.rows.length);
    expect(lakeAfter.rows.map((r) => r.transaction_id).sort()).toEqual(lakeBefore.rows.map((r) => r.transaction_id).sort());
  });
});

describe('failure handling', () => {
  it('moves a poison message to the DLQ after the configured receives', () =>
    onOwnStack(async (stack) => {
      await sendTo(c, stack.transactions.url, 'this is not a hand-off message');
      const drained = await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 10 });
      expect(drained.failed.length).toBe(3);
      expect(await drainQueue(c.sqs, stack.transactions.dlqUrl)).toEqual(['this is not a hand-off message']);
    }));

  it('redrives hand-off messages from the DLQ once fixed: scored once, a second redrive of them adds nothing', () =>
    onOwnStack(async (stack) => {
      // Prepare: a file's hand-off messages sit in the transactions DLQ, none scored yet
      const file = scenarioFile(300, 2, 7);
      await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'redrive.csv', file.csv));
      await pumpQueue(c, stack.rawEvents, ingestHandler, { batchSize: 1 });
      const handOffs = await drainQueue(c.sqs, stack.transactions.url);
      expect(handOffs.length).toBeGreaterThan(0);
      for (const body of handOffs) await sendTo(c, stack.transactions.dlqUrl, body);
      const before = await stats();

      // Act: redrive, score; then the same messages land in the DLQ again and are redriven again
      const first = await redriveMessages({ sqs: c.sqs, from: stack.transactions.dlqUrl, to: stack.transactions.url });
      await runPipeline(stack);
      const afterFirst = await stats();
      const alerts = await drainQueue(c.sqs, stack.alertInboxUrl);
      for (const body of handOffs) await sendTo(c, stack.transactions.dlqUrl, body);
      const second = await redriveMessages({ sqs: c.sqs, from: stack.transactions.dlqUrl, to: stack.transactions.url });
      await runPipeline(stack);

      // Assess
      expect(first).toMatchObject({ moved: handOffs.length, failed: 0, notDeleted: 0 });
      expect(second).toMatchObject({ moved: handOffs.length, failed: 0, notDeleted: 0 });
      expect(await drainQueue(c.sqs, stack.transactions.dlqUrl)).toEqual([]);
      expect(afterFirst.decisions - before.decisions).toBe(file.rows - file.badRows.length);
      expect(alerts.length).toBeGreaterThan(0);
      const final = await stats();
      expect(final.decisions).toBe(afterFirst.decisions);
      expect(final.alerts).toBe(afterFirst.alerts);
      expect(await drainQueue(c.sqs, stack.alertInboxUrl)).toEqual([]);
    }));

  it('ingests and scores a file sent with fraudmini upload, every valid row once', () =>
    onOwnStack(async (stack) => {
      // Prepare
      const file = scenarioFile(250, 2, 11);
      const dir = mkdtempSync(join(tmpdir(), 'fraudmini-e2e-upload-'));
      const path = join(dir, 'uploaded.csv');
      writeFileSync(path, file.csv);
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
      const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      const before = await stats();
      let code: number;
      try {
        // Act: the CLI uploads; the harness sends the event S3 would (fauxqs sends none)
        code = await main(['upload', path, '--bucket', stack.rawBucket, '--endpoint', inject('aws').fauxqs, '--no-progress'], {});
      } finally {
        quiet.mockRestore();
        vi.unstubAllEnvs();
        rmSync(dir, { recursive: true, force: true });
      }
      const head = await c.s3.send(new HeadObjectCommand({ Bucket: stack.rawBucket, Key: 'inbox/uploaded.csv' }));
      await sendTo(c, stack.rawEvents.url, objectCreatedEvent({ bucket: stack.rawBucket, key: 'inbox/uploaded.csv', etag: head.ETag ?? '' }));
      await runPipeline(stack);

      // Assess
      expect(code).toBe(0);
      const after = await stats();
      expect(after.decisions - before.decisions).toBe(file.rows - file.badRows.length);
      const receipt = JSON.parse(await text(stack.refinedBucket, 'processed/uploaded.receipt.json')) as { status: string };
      expect(receipt.status).toBe('processed');
    }));

  it('pauses a file when time runs short and finishes it from the checkpoint, each row once', () =>
    onOwnStack(async (stack) => {
      const file = scenarioFile(1200, 2, 5);
      await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'long.csv', file.csv));
      // Every run is short of time: it hands off one batch (400 rows), checkpoints and sends
      // itself a continuation.
      const restore = applyEnv({ FRAUDMINI_INGEST_BATCH_ROWS: '400' });
      let drained: Awaited<ReturnType<typeof pumpQueue>>;
      try {
        drained = await pumpQueue(c, stack.rawEvents, ingestHandler, {
          batchSize: 1,
          context: () => lambdaContext(() => 1_000),
        });
      } finally {
        restore();
      }
      expect(drained.failed).toEqual([]);
      expect(drained.invocations).toBeGreaterThanOrEqual(3);
      await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 10 });
      expect((await stats()).decisions).toBe(file.rows - file.badRows.length);
      const receipt = JSON.parse(await text(stack.refinedBucket, 'processed/long.receipt.json')) as {
        counts: { rows: number; accepted: number; rejected: number };
      };
      expect(receipt.counts).toMatchObject({ rows: 1200, accepted: 1198, rejected: 2 });
    }));

  it('sends a file whose header cannot be understood to failed/ with its reason', () =>
    onOwnStack(async (stack) => {
      await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'junk.csv', 'foo,bar\n1,2\n'));
      await pumpQueue(c, stack.rawEvents, ingestHandler, { batchSize: 1 });
      const receipt = JSON.parse(await text(stack.refinedBucket, 'failed/junk.receipt.json')) as { status: string; error: string };
      expect(receipt.status).toBe('failed');
      expect(receipt.error).toMatch(/timestamp|account|amount/);
      expect(await exists(stack.rawBucket, 'inbox/junk.csv')).toBe(false);
    }));
});

describe('other entry points', () => {
  const pan = TEST_PANS[3] ?? '';

  it('scores Kinesis records (raw transactions with a card number), idempotently', () =>
    onOwnStack(async (stack) => {
      const before = await stats();
      const records = Array.from({ length: 25 }, (_, i) => ({
        transaction_id: `K${i}`,
        timestamp: new Date(Date.UTC(2026, 1, 1, 10, i)).toISOString(),
        account_id: `KA${i % 3}`,
        card_number: pan,
        amount: i === 7 ? '25000.00' : '42.10',
        currency: 'USD',
        merchant: 'Stream Shop',
      }));
      await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: stack.streamName,
          Records: [...records, { not: 'a transaction' }].map((r, i) => ({
            Data: Buffer.from(JSON.stringify(r)),
            PartitionKey: String(i),
          })),
        }),
      );
      const first = await drainStream(c, stack, streamHandler, { batchSize: 10 });
      expect(first.records).toBe(26);
      // The event source may deliver the same records again (a retry): nothing changes.
      await drainStream(c, stack, streamHandler, { batchSize: 7 });
      const after = await stats();
      expect(after.decisions - before.decisions).toBe(25);
      const k7 = JSON.parse((await api('GET', '/transactions/K7')).body) as { decision: { reasons: { rule: string }[] } };
      expect(k7.decision.reasons.map((r) => r.rule)).toContain('high_value');
      // The stream path writes the same lake: every record, in its day's partition. The replay
      // above came in other batches (7, not 10), so a record may be there twice, as the same row.
      const { rows } = await lake(stack);
      expect([...new Set(rows.map((r) => r.transaction_id))].sort()).toEqual(records.map((r) => r.transaction_id).sort());
      const decidedAt = new Map<unknown, string>();
      for (const r of rows) {
        const at = (r.decided_at as Date).toISOString();
        expect(decidedAt.get(r.transaction_id) ?? at).toBe(at);
        decidedAt.set(r.transaction_id, at);
      }
      expect(new Set(rows.map((r) => r.date))).toEqual(new Set(['2026-02-01']));
      noPan(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    }));

  it('answers the API contract: POST decides once, GET reads, labels, rules', () =>
    onOwnStack(async () => {
      const tx = { transaction_id: 'API-1', timestamp: '2026-02-02T10:00:00Z', account_id: 'AP1', card_number: pan, amount: '12000.00' };
      const created = await api('POST', '/transactions', tx);
      expect(created.statusCode).toBe(201);
      const decision = (JSON.parse(created.body) as { decision: { outcome: string; score: number } }).decision;
      expect(decision.outcome).not.toBe('allow');
      const again = await api('POST', '/transactions', tx);
      expect(again.statusCode).toBe(200);
      expect(JSON.parse(again.body)).toMatchObject({ duplicate: true, decision });
      const bad = await api('POST', '/transactions', { account_id: 'x' });
      expect(bad.statusCode).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: 'invalid_transaction' });
      noPan(created.body);

      expect((await api('POST', '/transactions/API-1/label', { label: 'fraud' })).statusCode).toBe(201);
      expect((await api('POST', '/transactions/API-1/label', { label: 'fraud' })).statusCode).toBe(200);
      expect((await api('POST', '/transactions/API-1/label', { label: 'legit' })).statusCode).toBe(409);
      expect((await api('POST', '/transactions/NOPE/label', { label: 'legit' })).statusCode).toBe(404);

      const alerts = JSON.parse((await api('GET', '/alerts', undefined, { limit: '1000' })).body) as { alerts: { transaction_id: string }[] };
      expect(alerts.alerts.map((a) => a.transaction_id)).toContain('API-1');

      // A console test event may carry no headers at all.
      const health = await apiHandler(
        { httpMethod: 'GET', path: '/healthz', headers: null, multiValueQueryStringParameters: null, body: null, isBase64Encoded: false } as unknown as APIGatewayProxyEvent,
        lambdaContext(),
      );
      expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });

      const rules = JSON.parse((await api('GET', '/rules')).body) as { version: string; document: { rules: unknown[] } };
      expect(rules.document.rules.length).toBeGreaterThan(0);
      const admin = 'arn:aws:iam::000000000000:user/rules-admin';
      const invalid = await api('PUT', '/rules', { version: 'broken', rules: [{ id: 'x', when: 'amount >', weight: 10 }] }, {}, admin);
      expect(invalid.statusCode).toBe(400);
      const put = await api('PUT', '/rules', { ...rules.document, version: 'e2e-2' }, {}, admin);
      expect(put.statusCode).toBe(200);
      expect(JSON.parse((await api('GET', '/rules')).body)).toMatchObject({ version: 'e2e-2' });
    }));

  it('scores transactions the API stored in store-only mode from the table stream', () =>
    onOwnStack(async (stack) => {
      const restore = applyEnv({ FRAUDMINI_API_MODE: 'store' });
      resetApi();
      try {
        const res = await api('POST', '/transactions', {
          transaction_id: 'TS-1',
          timestamp: '2026-02-03T10:00:00Z',
          account_id: 'TS',
          card_number: pan,
          amount: '15000.00',
        });
        expect(res.statusCode).toBe(202);
        expect((await api('GET', '/transactions/TS-1')).statusCode).toBe(404);
        // dynalite has no streams: build the stream record from the stored item, as DynamoDB would.
        const item = await c.dynamoBase.send(
          new GetItemCommand({ TableName: stack.tables.transactions, Key: { id: { S: 'TS-1' } } }),
        );
        expect(item.Item).toBeDefined();
        noPan(JSON.stringify(item.Item));
        const streamEvent: DynamoDBStreamEvent = {
          Records: [
            {
              eventID: '1',
              eventName: 'INSERT',
              eventSource: 'aws:dynamodb',
              awsRegion: 'us-east-1',
              dynamodb: {
                Keys: { id: { S: 'TS-1' } },
                NewImage: item.Item as Record<string, AttributeValue> as never,
                SequenceNumber: '100',
                StreamViewType: 'NEW_IMAGE',
              },
            },
          ],
        };
        expect(await tableStreamHandler(streamEvent, lambdaContext())).toEqual({ batchItemFailures: [] });
        expect(await tableStreamHandler(streamEvent, lambdaContext())).toEqual({ batchItemFailures: [] });
        const got = await api('GET', '/transactions/TS-1');
        expect(got.statusCode).toBe(200);
      } finally {
        restore();
        resetApi();
      }
    }));

  it('never logs a card number, not even from the records it rejects', () =>
    onOwnStack(async (stack) => {
      // Arrange: records that are rejected with their content in the reason.
      const from = logged.length;
      const bad = [`card ${pan} is not JSON`, JSON.stringify({ transaction_id: 'P1', timestamp: '2026-02-01T10:00:00Z', account_id: 'P', amount: pan })];
      await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: stack.streamName,
          Records: bad.map((data, i) => ({ Data: Buffer.from(data), PartitionKey: String(i) })),
        }),
      );
      await drainStream(c, stack, streamHandler, { batchSize: 10 });
      const lines = logged.slice(from).join("");
      expect(lines.match(/stream record rejected/g)).toHaveLength(2);
      noPan(logged.join(''));
    }));
});
