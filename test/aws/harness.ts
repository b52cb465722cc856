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
import type {
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  KinesisStreamRecord,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
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
  /** The Kinesis mapping's on-failure destination (batch metadata of records that kept failing). */
  streamFailuresUrl: string;
  /** The transactions-table stream mapping's on-failure destination. */
  tableStreamFailuresUrl: string;
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
  const streamFailures = await c.sqs.send(new CreateQueueCommand({ QueueName: `${id}-stream-failures` }));
  const tableStreamFailures = await c.sqs.send(new CreateQueueCommand({ QueueName: `${id}-table-stream-failures` }));
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
  return {
    rawBucket,
    refinedBucket,
    rawEvents,
    transactions,
    suspicious,
    topicArn,
    alertInboxUrl,
    tables,
    streamName,
    streamFailuresUrl: streamFailures.QueueUrl ?? '',
    tableStreamFailuresUrl: tableStreamFailures.QueueUrl ?? '',
    env,
  };
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

/** The partial-batch response of a stream handler (Kinesis, DynamoDB Streams). */
type StreamBatchResponse = { batchItemFailures?: { itemIdentifier?: string }[] } | undefined;

/** What a stream event source mapping did. */
export interface StreamRun {
  /** Handler invocations. */
  invocations: number;
  /** Records read from the source. */
  records: number;
  /** The sequence numbers of each invocation's batch, in order. */
  batches: string[][];
  /** Sequence numbers of the records whose batch went to the on-failure destination. */
  onFailure: string[];
}

/** Options of a stream event source mapping (the CDK app's: bisect on error, 3 retries). */
export interface StreamSourceOptions {
  /** @default 100 */
  batchSize?: number;
  /** Retries of a batch of one record before it goes to the on-failure destination. @default 3 */
  retryAttempts?: number;
}

/**
 * A stream event source mapping, in miniature, configured as the CDK app configures both stream
 * sources (bisect on error, partial batch responses, retries, an on-failure queue). Records go
 * to the handler in order, `batchSize` at a time. When the handler throws, the whole batch
 * failed; when it reports failures, the batch is done up to the lowest sequence number reported
 * (an unknown identifier fails it all). What failed is split in two and each half retried in
 * order (splitting does not count as a retry); a single record that still fails is retried
 * `retryAttempts` times, then its batch's metadata (not the record) goes to the on-failure queue
 * and the mapping moves on.
 */
async function runStreamSource<R>(
  records: readonly R[],
  sequenceOf: (r: R) => string,
  invoke: (batch: readonly R[]) => Promise<StreamBatchResponse>,
  onFailure: (batch: readonly R[], invokeCount: number) => Promise<void>,
  options: StreamSourceOptions,
): Promise<StreamRun> {
  const batchSize = options.batchSize ?? 100;
  const retryAttempts = options.retryAttempts ?? 3;
  const run: StreamRun = { invocations: 0, records: records.length, batches: [], onFailure: [] };
  // Work to do, next first: a batch and the attempts it has had.
  const work: { batch: readonly R[]; attempts: number }[] = [];
  for (let start = 0; start < records.length; start += batchSize) work.push({ batch: records.slice(start, start + batchSize), attempts: 0 });
  while (work.length > 0) {
    const { batch, attempts } = work.shift() as { batch: readonly R[]; attempts: number };
    run.invocations++;
    run.batches.push(batch.map(sequenceOf));
    let failedFrom: number;
    try {
      const res = await invoke(batch);
      const reported = (res?.batchItemFailures ?? []).map((f) => f.itemIdentifier ?? '');
      if (reported.length === 0) continue;
      const positions = reported.map((id) => batch.findIndex((r) => sequenceOf(r) === id));
      failedFrom = positions.includes(-1) ? 0 : Math.min(...positions);
    } catch {
      failedFrom = 0;
    }
    const failed = batch.slice(failedFrom);
    if (failed.length > 1) {
      const half = Math.ceil(failed.length / 2);
      work.unshift({ batch: failed.slice(0, half), attempts }, { batch: failed.slice(half), attempts });
    } else if (attempts < retryAttempts) {
      work.unshift({ batch: failed, attempts: attempts + 1 });
    } else {
      await onFailure(failed, attempts + 1);
      run.onFailure.push(...failed.map(sequenceOf));
    }
  }
  return run;
}

/**
 * The Kinesis event source: reads the stream's shard from the start and hands its records to
 * the handler as real `KinesisStreamEvent`s through the mapping model above; what keeps failing
 * is recorded on `stack.streamFailuresUrl` as Lambda records it (`KinesisBatchInfo`).
 */
export async function drainStream(
  c: AwsClients,
  stack: Pick<Stack, 'streamName' | 'streamFailuresUrl'>,
  handler: (event: KinesisStreamEvent, context: Context) => Promise<StreamBatchResponse>,
  options: StreamSourceOptions = {},
): Promise<StreamRun> {
  const streamName = stack.streamName;
  const d = await c.kinesis.send(new DescribeStreamCommand({ StreamName: streamName }));
  const shard = d.StreamDescription?.Shards?.[0]?.ShardId ?? 'shardId-000000000000';
  const arn = d.StreamDescription?.StreamARN ?? `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${streamName}`;
  const it = await c.kinesis.send(
    new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  const all: KinesisStreamRecord[] = [];
  let iterator = it.ShardIterator;
  while (iterator) {
    const got = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    const rs = got.Records ?? [];
    if (rs.length === 0) break;
    for (const r of rs) {
      all.push({
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
      });
    }
    iterator = got.NextShardIterator;
  }
  return runStreamSource(
    all,
    (r) => r.kinesis.sequenceNumber,
    (batch) => handler({ Records: [...batch] }, lambdaContext()),
    async (batch, invokeCount) => {
      const first = batch[0] as KinesisStreamRecord;
      const last = batch[batch.length - 1] as KinesisStreamRecord;
      await sendTo(
        c,
        stack.streamFailuresUrl,
        JSON.stringify({
          requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: invokeCount },
          version: '1.0',
          timestamp: new Date().toISOString(),
          KinesisBatchInfo: {
            shardId: shard,
            startSequenceNumber: first.kinesis.sequenceNumber,
            endSequenceNumber: last.kinesis.sequenceNumber,
            batchSize: batch.length,
            streamArn: arn,
          },
        }),
      );
    },
    options,
  );
}

/**
 * The transactions-table stream source (dynalite has no streams: the test builds the records):
 * the same mapping model, recording what keeps failing on `stack.tableStreamFailuresUrl` as
 * Lambda records it (`DDBStreamBatchInfo`).
 */
export function runTableStream(
  c: AwsClients,
  stack: Pick<Stack, 'tableStreamFailuresUrl'>,
  records: readonly DynamoDBRecord[],
  handler: (event: DynamoDBStreamEvent, context: Context) => Promise<StreamBatchResponse>,
  options: StreamSourceOptions = {},
): Promise<StreamRun> {
  const seq = (r: DynamoDBRecord): string => r.dynamodb?.SequenceNumber ?? '';
  return runStreamSource(
    records,
    seq,
    (batch) => handler({ Records: [...batch] }, lambdaContext()),
    async (batch, invokeCount) => {
      await sendTo(
        c,
        stack.tableStreamFailuresUrl,
        JSON.stringify({
          requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: invokeCount },
          version: '1.0',
          timestamp: new Date().toISOString(),
          DDBStreamBatchInfo: {
            startSequenceNumber: seq(batch[0] as DynamoDBRecord),
            endSequenceNumber: seq(batch[batch.length - 1] as DynamoDBRecord),
            batchSize: batch.length,
          },
        }),
      );
    },
    options,
  );
}

/**
 * Keeps the handlers' log and metric lines off the test output and in `lines`, to be checked (no
 * card number, say). Powertools writes JSON lines: DEBUG and INFO logs and metrics to stdout,
 * WARN and ERROR logs to stderr; both are captured. Other output passes through.
 */
export function captureHandlerLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const patch = (stream: NodeJS.WriteStream): (() => void) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const line = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      lines.push(line);
      if (line.startsWith('{"level"') || line.startsWith('{"_aws"')) return true;
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  };
  const undo = [patch(process.stdout), patch(process.stderr)];
  return {
    lines,
    restore: () => {
      for (const u of undo) u();
    },
  };
}
