import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { Transaction } from '../core/transaction.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { flushMetrics, logger, tracer } from './runtime.js';
import { scoreStreamBatch } from './scoring.js';

/**
 * `table-stream`: new items of the transactions table (written by the API in store-only mode)
 * → scored as one batch. Modifications and removals are ignored. On failure every insert is
 * reported failed; Lambda retries from the lowest and bisects the batch on error.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  const items: QueuedTransaction[] = [];
  const sequence: string[] = [];
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) continue;
    const item = unmarshall(image as Record<string, AttributeValue>) as { tx?: Transaction };
    if (!item.tx) {
      logger.warn('transactions-table item without a transaction', { keys: record.dynamodb?.Keys });
      continue;
    }
    items.push({ transaction: item.tx });
    sequence.push(record.dynamodb?.SequenceNumber ?? '');
  }
  try {
    return await scoreStreamBatch(items, sequence, 'table-stream');
  } finally {
    flushMetrics();
  }
};
