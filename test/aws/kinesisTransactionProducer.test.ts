import {
  CreateStreamCommand,
  type KinesisClient,
  type PutRecordsCommandInput,
  type PutRecordsCommandOutput,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeKinesisRecord, KinesisRecordError } from '../../src/adapters/aws/kinesis.js';
import { readStream } from '../../src/adapters/aws/kinesisReader.js';
import { KinesisPutError, KinesisTransactionProducer } from '../../src/adapters/aws/KinesisTransactionProducer.js';
import { emulatorClients, uniqueName } from './clients.js';

interface Row {
  transaction_id: string;
  account_id: string;
  amount: string;
  timestamp: string;
}

function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    transaction_id: `k-${String(i).padStart(5, '0')}`,
    account_id: `acc-${i % 37}`,
    amount: `${10 + (i % 500)}.25`,
    timestamp: new Date(Date.UTC(2024, 2, 1) + i * 1000).toISOString(),
  }));
}

async function createStream(kinesis: KinesisClient, shards: number): Promise<string> {
  const name = uniqueName('tx-stream');
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName: name });
  return name;
}

describe('KinesisTransactionProducer on kinesalite', () => {
  let kinesis: KinesisClient;

  beforeAll(() => {
    kinesis = emulatorClients().kinesis;
  });

  it('puts 1,200 records in chunks of 500 and reads every one back', async () => {
    // Prepare
    const stream = await createStream(kinesis, 3);
    const producer = new KinesisTransactionProducer(kinesis, { streamName: stream });
    const sent = rows(1200);
    // Act
    const { records, requests } = await producer.put(sent, (r) => r.account_id);
    const back = await readStream(kinesis, stream);
    // Assess
    expect(records).toBe(1200);
    expect(requests).toBe(3);
    expect(new Set(back.map((r) => r.shardId)).size).toBe(3);
    const decoded = back.map((r) => decodeKinesisRecord(r.data) as Row);
    expect(decoded.sort((a, b) => a.transaction_id.localeCompare(b.transaction_id))).toEqual(sent);
    // Same partition key, same shard, in put order.
    const acc5 = back.filter((r) => r.partitionKey === 'acc-5');
    expect(new Set(acc5.map((r) => r.shardId)).size).toBe(1);
    const ids = acc5.map((r) => (decodeKinesisRecord(r.data) as Row).transaction_id);
    expect(ids).toEqual([...ids].sort());
  });

  it('retries the records Kinesis failed and each lands once', async () => {
    // Prepare: the first PutRecords "throttles" every third record (they are not sent).
    const stream = await createStream(kinesis, 1);
    const client = emulatorClients().kinesis;
    let calls = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutRecordsCommand' || calls++ > 0) return next(args);
        const input = args.input as PutRecordsCommandInput;
        const all = input.Records ?? [];
        const kept = all.filter((_, i) => i % 3 !== 0);
        const result = await next({ ...args, input: { ...input, Records: kept } });
        const output = result.output as PutRecordsCommandOutput;
        const sentResults = [...(output.Records ?? [])];
        output.Records = all.map((_, i) =>
          i % 3 === 0
            ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'injected' }
            : (sentResults.shift() ?? {}),
        );
        output.FailedRecordCount = Math.ceil(all.length / 3);
        return result;
      },
      { step: 'initialize', name: 'throttleSome' },
    );
    const producer = new KinesisTransactionProducer(client, { streamName: stream }, { baseDelayMs: 1 });
    const sent = rows(30);
    // Act
    const { records, requests } = await producer.put(sent, (r) => r.account_id);
    const back = (await readStream(kinesis, stream)).map((r) => (decodeKinesisRecord(r.data) as Row).transaction_id);
    // Assess
    expect(records).toBe(30);
    expect(requests).toBe(2);
    expect(back.sort()).toEqual(sent.map((r) => r.transaction_id));
  });

  it('gives up after maxAttempts and says which records failed', async () => {
    // Prepare: every record fails, every time (the emulator cannot be made to fail per record).
    const client = emulatorClients().kinesis;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutRecordsCommand') return next(args);
        const n = (args.input as PutRecordsCommandInput).Records?.length ?? 0;
        return {
          response: {},
          output: {
            $metadata: {},
            FailedRecordCount: n,
            Records: Array.from({ length: n }, () => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'down' })),
          },
        };
      },
      { step: 'initialize', name: 'alwaysThrottle' },
    );
    const producer = new KinesisTransactionProducer(client, { streamName: 'any' }, { maxAttempts: 2, baseDelayMs: 1 });
    // Act
    const error = await producer.put(rows(2), (r) => r.account_id).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(KinesisPutError);
    expect((error as KinesisPutError).failures.map((f) => f.index)).toEqual([0, 1]);
    expect((error as KinesisPutError).message).toMatch(/refused 2 record\(s\) for any .*InternalFailure: down/);
  });

  it('refuses an oversized record or a bad partition key before sending anything', async () => {
    const producer = new KinesisTransactionProducer(kinesis, { streamName: 'never-called' });
    await expect(producer.put([{ blob: 'x'.repeat(1024 * 1024) }], () => 'k')).rejects.toThrow(/record 0 is \d+ bytes/);
    await expect(producer.put([{ a: 1 }], () => '')).rejects.toThrow(/partition key must be 1–256 characters/);
  });
});

describe('decodeKinesisRecord', () => {
  const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

  it('decodes base64 JSON', () => {
    expect(decodeKinesisRecord(b64('{"transaction_id":"t1","amount":"12.50"}'))).toEqual({
      transaction_id: 't1',
      amount: '12.50',
    });
  });

  it('says which step failed, without quoting the content', () => {
    const pan = ['5555', '5555', '5555', '4444'].join('');
    expect(() => decodeKinesisRecord('')).toThrow(/empty/);
    expect(() => decodeKinesisRecord('not base64!')).toThrow(KinesisRecordError);
    expect(() => decodeKinesisRecord(Buffer.from([0xff, 0xfe, 0xfd]).toString('base64'))).toThrow(/not UTF-8/);
    const error = (() => {
      try {
        decodeKinesisRecord(b64(`{"card_number":${pan}x}`));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^Kinesis record is not JSON \(\d+ bytes/);
    expect(error?.message).not.toContain(pan);
  });
});
