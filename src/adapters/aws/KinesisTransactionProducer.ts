import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { backoff, sleep } from './sqsBatch.js';

/** Kinesis caps per PutRecords: 500 records, 5 MiB (data and partition keys); 1 MiB per record. */
export const KINESIS_BATCH_RECORDS = 500;
export const KINESIS_BATCH_BYTES = 5 * 1024 * 1024;
export const KINESIS_RECORD_BYTES = 1024 * 1024;

/** Options of {@link KinesisTransactionProducer}. */
export interface KinesisTransactionProducerOptions {
  /** Attempts per record, first included, for records Kinesis fails (throttling, internal). @default 5 */
  maxAttempts?: number;
  /** First retry delay, doubled each attempt, with jitter. @default 100 */
  baseDelayMs?: number;
}

/** Records Kinesis still refused after the retries. */
export class KinesisPutError extends Error {
  override readonly name = 'KinesisPutError';
  constructor(
    readonly stream: string,
    /** Each refused record: its index in the `put` call, Kinesis's code and message. */
    readonly failures: { index: number; code: string; message: string }[],
    /** Records Kinesis accepted. */
    readonly put: number,
  ) {
    const first = failures[0];
    super(
      `Kinesis refused ${failures.length} record(s) for ${stream}` +
        (first ? ` (first: record ${first.index}, ${first.code}: ${first.message})` : '') +
        `; ${put} were put`,
    );
  }
}

/**
 * Puts JSON records on a Kinesis stream (the `stream` entry point): PutRecords in chunks of at
 * most 500 records and 5 MiB, failed records (FailedRecordCount) retried with backoff, bounded.
 * A retried record lands after records put later with the same partition key, so ordering
 * within a key holds only when nothing is retried.
 *
 * @example
 * ```ts
 * const producer = new KinesisTransactionProducer(clients.kinesis, { streamArn });
 * await producer.put(rows, (r) => r.account_id);
 * ```
 */
export class KinesisTransactionProducer {
  private readonly kinesis: KinesisClient;
  private readonly target: { StreamName?: string; StreamARN?: string };
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    kinesis: KinesisClient,
    stream: { streamName: string } | { streamArn: string },
    options: KinesisTransactionProducerOptions = {},
  ) {
    this.kinesis = kinesis;
    this.target = 'streamArn' in stream ? { StreamARN: stream.streamArn } : { StreamName: stream.streamName };
    this.maxAttempts = options.maxAttempts ?? 5;
    this.baseDelayMs = options.baseDelayMs ?? 100;
  }

  /**
   * Puts the records as UTF-8 JSON. Throws a RangeError (before sending anything) when a record
   * is over 1 MiB or a partition key is empty or over 256 characters, and {@link KinesisPutError}
   * when records were still refused after the retries.
   */
  async put<T extends object>(
    records: readonly T[],
    partitionKey: (record: T) => string,
  ): Promise<{ records: number; requests: number }> {
    const entries = records.map((r, i) => toEntry(r, i, partitionKey(r)));
    let requests = 0;
    let put = 0;
    const failures: KinesisPutError['failures'] = [];
    for (const chunk of chunks(entries)) {
      let pending = chunk;
      for (let attempt = 1; pending.length > 0; attempt++) {
        requests++;
        const out = await this.kinesis.send(
          new PutRecordsCommand({ ...this.target, Records: pending.map((p) => p.entry) }),
        );
        const results = out.Records ?? [];
        const retry: typeof pending = [];
        pending.forEach((p, k) => {
          const r = results[k];
          if (r && !r.ErrorCode) {
            put++;
            return;
          }
          if (attempt >= this.maxAttempts) {
            failures.push({ index: p.index, code: r?.ErrorCode ?? 'NoResult', message: r?.ErrorMessage ?? '' });
          } else retry.push(p);
        });
        pending = retry;
        if (pending.length > 0) await sleep(backoff(this.baseDelayMs, attempt));
      }
    }
    if (failures.length > 0) {
      throw new KinesisPutError(this.target.StreamARN ?? this.target.StreamName ?? '', failures, put);
    }
    return { records: put, requests };
  }
}

interface Sized {
  index: number;
  bytes: number;
  entry: PutRecordsRequestEntry;
}

function toEntry(record: object, index: number, key: string): Sized {
  if (key.length === 0 || key.length > 256) {
    throw new RangeError(`record ${index}: partition key must be 1–256 characters, got ${key.length}`);
  }
  const data = Buffer.from(JSON.stringify(record), 'utf8');
  const bytes = data.length + Buffer.byteLength(key, 'utf8');
  if (bytes > KINESIS_RECORD_BYTES) {
    throw new RangeError(`record ${index} is ${bytes} bytes, over Kinesis's ${KINESIS_RECORD_BYTES}-byte record limit`);
  }
  return { index, bytes, entry: { Data: data, PartitionKey: key } };
}

function* chunks(entries: Sized[]): Generator<Sized[]> {
  let chunk: Sized[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (chunk.length === KINESIS_BATCH_RECORDS || bytes + e.bytes > KINESIS_BATCH_BYTES) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += e.bytes;
  }
  if (chunk.length > 0) yield chunk;
}
