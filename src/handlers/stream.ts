import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { maskPansInText } from '../core/pan.js';
import { validateObject } from '../core/schema.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { decodeKinesisRecord } from '../adapters/aws/kinesis.js';
import { decisionStore } from './stores.js';
import { flushMetrics, logger, metrics, panTokenizer, tracer } from './runtime.js';
import { scoreStreamBatch } from './scoring.js';

/**
 * `stream`: Kinesis records, each one transaction in the input schema (as `POST /transactions`
 * takes it, card number included) → validated and tokenised → scored as one batch.
 *
 * A record that is not a valid transaction is rejected (logged with its sequence number and a
 * masked reason, counted): retrying it could never succeed. When scoring fails, every valid
 * record is reported failed: Lambda retries from the lowest one, and bisects the batch on
 * error until a poison record is isolated and sent to the on-failure destination.
 */
export const handler = async (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  const tokenizer = await panTokenizer();
  const items: QueuedTransaction[] = [];
  const sequence: string[] = [];
  let rejected = 0;
  for (const record of event.Records) {
    const seq = record.kinesis.sequenceNumber;
    let body: unknown;
    try {
      body = decodeKinesisRecord(record.kinesis.data);
    } catch (e) {
      rejected++;
      logger.warn('stream record rejected', { sequence_number: seq, reason: maskPansInText((e as Error).message) });
      continue;
    }
    const result = validateObject(body, { tokenizer, sourceKey: `kinesis:${record.eventID}`, row: 0 });
    if (!result.ok) {
      rejected++;
      logger.warn('stream record rejected', {
        sequence_number: seq,
        errors: result.errors.map((e) => ({ field: e.column, reason: e.reason })),
      });
      continue;
    }
    items.push({ transaction: result.transaction });
    sequence.push(seq);
  }
  try {
    if (rejected > 0) {
      metrics.addMetric('RecordsRejected', MetricUnit.Count, rejected);
      await decisionStore().count({ rejected });
    }
    return await scoreStreamBatch(items, sequence, 'stream');
  } finally {
    flushMetrics();
  }
};
