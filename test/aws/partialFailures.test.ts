/**
 * Partial batch failures on the emulators: every SQS and stream handler gets a batch that mixes
 * good records with bad ones. Exactly the bad ones may be reported failed, retried and end in the
 * DLQ (SQS) or the on-failure destination (streams), while the good ones are stored once. An
 * empty failure list for a failed record would make Lambda delete it: a transaction lost.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  Context,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  KinesisStreamEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/aws/clients.js';
import type { Transaction } from '../../src/core/transaction.js';
import { handler as ingestHandler } from '../../src/handlers/ingest.js';
import { handler as notifyHandler } from '../../src/handlers/notify.js';
import { useClients } from '../../src/handlers/runtime.js';
import { handler as scoreHandler } from '../../src/handlers/score.js';
import { decisionStore } from '../../src/handlers/stores.js';
import { handler as streamHandler } from '../../src/handlers/stream.js';
import { handler as tableStreamHandler } from '../../src/handlers/tableStream.js';
import { packAlertMessages, packMessages } from '../../src/adapters/aws/queueMessages.js';
import { makeAlert } from '../helpers/alerts.js';
import { HEADER, TEST_PANS } from '../helpers/fixtures.js';
import { makeTx, money } from '../helpers/transactions.js';
import { drainQueue, emulatorClients } from './clients.js';
import {
  applyEnv,
  captureHandlerLogs,
  createStack,
  drainStream,
  dropFile,
  pumpQueue,
  runTableStream,
  sendTo,
  type Stack,
} from './harness.js';

const c: AwsClients = emulatorClients();
let restoreLogs: () => void;

beforeAll(() => {
  restoreLogs = captureHandlerLogs().restore;
});

afterAll(() => restoreLogs());

/**
 * Gives the enclosing group a stack of its own, with the handlers pointed at it, so no group
 * sees another's messages or decisions, whatever runs first or fails.
 */
function ownStack(): () => Stack {
  let stack: Stack | undefined;
  let restoreEnv = (): void => {};
  beforeAll(async () => {
    stack = await createStack(c);
    restoreEnv = applyEnv(stack.env);
    useClients(c);
  });
  afterAll(() => restoreEnv());
  return () => {
    if (!stack) throw new Error('the stack is not created yet');
    return stack;
  };
}

/** One invocation as the handler saw it: its records' ids and the ids it reported failed. */
interface Call {
  ids: string[];
  failed: string[];
}

/** Wraps an SQS handler to record each invocation's message ids and reported failures. */
function recordingSqs(
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  calls: Call[],
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  return async (event, context) => {
    const ids = event.Records.map((r) => r.messageId);
    try {
      const res = await handler(event, context);
      calls.push({ ids, failed: res.batchItemFailures.map((f) => f.itemIdentifier) });
      return res;
    } catch (e) {
      calls.push({ ids, failed: ids });
      throw e;
    }
  };
}

/** A queued transaction on its own account, so nothing else's history touches it. */
function queued(id: string, amount = '42.00'): { transaction: Transaction } {
  return { transaction: makeTx({ transactionId: id, accountId: `acct-${id}`, amount: money(amount) }) };
}

describe('score (transactions queue): a mixed batch', () => {
  const stack = ownStack();
  it('reports only the poison message; it is retried and ends in the DLQ, the good ones are decided once', async () => {
    // Prepare: three hand-off messages around a poison one, all in one receive.
    const good = [
      packMessages([queued('Q1'), queued('Q2')], 256 * 1024),
      packMessages([queued('Q3', '12000.00')], 256 * 1024),
      packMessages([queued('Q4'), queued('Q5')], 256 * 1024),
    ].flat();
    const poison = 'this is not a hand-off message';
    for (const body of [good[0], poison, good[1], good[2]] as string[]) await sendTo(c, stack().transactions.url, body);
    const calls: Call[] = [];

    // Act
    const drained = await pumpQueue(c, stack().transactions, recordingSqs(scoreHandler, calls), { batchSize: 10 });

    // Assess: the first invocation had all four and reported the poison alone
    const first = calls[0] as Call;
    expect(first.ids).toHaveLength(4);
    expect(first.failed).toHaveLength(1);
    expect(drained.failed).toEqual([poison, poison, poison]);
    expect([...drained.succeeded].sort()).toEqual([...good].sort());
    expect(await drainQueue(c.sqs, stack().transactions.dlqUrl)).toEqual([poison]);
    // Assess: each good transaction decided once (a second decision would have failed the put)
    const decided = await decisionStore().findDecisions(['Q1', 'Q2', 'Q3', 'Q4', 'Q5']);
    expect([...decided.keys()].sort()).toEqual(['Q1', 'Q2', 'Q3', 'Q4', 'Q5']);
    // Assess: the high-value one raised one alert, on the suspicious queue
    const alerts = (await drainQueue(c.sqs, stack().suspicious.url)).join('\n');
    expect(alerts.match(/"transaction_id":"Q3"/g)).toHaveLength(1);
  });
});

describe('ingest (raw events queue): a mixed batch', () => {
  const stack = ownStack();
  it('reports only the message that is no S3 event; the file is handed off once', async () => {
    // Prepare: an S3 event for a real file, a message that is no event, and two events ingest
    // must ignore without failing them: one for an object of the raw bucket outside the inbox,
    // one naming another bucket (with the key of an inbox file). Both objects exist, so handing
    // either off would show as transactions on the queue.
    const row = (id: string, i: number) => `${id},2026-03-01T10:0${i}:00Z,acc-${id},,15.00,USD,,,,,,`;
    const csv = `${HEADER}\n` + ['I1', 'I2', 'I3'].map(row).join('\n') + '\n';
    const fileEvent = await dropFile(c, stack(), 'mixed.csv', csv);
    const poison = '{"not":"an S3 event"}';
    const outsideCsv = `${HEADER}\n${row('OUT1', 0)}\n`;
    await c.s3.send(
      new PutObjectCommand({ Bucket: stack().rawBucket, Key: 'elsewhere/mixed.csv', Body: outsideCsv, ServerSideEncryption: 'aws:kms' }),
    );
    const outside = fileEvent.replace('"key":"inbox/mixed.csv"', '"key":"elsewhere/mixed.csv"');
    const otherCsv = `${HEADER}\n${row('OTHER1', 0)}\n`;
    const otherEvent = await dropFile(c, stack(), 'other.csv', otherCsv);
    const otherBucket = otherEvent.replaceAll(stack().rawBucket, 'someone-elses-bucket');
    expect(outside).not.toBe(fileEvent);
    expect(otherBucket).not.toBe(otherEvent);
    for (const body of [poison, fileEvent, outside, otherBucket]) await sendTo(c, stack().rawEvents.url, body);
    const calls: Call[] = [];

    // Act
    const drained = await pumpQueue(c, stack().rawEvents, recordingSqs(ingestHandler, calls), { batchSize: 10 });

    // Assess
    expect((calls[0] as Call).ids).toHaveLength(4);
    expect((calls[0] as Call).failed).toHaveLength(1);
    expect(drained.failed).toEqual([poison, poison, poison]);
    expect([...drained.succeeded].sort()).toEqual([fileEvent, outside, otherBucket].sort());
    expect(await drainQueue(c.sqs, stack().rawEvents.dlqUrl)).toEqual([poison]);
    const handedOff = (await drainQueue(c.sqs, stack().transactions.url)).join('\n');
    for (const id of ['I1', 'I2', 'I3']) expect(handedOff.match(new RegExp(`"transactionId":"${id}"`, 'g'))).toHaveLength(1);
    expect(handedOff).not.toContain('OUT1');
    expect(handedOff).not.toContain('OTHER1');
  });
});

describe('notify (suspicious queue): a mixed batch', () => {
  const stack = ownStack();
  it('reports only the poison message; every good alert reaches SNS once', async () => {
    // Prepare: two alert messages (three alerts) around a poison one.
    const alert = (id: number) => makeAlert({ id, transaction_id: `N${id}`, reasons: [{ rule: 'high_value', weight: 60, detail: 'over' }] });
    const good = [...packAlertMessages([alert(1), alert(2)], 256 * 1024), ...packAlertMessages([alert(3)], 256 * 1024)];
    const poison = '{"v":1,"alerts":"nope"}';
    for (const body of [good[0], poison, good[1]] as string[]) await sendTo(c, stack().suspicious.url, body);
    const calls: Call[] = [];

    // Act
    const drained = await pumpQueue(c, stack().suspicious, recordingSqs(notifyHandler, calls), { batchSize: 10 });

    // Assess
    expect((calls[0] as Call).ids).toHaveLength(3);
    expect((calls[0] as Call).failed).toHaveLength(1);
    expect(drained.failed).toEqual([poison, poison, poison]);
    expect(await drainQueue(c.sqs, stack().suspicious.dlqUrl)).toEqual([poison]);
    const published = (await drainQueue(c.sqs, stack().alertInboxUrl)).map((b) => (JSON.parse(b) as { Message: string }).Message);
    expect(published.map((m) => /N\d/.exec(m)?.[0]).sort()).toEqual(['N1', 'N2', 'N3']);
  });
});

/** A stream transaction (the input schema, card number included). */
function streamRecord(id: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    transaction_id: id,
    timestamp: '2026-03-02T10:00:00Z',
    account_id: `acct-${id}`,
    card_number: TEST_PANS[0] as string,
    amount: '42.10',
    ...extra,
  };
}

/**
 * A valid transaction that can never be stored: its attributes make the decision item larger
 * than DynamoDB's 400 KB item limit, so scoring any batch holding it fails.
 */
function unstorable(id: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (let i = 0; i < 1800; i++) attributes[`note_${i}`] = 'x'.repeat(250);
  return streamRecord(id, attributes);
}

describe('stream (Kinesis): a mixed batch', () => {
  const stack = ownStack();
  it('sends only the record that cannot be stored to the on-failure queue; the valid ones are decided once', async () => {
    // Prepare: ten records in one batch: valid ones, one that is no transaction (rejected, never
    // retried) and one that can never be stored (a poison record).
    const before = await decisionStore().stats();
    const records = [
      streamRecord('K1'),
      streamRecord('K2'),
      { not: 'a transaction' },
      streamRecord('K3'),
      unstorable('K-POISON'),
      streamRecord('K4'),
      streamRecord('K5', { amount: '25000.00' }),
      streamRecord('K6'),
      streamRecord('K7'),
      streamRecord('K8'),
    ];
    // An eleventh record is no JSON at all (rejected like the invalid one, never retried).
    const data = [...records.map((r) => Buffer.from(JSON.stringify(r))), Buffer.from('{"transaction_id":')];
    const put = await c.kinesis.send(
      new PutRecordsCommand({
        StreamName: stack().streamName,
        Records: data.map((d, i) => ({ Data: d, PartitionKey: String(i) })),
      }),
    );
    const seq = (put.Records ?? []).map((r) => r.SequenceNumber ?? '');
    const invalidSeq = seq[2] as string;
    const poisonSeq = seq[4] as string;
    const undecodableSeq = seq[10] as string;
    const reported: string[][] = [];
    const recording = async (event: KinesisStreamEvent, context: Context) => {
      const res = await streamHandler(event, context);
      reported.push(res.batchItemFailures.map((f) => f.itemIdentifier));
      return res;
    };

    // Act
    const run = await drainStream(c, stack(), recording, { batchSize: 11 });

    // Assess: the first batch held all eleven and reported every valid record (scoring is one
    // batch); bisection isolated the poison, which alone was retried and then given up on.
    expect(run.batches[0]).toEqual(seq);
    expect(reported[0]).toEqual(seq.filter((s) => s !== invalidSeq && s !== undecodableSeq));
    expect(reported.flat()).not.toContain(invalidSeq);
    expect(reported.flat()).not.toContain(undecodableSeq);
    expect(run.onFailure).toEqual([poisonSeq]);
    expect(run.batches.filter((b) => b.length === 1 && b[0] === poisonSeq)).toHaveLength(4);
    const failures = (await drainQueue(c.sqs, stack().streamFailuresUrl)).map(
      (b) => (JSON.parse(b) as { KinesisBatchInfo: { startSequenceNumber: string; endSequenceNumber: string } }).KinesisBatchInfo,
    );
    expect(failures).toEqual([expect.objectContaining({ startSequenceNumber: poisonSeq, endSequenceNumber: poisonSeq })]);
    // Assess: the eight valid ones decided once, however many times their batches ran
    const ids = ['K1', 'K2', 'K3', 'K4', 'K5', 'K6', 'K7', 'K8'];
    expect([...(await decisionStore().findDecisions([...ids, 'K-POISON'])).keys()].sort()).toEqual(ids);
    expect((await decisionStore().stats()).decisions - before.decisions).toBe(8);
  });
});

describe('table stream (transactions table): a mixed batch', () => {
  const stack = ownStack();
  /** An INSERT stream record of a transactions-table item, as DynamoDB Streams sends it. */
  function insert(sequence: number, item: Record<string, unknown>): DynamoDBRecord {
    const image = marshall(item, { removeUndefinedValues: true }) as Record<string, AttributeValue>;
    return {
      eventID: String(sequence),
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        Keys: { id: { S: String(item.id) } },
        NewImage: image as never,
        SequenceNumber: String(sequence),
        StreamViewType: 'NEW_IMAGE',
      },
    };
  }

  it('sends only the item that cannot be scored to the on-failure queue; the others are decided once', async () => {
    // Prepare: items as the API stores them, one of them corrupt (a time that is no time), plus
    // records to ignore without failing them: a modification, an item without a transaction, an
    // insert without a new image (a keys-only view) and a removal without stream data.
    const tx = (id: string): Transaction => queued(id).transaction;
    const keysOnly: DynamoDBRecord = {
      eventID: '107',
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { Keys: { id: { S: 'T-KEYS' } }, SequenceNumber: '107', StreamViewType: 'KEYS_ONLY' },
    };
    const bare: DynamoDBRecord = { eventID: '108', eventName: 'REMOVE', eventSource: 'aws:dynamodb' };
    const records = [
      insert(101, { id: 'T1', tx: tx('T1') }),
      insert(102, { id: 'T2', tx: tx('T2') }),
      insert(103, { id: 'T-BAD', tx: { ...tx('T-BAD'), timestamp: 'yesterday' } }),
      { ...insert(104, { id: 'T1', tx: tx('T1') }), eventName: 'MODIFY' as const },
      insert(105, { id: 'T3', tx: tx('T3') }),
      insert(106, { id: 'T-EMPTY' }),
      keysOnly,
      bare,
    ];
    const reported: string[][] = [];
    const recording = async (event: DynamoDBStreamEvent, context: Context) => {
      const res = await tableStreamHandler(event, context);
      reported.push(res.batchItemFailures.map((f) => f.itemIdentifier));
      return res;
    };

    // Act
    const run = await runTableStream(c, stack(), records, recording, { batchSize: 10 });

    // Assess
    expect(reported[0]).toEqual(['101', '102', '103', '105']);
    expect(run.onFailure).toEqual(['103']);
    const failures = (await drainQueue(c.sqs, stack().tableStreamFailuresUrl)).map(
      (b) => (JSON.parse(b) as { DDBStreamBatchInfo: { startSequenceNumber: string } }).DDBStreamBatchInfo,
    );
    expect(failures).toEqual([expect.objectContaining({ startSequenceNumber: '103', endSequenceNumber: '103' })]);
    expect([...(await decisionStore().findDecisions(['T1', 'T2', 'T3', 'T-BAD'])).keys()].sort()).toEqual(['T1', 'T2', 'T3']);
  });
});
