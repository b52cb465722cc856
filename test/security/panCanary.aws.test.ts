/**
 * The PAN canary suite, AWS handlers on the emulators (in process, as test/aws/e2e.test.ts runs
 * them): every canary of panShapes.ts through S3 uploads (named like card numbers, card numbers
 * in headers, values and rejected fields, a file that fails, files paused and continued), the
 * API handler (POST, labels, reads, PUT /rules) and the Kinesis stream; then every artefact is
 * searched for any of them: S3 objects and keys, DynamoDB items of every table, SNS messages,
 * whatever is left on the queues, the handlers' logs and every API reply.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import { handler as apiHandler, resetApi } from '../../src/handlers/api.js';
import { handler as ingestHandler } from '../../src/handlers/ingest.js';
import { handler as notifyHandler } from '../../src/handlers/notify.js';
import { useClients } from '../../src/handlers/runtime.js';
import { handler as scoreHandler } from '../../src/handlers/score.js';
import { handler as streamHandler } from '../../src/handlers/stream.js';
import { drainQueue, emulatorClients } from '../aws/clients.js';
import { applyEnv, createStack, drainStream, dropFile, lambdaContext, pumpQueue, sendTo, type Stack } from '../aws/harness.js';
import {
  canaries,
  canaryBrokenCsv,
  canaryCsv,
  canaryFileNames,
  canaryNamedCsv,
  canaryRequests,
  leakedPans,
} from './panShapes.js';

const shapes = canaries();
const pans = shapes.map((c) => c.pan);

/** The IAM identity of an admin, as API Gateway reports it for an IAM-authorised method. */
const ADMIN_ARN = 'arn:aws:iam::123456789012:user/canary-admin';
/**
 * The shapes sent as file names and through the API: every third by default, to keep the run
 * short (the local suite sends them all through the same code); CANARY_SHAPES=all sends all.
 * The uploaded files hold every shape either way.
 */
const sample = process.env.CANARY_SHAPES === 'all' ? shapes : shapes.filter((_, i) => i % 3 === 0);
const c: AwsClients = emulatorClients();

describe('PAN canaries through the AWS handlers', () => {
  let stack: Stack;
  let restoreEnv: () => void;
  let restoreStdout: () => void;
  const logged: string[] = [];
  const replies: { status: number; body: string; expect: readonly number[]; what: string }[] = [];
  let snsMessages: string[] = [];
  const fileNames = canaryFileNames(sample);

  async function api(method: string, path: string, body?: string): Promise<{ statusCode: number; body: string }> {
    const [route, search = ''] = path.split('?');
    const query = Object.fromEntries(new URLSearchParams(search));
    const event = {
      httpMethod: method,
      path: route,
      resource: route,
      headers: { 'content-type': 'application/json' },
      multiValueHeaders: {},
      queryStringParameters: query,
      multiValueQueryStringParameters: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
      pathParameters: null,
      stageVariables: null,
      body: body ?? null,
      isBase64Encoded: false,
      // Rule changes are IAM-authorised: API Gateway puts the caller's identity in the event.
      requestContext: (method === 'PUT' ? { identity: { userArn: ADMIN_ARN } } : {}) as APIGatewayProxyEvent['requestContext'],
    } as APIGatewayProxyEvent;
    return apiHandler(event, lambdaContext());
  }

  beforeAll(async () => {
    stack = await createStack(c);
    restoreEnv = applyEnv({ ...stack.env, FRAUDMINI_INGEST_BATCH_ROWS: '60' });
    useClients(c);
    resetApi();
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const line = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      logged.push(line);
      if (line.startsWith('{')) return true;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    restoreStdout = () => {
      process.stdout.write = write;
    };

    // Act: uploads; every ingest run is short of time, so a file goes in batches of 60 rows,
    // continued by the message ingest sends itself
    await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'content.csv', canaryCsv(shapes)));
    await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, 'broken.csv', canaryBrokenCsv(shapes)));
    for (const [i, name] of fileNames.entries()) {
      await sendTo(c, stack.rawEvents.url, await dropFile(c, stack, name, canaryNamedCsv(i)));
    }
    await pumpQueue(c, stack.rawEvents, ingestHandler, { batchSize: 1, context: () => lambdaContext(() => 1_000) });
    await pumpQueue(c, stack.transactions, scoreHandler, { batchSize: 10 });

    // Act: every API request, then the stream
    for (const r of canaryRequests(sample)) {
      const res = await api(r.method, r.path, r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body)));
      replies.push({ status: res.statusCode, body: res.body, expect: r.expect, what: `${r.method} ${r.path}` });
    }
    const records = sample.map((s, i) => ({
      transaction_id: `k${i}`,
      timestamp: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString(),
      account_id: `stream ${s.text}`,
      card_number: s.text,
      amount: '25000.00',
      merchant: s.text,
      [s.text]: s.text,
    }));
    await c.kinesis.send(
      new PutRecordsCommand({
        StreamName: stack.streamName,
        Records: [...records, { amount: shapes[0]?.text }].map((r, i) => ({
          Data: Buffer.from(JSON.stringify(r)),
          PartitionKey: String(i),
        })),
      }),
    );
    await drainStream(c, stack, streamHandler, { batchSize: 10 });
    await pumpQueue(c, stack.suspicious, notifyHandler, { batchSize: 10 });
    snsMessages = await drainQueue(c.sqs, stack.alertInboxUrl);
    for (const path of ['/alerts?limit=1000', '/stats']) {
      const res = await api('GET', path);
      replies.push({ status: res.statusCode, body: res.body, expect: [200], what: `GET ${path}` });
    }
  });

  afterAll(() => {
    restoreStdout?.();
    restoreEnv?.();
  });

  /** Every key and object body of a bucket. */
  async function bucket(name: string): Promise<{ keys: string[]; text: string }> {
    const keys: string[] = [];
    const parts: string[] = [];
    let token: string | undefined;
    do {
      const page = await c.s3.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        keys.push(o.Key ?? '');
        const got = await c.s3.send(new GetObjectCommand({ Bucket: name, Key: o.Key }));
        parts.push(o.Key ?? '', (await got.Body?.transformToString('utf8')) ?? '');
      }
      token = page.NextContinuationToken;
    } while (token);
    return { keys, text: parts.join('\n') };
  }

  it('handled every file and answered every request as expected (the canaries went in)', () => {
    for (const r of replies) expect(r.expect, `${r.what} answered ${r.status}: ${r.body.slice(0, 200)}`).toContain(r.status);
    const stats = JSON.parse(replies[replies.length - 1]?.body ?? '{}') as { decisions: number; alerts: number };
    expect(stats.decisions).toBeGreaterThan(shapes.length * 3);
    expect(snsMessages.length).toBeGreaterThan(shapes.length);
  });

  it('leaves no card number in S3: refined outputs, their keys, nothing left in the raw bucket', async () => {
    // Act
    const refined = await bucket(stack.refinedBucket);
    const raw = await bucket(stack.rawBucket);

    // Assess
    expect(refined.keys.filter((k) => k.startsWith('processed/'))).toHaveLength((fileNames.length + 1) * 2);
    expect(refined.keys.filter((k) => k.startsWith('failed/'))).toHaveLength(2);
    expect(refined.text).toContain('******');
    expect(raw.keys).toEqual([]);
    expect(leakedPans(refined.text, pans)).toEqual([]);
  });

  it('leaves no card number in any DynamoDB item', async () => {
    // Act
    const items: unknown[] = [];
    for (const table of Object.values(stack.tables)) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await c.dynamoBase.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
    }

    // Assess
    expect(items.length).toBeGreaterThan(shapes.length * 3);
    expect(leakedPans(JSON.stringify(items), pans)).toEqual([]);
  });

  it('publishes no card number to SNS and leaves none on a queue', async () => {
    // Act
    const left: string[] = [];
    for (const q of [stack.rawEvents, stack.transactions, stack.suspicious]) {
      left.push(...(await drainQueue(c.sqs, q.url)), ...(await drainQueue(c.sqs, q.dlqUrl)));
    }

    // Assess
    expect(leakedPans(snsMessages.join('\n'), pans)).toEqual([]);
    expect(leakedPans(left.join('\n'), pans)).toEqual([]);
  });

  it('never logs a card number', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(leakedPans(logged.join(''), pans)).toEqual([]);
  });

  it('never returns a card number in an API reply', () => {
    expect(leakedPans(replies.map((r) => r.body).join('\n'), pans)).toEqual([]);
  });
});
