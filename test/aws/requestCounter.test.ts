import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { KinesisTransactionProducer } from '../../src/adapters/aws/KinesisTransactionProducer.js';
import { attachRequestCounter, RequestCounter } from '../../src/adapters/aws/requestCounter.js';
import { S3ObjectStore } from '../../src/adapters/aws/S3ObjectStore.js';
import { SnsAlertSink } from '../../src/adapters/aws/SnsAlertSink.js';
import { SqsTransactionQueue } from '../../src/adapters/aws/SqsTransactionQueue.js';
import { packMessages } from '../../src/adapters/aws/queueMessages.js';
import type { QueuedTransaction } from '../../src/ports/TransactionQueue.js';
import { makeAlert } from '../helpers/alerts.js';
import { makeTx } from '../helpers/transactions.js';
import { createQueue, drainQueue, emulatorClients, uniqueName } from './clients.js';

const MiB = 1024 * 1024;

describe('RequestCounter on the emulators', () => {
  it('counts each request per service:Operation, across every client', async () => {
    // Prepare
    const clients = emulatorClients();
    const counter = new RequestCounter();
    attachRequestCounter(clients, counter);
    // Attaching again counts once.
    attachRequestCounter(clients, counter);
    const bucket = uniqueName('counted');
    const table = uniqueName('counted');
    const stream = uniqueName('counted');
    // Act
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const store = new S3ObjectStore(clients.s3, bucket, { partBytes: 5 * MiB });
    await store.write('a.txt', 'a');
    async function* sixMiB(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 6; i++) yield Buffer.alloc(MiB, i);
    }
    await store.write('big.bin', sixMiB());
    await store.exists('missing');

    const url = await createQueue(clients.sqs, uniqueName('counted'));
    const items: QueuedTransaction[] = Array.from({ length: 3000 }, (_, i) => ({
      transaction: makeTx({ transactionId: `c-${i}` }),
    }));
    const { requests: sends } = await new SqsTransactionQueue(clients.sqs, url).send(items);
    await drainQueue(clients.sqs, url);

    const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: uniqueName('counted') }));
    await new SnsAlertSink(clients.sns, TopicArn ?? '').deliver([makeAlert({ id: 1 }), makeAlert({ id: 2 })]);

    await clients.dynamo.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await clients.dynamo.send(new PutCommand({ TableName: table, Item: { id: 'x', n: 1 } }));
    await clients.dynamo.send(new GetCommand({ TableName: table, Key: { id: 'x' } }));

    await clients.kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
    await waitUntilStreamExists({ client: clients.kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: stream });
    const before = counter.get('Kinesis:DescribeStream').requests;
    await new KinesisTransactionProducer(clients.kinesis, { streamName: stream }).put([{ a: 1 }, { a: 2 }], () => 'k');

    // Assess
    const bodies = packMessages(items, 256 * 1024);
    const payload = bodies.reduce((s, b) => s + Buffer.byteLength(b), 0);
    const snap = counter.snapshot();
    expect(snap['S3:CreateBucket']?.requests).toBe(1);
    expect(snap['S3:PutObject']?.requests).toBe(1);
    expect(snap['S3:CreateMultipartUpload']?.requests).toBe(1);
    expect(snap['S3:UploadPart']?.requests).toBe(2);
    expect(snap['S3:CompleteMultipartUpload']?.requests).toBe(1);
    expect(snap['S3:HeadObject']?.requests).toBe(1);
    expect(snap['SQS:CreateQueue']?.requests).toBe(1);
    expect(snap['SQS:SendMessageBatch']).toEqual({
      requests: sends,
      payloadBytes: payload,
      billedRequests: bodies.reduce((s, b) => s + Math.ceil(Buffer.byteLength(b) / (64 * 1024)), 0),
    });
    expect(snap['SQS:ReceiveMessage']?.payloadBytes).toBe(payload);
    expect(snap['SQS:DeleteMessageBatch']?.requests).toBe(bodies.length > 10 ? 2 : 1);
    expect(snap['SNS:CreateTopic']?.requests).toBe(1);
    expect(snap['SNS:PublishBatch']?.requests).toBe(1);
    expect(snap['SNS:PublishBatch']?.billedRequests).toBe(1);
    expect(snap['DynamoDB:CreateTable']?.requests).toBe(1);
    expect(snap['DynamoDB:PutItem']).toEqual({ requests: 1, billedRequests: 1, payloadBytes: 0 });
    expect(snap['DynamoDB:GetItem']?.requests).toBe(1);
    expect(snap['Kinesis:CreateStream']?.requests).toBe(1);
    expect(before).toBeGreaterThanOrEqual(1);
    expect(snap['Kinesis:PutRecords']?.requests).toBe(1);
    expect(Object.keys(snap)).toEqual(Object.keys(snap).sort());
    expect(counter.total().requests).toBe(Object.values(snap).reduce((s, t) => s + t.requests, 0));
  });

  it('counts nothing on clients it is not attached to, and resets', async () => {
    // Prepare
    const counter = new RequestCounter();
    const counted = emulatorClients();
    const other = emulatorClients();
    counter.attach(counted.sqs);
    // Act
    await createQueue(other.sqs, uniqueName('uncounted'));
    await createQueue(counted.sqs, uniqueName('counted'));
    // Assess
    expect(counter.snapshot()).toEqual({ 'SQS:CreateQueue': { requests: 1, billedRequests: 1, payloadBytes: 0 } });
    counter.reset();
    expect(counter.total()).toEqual({ requests: 0, billedRequests: 0, payloadBytes: 0 });
  });

  it('counts document-client calls when attached to the inner DynamoDBClient (they share one stack)', async () => {
    // Prepare
    const inner = new DynamoDBClient({
      endpoint: inject('aws').dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const doc = DynamoDBDocumentClient.from(inner);
    const counter = new RequestCounter();
    counter.attach(inner);
    counter.attach(doc);
    const table = uniqueName('inner');
    // Act
    await inner.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await doc.send(new PutCommand({ TableName: table, Item: { id: 'y' } }));
    // Assess
    expect(counter.snapshot()).toEqual({
      'DynamoDB:CreateTable': { requests: 1, billedRequests: 1, payloadBytes: 0 },
      'DynamoDB:PutItem': { requests: 1, billedRequests: 1, payloadBytes: 0 },
    });
  });
});
