import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeMessage } from '../adapters/aws/queueMessages.js';
import { flushMetrics, logger, tracer } from './runtime.js';
import { scoreQueued } from './scoring.js';

/**
 * `score`: the transactions queue → features, rules and model → decisions in DynamoDB → alerts
 * to the suspicious-transactions queue. Each message (many transactions) succeeds or fails on
 * its own; a failed one is retried by SQS and, after the configured receives, lands in the DLQ.
 */
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  const items = decodeMessage(record.body);
  const result = await scoreQueued(items);
  logger.debug('message scored', {
    message_id: record.messageId,
    decided: result.decided.length,
    duplicates: result.duplicates.length,
  });
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  try {
    return await processPartialResponse(event, handleRecord, processor, { context });
  } finally {
    flushMetrics();
  }
};
