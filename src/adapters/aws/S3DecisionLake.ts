import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Decision } from '../../core/scoring.js';
import type { Transaction } from '../../core/transaction.js';
import { encodeLakeParquet } from './lakeFiles.js';
import { byLakeDate, LAKE_PARTITION, LAKE_PREFIX, lakeRow } from './lakeSchema.js';

/** Options of {@link S3DecisionLake}. */
export interface S3DecisionLakeOptions {
  s3: S3Client;
  /** The refined bucket. */
  bucket: string;
  /** Key prefix of the lake (the Glue table's location). @default `lake/decisions/` */
  prefix?: string;
}

/**
 * The decision lake on S3: each scored batch becomes one Parquet object per UTC day it touches,
 * `lake/decisions/date=YYYY-MM-DD/<batch>.parquet`, never one object per transaction.
 *
 * The object's name is derived from the batch's transaction ids, so writing the same batch again
 * (a redelivered message, a retried stream batch) replaces the object instead of adding a
 * second copy of its rows.
 *
 * @example
 * const lake = new S3DecisionLake({ s3, bucket: 'refined' });
 * const keys = await lake.write(batchIds, decidedItems);
 */
export class S3DecisionLake {
  private readonly prefix: string;

  constructor(private readonly options: S3DecisionLakeOptions) {
    this.prefix = options.prefix ?? LAKE_PREFIX;
  }

  /**
   * Writes `items` (decided transactions of one batch) and returns the keys written. `batchIds`
   * are the ids of the whole batch as delivered; they name the objects.
   */
  async write(
    batchIds: readonly string[],
    items: readonly { transaction: Transaction; decision: Decision }[],
  ): Promise<string[]> {
    if (items.length === 0) return [];
    const name = batchName(batchIds);
    const keys: string[] = [];
    for (const [date, rows] of byLakeDate(items.map((i) => lakeRow(i.transaction, i.decision)))) {
      const key = `${this.prefix}${LAKE_PARTITION}=${date}/${name}.parquet`;
      await this.options.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: encodeLakeParquet(rows),
          ContentType: 'application/vnd.apache.parquet',
          // The buckets deny PUTs that do not ask for KMS; the bucket's default key is used.
          ServerSideEncryption: 'aws:kms',
          BucketKeyEnabled: true,
        }),
      );
      keys.push(key);
    }
    return keys;
  }
}

/** A stable name for a batch: a hash of its distinct ids, whatever their order. */
function batchName(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...new Set(ids)].sort()) h.update(id).update('\n');
  return h.digest('hex').slice(0, 32);
}
