import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeMessage } from '../adapters/aws/queueMessages.js';
import { flushMetrics, logger, tracer } from './runtime.js';
import { scoreMessages, scoreQueued } from './scoring.js';

/**
 * `score`: the transactions queue → features, rules and model → decisions in DynamoDB → alerts
 * to the suspicious-transactions queue.
 *
 * The messages of an invocation are first scored together ({@link scoreMessages}): an account,
 * card, terminal or merchant that several of them touch has its history read once and its new
 * events written once. If that fails, each message is scored on its own (partial batch
 * failures): the ones that succeed are deleted, a failed one is retried by SQS and, after the
 * configured receives, lands in the DLQ. Scoring a message again is safe (decisions are stored
 * once per transaction id, and history never shows a transaction its own events).
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
    if (event.Records.length > 1) {
      try {
        await scoreMessages(event.Records.map((r) => decodeMessage(r.body)));
        return { batchItemFailures: [] };
      } catch (e) {
        logger.warn('messages failed when scored together; scoring each on its own', {
          error: (e as Error).message,
          messages: event.Records.length,
        });
      }
    }
    return await processPartialResponse(event, handleRecord, processor, { context });
  } finally {
    flushMetrics();
  }
};
