import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type RemoteScoreResult, scoreAndStore } from '../app/scoreRemote.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { currentModel, labelDelayMs, logger, metrics } from './runtime.js';
import { alertQueue, decisionStore, eventClock, featureHistory, rules } from './stores.js';

/**
 * Scores transactions the way every AWS entry point does (queue, Kinesis, table stream, API):
 * rules from the rules table (cached), the model from S3 (cached), history from DynamoDB,
 * alerts to the suspicious-transactions queue. Records metrics for the batch.
 */
export async function scoreQueued(items: readonly QueuedTransaction[]): Promise<RemoteScoreResult> {
  const result = await scoreAndStore(items, {
    decisions: decisionStore(),
    history: featureHistory(),
    rules: await rules().get(),
    model: await currentModel(),
    labelDelayMs: labelDelayMs(),
    alerts: alertQueue(),
    clock: eventClock(),
  });
  metrics.addMetric('TransactionsDecided', MetricUnit.Count, result.decided.length);
  metrics.addMetric('DuplicatesSkipped', MetricUnit.Count, result.duplicates.length);
  metrics.addMetric('AlertsRaised', MetricUnit.Count, result.alerts.length);
  return result;
}

/**
 * Scores the valid records of a stream batch (Kinesis, DynamoDB stream) together. On failure
 * every one is reported failed: Lambda retries from the lowest sequence number and, with
 * bisect-on-error, splits the batch until a poison record is isolated.
 */
export async function scoreStreamBatch(
  items: readonly QueuedTransaction[],
  sequenceNumbers: readonly string[],
  source: string,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  try {
    if (items.length > 0) await scoreQueued(items);
    return { batchItemFailures: [] };
  } catch (e) {
    logger.error(`${source} batch failed`, { error: (e as Error).message, records: items.length });
    return { batchItemFailures: sequenceNumbers.map((s) => ({ itemIdentifier: s })) };
  }
}
