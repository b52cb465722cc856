import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { decodeAlertMessage } from '../adapters/aws/SqsAlertQueue.js';
import { ENV } from '../adapters/aws/tables.js';
import type { Alert } from '../core/views.js';
import { awsClients, env, flushMetrics, logger, metrics, perProcess, tracer } from './runtime.js';
import { alertTopic } from './stores.js';

/**
 * `notify`: the suspicious-transactions queue → one formatted SNS alert per transaction (an
 * email-ready subject and body; ids, reasons and the masked card only). Publishing is
 * idempotent on the transaction id (Powertools idempotency on DynamoDB), so an alert the scorer
 * sends again after a retry reaches subscribers once.
 */
const processor = new BatchProcessor(EventType.SQS);
const config = new IdempotencyConfig({ eventKeyJmesPath: 'transaction_id', expiresAfterSeconds: 7 * 86_400 });

const publishOnce = perProcess(() =>
  makeIdempotent(
    async (alert: Alert): Promise<{ published: string }> => {
      await alertTopic().deliver([alert]);
      metrics.addMetric('AlertsPublished', MetricUnit.Count, 1);
      return { published: alert.transaction_id };
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: env(ENV.idempotencyTable),
        awsSdkV3Client: awsClients().dynamoBase,
      }),
      config,
    },
  ),
);

async function handleRecord(record: SQSRecord): Promise<void> {
  for (const alert of decodeAlertMessage(record.body)) await publishOnce()(alert);
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  tracer.annotateColdStart();
  config.registerLambdaContext(context);
  try {
    return await processPartialResponse(event, handleRecord, processor, { context });
  } finally {
    flushMetrics();
  }
};
