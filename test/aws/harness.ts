/**
 * An in-process stand-in for the AWS wiring the CDK app declares: the same buckets, queues (each
 * with a DLQ and a redrive policy), topic, tables and stream, created on the emulators, the
 * handler environment set as the CDK app sets it, and event-source pollers that build the real
 * SQS and Kinesis events Lambda would deliver. The handlers under test are the real ones.
 */
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { CreateStreamCommand, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import { ENV } from '../../src/adapters/aws/tables.js';
import { objectCreatedEvent } from '../../src/handlers/s3Events.js';
import { createTables, type TableNames } from './dynamoTables.js';
import { uniqueName } from './clients.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** A queue with its dead-letter queue. */
export interface QueuePair {
  url: string;
  arn: string;
  dlqUrl: string;
}

/** Everything {@link createStack} made. */
export interface Stack {
  rawBucket: string;
  refinedBucket: string;
  rawEvents: QueuePair;
  transactions: QueuePair;
  suspicious: QueuePair;
  topicArn: string;
  /** A plain queue subscribed to the alerts topic: what an email subscriber would get. */
  alertInboxUrl: string;
  tables: TableNames;
  streamName: string;
  /** The handler environment, as the CDK app sets it. */
  env: Record<string, string>;
}

/** Options of {@link createStack}. */
export interface StackOptions {
  /** Receives before a message goes to its DLQ (the CDK app's maxReceiveCount). @default 3 */
  maxReceiveCount?: number;
}

/** Creates the resources and returns their names; call {@link applyEnv} to point the handlers at them. */
export async function createStack(c: AwsClients, options: StackOptions = {}): Promise<Stack> {
  const id = uniqueName('fm');
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const rawBucket = `${id}-raw`;
  const refinedBucket = `${id}-refined`;
  await c.s3.send(new CreateBucketCommand({ Bucket: rawBucket }));
  await c.s3.send(new CreateBucketCommand({ Bucket: refinedBucket }));
  const queue = async (name: string): Promise<QueuePair> => {
    const dlq = await c.sqs.send(new CreateQueueCommand({ QueueName: `${id}-${name}-dlq` }));
    const dlqUrl = dlq.QueueUrl ?? '';
    const dlqArn = await queueArn(c, dlqUrl);
    const q = await c.sqs.send(
      new CreateQueueCommand({
        QueueName: `${id}-${name}`,
        Attributes: {
          VisibilityTimeout: '30',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
        },
      }),
    );
    const url = q.QueueUrl ?? '';
    return { url, arn: await queueArn(c, url), dlqUrl };
  };
  const rawEvents = await queue('raw-events');
  const transactions = await queue('transactions');
  const suspicious = await queue('suspicious');
  const topic = await c.sns.send(new CreateTopicCommand({ Name: `${id}-alerts` }));
  const topicArn = topic.TopicArn ?? '';
  const inbox = await c.sqs.send(new CreateQueueCommand({ QueueName: `${id}-alert-inbox` }));
  const alertInboxUrl = inbox.QueueUrl ?? '';
  await c.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: await queueArn(c, alertInboxUrl) }),
  );
  const tables = await createTables(c.dynamoBase, id);
  const streamName = `${id}-transactions`;
  await c.kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
  for (let i = 0; i < 50; i++) {
    const d = await c.kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
    if (d.StreamDescription?.StreamStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const env: Record<string, string> = {
    [ENV.rawBucket]: rawBucket,
    [ENV.refinedBucket]: refinedBucket,
    [ENV.rawEventsQueueUrl]: rawEvents.url,
    [ENV.transactionsQueueUrl]: transactions.url,
    [ENV.suspiciousQueueUrl]: suspicious.url,
    [ENV.alertsTopicArn]: topicArn,
    [ENV.transactionsTable]: tables.transactions,
    [ENV.decisionsTable]: tables.decisions,
    [ENV.featuresTable]: tables.features,
    [ENV.stateTable]: tables.state,
    [ENV.idempotencyTable]: tables.idempotency,
    [ENV.tokenKey]: 'e2e-test-tokenisation-key-0123456789',
    [ENV.labelDelay]: '7d',
    AWS_LAMBDA_FUNCTION_NAME: 'fraudmini-e2e',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  };
  return { rawBucket, refinedBucket, rawEvents, transactions, suspicious, topicArn, alertInboxUrl, tables, streamName, env };
}

/** Sets the handler environment (and returns a function that restores the previous one). */
export function applyEnv(env: Record<string, string>): () => void {
  const before = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  return () => {
    for (const [k, v] of before) {
      if (v === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = v;
    }
  };
}

async function queueArn(c: AwsClients, url: string): Promise<string> {
  const a = await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = a.Attributes?.QueueArn;
  if (arn) return arn;
  return `arn:aws:sqs:${REGION}:${ACCOUNT}:${url.slice(url.lastIndexOf('/') + 1)}`;
}

/** Puts a CSV into the raw bucket's inbox and returns the S3 event notification S3 would send. */
export async function dropFile(c: AwsClients, stack: Stack, name: string, body: string): Promise<string> {
  const key = `inbox/${name}`;
  await c.s3.send(new PutObjectCommand({ Bucket: stack.rawBucket, Key: key, Body: body, ServerSideEncryption: 'aws:kms' }));
  const head = await c.s3.send(new HeadObjectCommand({ Bucket: stack.rawBucket, Key: key }));
  return objectCreatedEvent({ bucket: stack.rawBucket, key, etag: head.ETag ?? '', size: Buffer.byteLength(body) });
}

/** Sends a message body to a queue (what S3 notifications and redeliveries amount to). */
export async function sendTo(c: AwsClients, queueUrl: string, body: string): Promise<void> {
  await c.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

/** A Lambda context stub: a name, a request id and a clock of remaining time. */
export function lambdaContext(remainingMs: () => number = () => 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'fraudmini-e2e',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fraudmini-e2e`,
    memoryLimitInMB: '1024',
    awsRequestId: uniqueName('req'),
    logGroupName: '/aws/lambda/fraudmini-e2e',
    logStreamName: 'e2e',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** What an event-source poll did. */
export interface PumpResult {
  /** Handler invocations. */
  invocations: number;
  /** Message bodies handed to the handler that it reported as processed. */
  succeeded: string[];
  /** Message bodies it reported failed (made visible again, as Lambda's event source does). */
  failed: string[];
}

/**
 * The SQS event source mapping, in miniature: receives up to `batchSize` messages, invokes the
 * handler with a real `SQSEvent`, deletes the messages it did not report failed and makes the
 * failed ones visible again at once, until the queue stays empty. The queue's redrive policy
 * moves a message that keeps failing to its DLQ, as on AWS.
 */
export async function pumpQueue(
  c: AwsClients,
  queue: { url: string; arn?: string },
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>,
  options: { batchSize?: number; context?: () => Context; maxPolls?: number } = {},
): Promise<PumpResult> {
  const out: PumpResult = { invocations: 0, succeeded: [], failed: [] };
  let empty = 0;
  for (let poll = 0; poll < (options.maxPolls ?? 10_000) && empty < 2; poll++) {
    const got = await c.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(options.batchSize ?? 10, 10),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = got.Messages ?? [];
    if (messages.length === 0) {
      empty++;
      continue;
    }
    empty = 0;
    const event: SQSEvent = { Records: messages.map((m) => sqsRecord(m, queue.arn ?? queue.url)) };
    out.invocations++;
    // A handler that throws failed the whole batch: Lambda returns every message to the queue.
    const res = await handler(event, (options.context ?? (() => lambdaContext()))()).catch(() => ({
      batchItemFailures: messages.map((m) => ({ itemIdentifier: m.MessageId ?? '' })),
    }));
    const failedIds = new Set((res?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const m of messages) {
      if (failedIds.has(m.MessageId ?? '')) {
        out.failed.push(m.Body ?? '');
        await c.sqs.send(
          new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }),
        );
      } else {
        out.succeeded.push(m.Body ?? '');
        await c.sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  }
  return out;
}

function sqsRecord(m: Message, arn: string): SQSEvent['Records'][number] {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? ACCOUNT,
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: REGION,
  };
}

/**
 * The Kinesis event source, in miniature: reads the stream's shard from the start and invokes
 * the handler with real `KinesisStreamEvent`s of up to `batchSize` records, until the shard has
 * nothing new.
 */
export async function drainStream(
  c: AwsClients,
  streamName: string,
  handler: (event: KinesisStreamEvent, context: Context) => Promise<unknown>,
  options: { batchSize?: number } = {},
): Promise<{ invocations: number; records: number }> {
  const d = await c.kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const shard = d.StreamDescription?.Shards?.[0]?.ShardId ?? 'shardId-000000000000';
  const arn = d.StreamDescription?.StreamARN ?? `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${streamName}`;
  const it = await c.kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  let iterator = it.ShardIterator;
  let invocations = 0;
  let records = 0;
  while (iterator) {
    const got = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: options.batchSize ?? 100 }));
    const rs = got.Records ?? [];
    if (rs.length === 0) break;
    const event: KinesisStreamEvent = {
      Records: rs.map((r) => ({
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: r.PartitionKey ?? '',
          sequenceNumber: r.SequenceNumber ?? '',
          data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `${shard}:${r.SequenceNumber ?? ''}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/fraudmini-e2e`,
        awsRegion: REGION,
        eventSourceARN: arn,
      })),
    };
    invocations++;
    records += rs.length;
    await handler(event, lambdaContext());
    iterator = got.NextShardIterator;
  }
  return { invocations, records };
}
