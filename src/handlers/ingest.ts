import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { ENV } from '../adapters/aws/tables.js';
import { maskPansInText } from '../core/pan.js';
import { handOffFile } from '../app/handOffFile.js';
import { awsClients, env, flushMetrics, logger, metrics, panTokenizer, portLogger, tracer } from './runtime.js';
import { type Continuation, objectsOf } from './s3Events.js';
import { checkpoints, rawObjects, refinedObjects, transactionQueue } from './stores.js';

/**
 * `ingest`: S3 `ObjectCreated` events for `inbox/*.csv` (via SQS) → stream the CSV → transaction
 * batches to the transactions queue → receipt and masked copy in the refined bucket → raw object
 * deleted. A file that outlasts one run is checkpointed and continued by a message this function
 * sends itself, so no file is bound by the Lambda time limit and memory stays at one batch.
 */
const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord, context: Context): Promise<void> {
  const rawBucket = env(ENV.rawBucket);
  for (const object of objectsOf(record.body)) {
    if (object.bucket !== rawBucket || !object.key.startsWith('inbox/')) {
      logger.warn('ignoring an object outside the raw inbox', { bucket: object.bucket, key: maskPansInText(object.key) });
      continue;
    }
    const result = await handOffFile(
      { key: object.key, etag: object.etag },
      {
        raw: rawObjects(),
        refined: refinedObjects(),
        queue: transactionQueue(),
        checkpoints: checkpoints(),
        tokenizer: await panTokenizer(),
        batchSize: batchRows(),
        maxRecord: maxRecord(),
        remainingMs: () => context.getRemainingTimeInMillis(),
        logger: portLogger,
      },
    );
    if (result.status === 'paused') {
      const next: Continuation = { fraudmini: 'continue', object };
      await awsClients().sqs.send(
        new SendMessageCommand({ QueueUrl: env(ENV.rawEventsQueueUrl), MessageBody: JSON.stringify(next) }),
      );
      metrics.addMetric('FilesPaused', MetricUnit.Count, 1);
      continue;
    }
    if (result.status === 'gone') {
      logger.info('object already handled or removed', { key: maskPansInText(object.key) });
      continue;
    }
    const c = result.receipt.counts;
    metrics.addMetric(result.status === 'processed' ? 'FilesProcessed' : 'FilesFailed', MetricUnit.Count, 1);
    metrics.addMetric('RowsAccepted', MetricUnit.Count, c.accepted);
    metrics.addMetric('RowsRejected', MetricUnit.Count, c.rejected);
    logger.info('file handed off', {
      key: maskPansInText(object.key),
      status: result.status,
      counts: c,
      receipt: result.outputs.receipt,
    });
  }
}

/** Rows per hand-off and checkpoint (`FRAUDMINI_INGEST_BATCH_ROWS`, default 2,000). */
function batchRows(): number {
  const raw = process.env[ENV.ingestBatchRows];
  if (raw === undefined || raw === '') return 2000;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${ENV.ingestBatchRows} must be a positive integer, not ${raw}`);
  return n;
}

/** The longest CSV row (`FRAUDMINI_MAX_RECORD`, characters, default 65,536), as locally. */
function maxRecord(): number | undefined {
  const raw = process.env[ENV.maxRecord];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024) throw new Error(`${ENV.maxRecord} must be an integer of at least 1024, not ${raw}`);
  return n;
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  try {
    return await processPartialResponse(event, (r: SQSRecord) => handleRecord(r, context), processor, { context });
  } finally {
    flushMetrics();
  }
};
