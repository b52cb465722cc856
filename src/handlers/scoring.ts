import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type RemoteScoreResult, scoreAndStore } from '../pipeline/scoreRemote.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { currentModel, labelDelayMs, metrics } from './runtime.js';
import { alertQueue, decisionStore, featureHistory, rules } from './stores.js';

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
  });
  metrics.addMetric('TransactionsDecided', MetricUnit.Count, result.decided.length);
  metrics.addMetric('DuplicatesSkipped', MetricUnit.Count, result.duplicates.length);
  metrics.addMetric('AlertsRaised', MetricUnit.Count, result.alerts.length);
  return result;
}
