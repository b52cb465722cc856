import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';

/** A record read back from a shard, shaped like a `KinesisStreamEvent` record's `kinesis` part. */
export interface ShardRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  /** The record's bytes, base64 (as Lambda delivers them). */
  data: string;
  approximateArrivalTimestamp: number;
}

/**
 * Reads every record currently in a stream, shard by shard from the oldest (TRIM_HORIZON) or
 * after a sequence number per shard: for tests and for the emulator event-source poller that
 * feeds the `stream` handler. Stops on a shard when a read returns nothing and it has caught up.
 */
export async function readStream(
  kinesis: KinesisClient,
  streamName: string,
  after: Record<string, string> = {},
): Promise<ShardRecord[]> {
  const shardIds: string[] = [];
  let token: string | undefined;
  do {
    const out = await kinesis.send(
      new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }),
    );
    for (const s of out.Shards ?? []) if (s.ShardId) shardIds.push(s.ShardId);
    token = out.NextToken;
  } while (token);
  const all: ShardRecord[] = [];
  for (const shardId of shardIds) all.push(...(await readShard(kinesis, streamName, shardId, after[shardId])));
  return all;
}

/** Reads one shard from TRIM_HORIZON (or after `afterSequenceNumber`) up to its current tip. */
export async function readShard(
  kinesis: KinesisClient,
  streamName: string,
  shardId: string,
  afterSequenceNumber?: string,
): Promise<ShardRecord[]> {
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({
      StreamName: streamName,
      ShardId: shardId,
      ...(afterSequenceNumber
        ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: afterSequenceNumber }
        : { ShardIteratorType: 'TRIM_HORIZON' }),
    }),
  );
  const records: ShardRecord[] = [];
  let iterator = ShardIterator;
  while (iterator) {
    const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of out.Records ?? []) {
      records.push({
        shardId,
        sequenceNumber: r.SequenceNumber ?? '',
        partitionKey: r.PartitionKey ?? '',
        data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
      });
    }
    if ((out.Records ?? []).length === 0 && (out.MillisBehindLatest ?? 0) === 0) break;
    iterator = out.NextShardIterator;
  }
  return records;
}
