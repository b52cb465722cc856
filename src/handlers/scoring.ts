import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type RemoteScoreResult, scoreAndStore } from '../app/scoreRemote.js';
import type { Decision } from '../core/scoring.js';
import type { Transaction } from '../core/transaction.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { currentModel, labelDelayMs, logger, metrics } from './runtime.js';
import { withShadow } from './shadow.js';
import { alertQueue, decisionLake, decisionStore, eventClock, featureHistory, rules } from './stores.js';

/**
 * Scores a batch the way every batch entry point does (queue, Kinesis, table stream): rules from
 * the rules table (cached), the model from S3 (cached), history from DynamoDB, alerts to the
 * suspicious-transactions queue, then the batch's decisions to the lake as Parquet. Records
 * metrics for the batch.
 *
 * The lake object holds every transaction of the batch that has a decision, those decided before
 * (a redelivery) included, and is named after the batch's ids: a retry after a stop between
 * storing the decisions and writing the lake rewrites the same object, whole.
 */
export async function scoreQueued(items: readonly QueuedTransaction[]): Promise<RemoteScoreResult> {
  return scoreMessages([items]);
}

/**
 * Scores several messages as one batch — one history load and one feature write per entity for
 * all of them, so an entity several messages touch is read and written once — and writes the
 * lake per message, each object named after its own message's ids as {@link scoreQueued} does: a
 * message redelivered alone, or with other messages, rewrites the same object.
 */
export async function scoreMessages(messages: readonly (readonly QueuedTransaction[])[]): Promise<RemoteScoreResult> {
  const items = messages.flat();
  const result = await scoreAndStore(items, await withShadow({
    decisions: decisionStore(),
    history: featureHistory(),
    rules: await rules().get(),
    model: await currentModel(),
    labelDelayMs: labelDelayMs(),
    alerts: alertQueue(),
    clock: eventClock(),
  }));
  const decisions = new Map<string, Decision>(result.decided.map((d) => [d.transaction.transactionId, d.decision]));
  if (result.duplicates.length > 0) {
    for (const [id, decision] of await decisionStore().findDecisions(result.duplicates)) {
      if (!decisions.has(id)) decisions.set(id, decision);
    }
  }
  const written = await Promise.all(
    messages.map((message) => {
      const decided: { transaction: Transaction; decision: Decision }[] = [];
      const seen = new Set<string>();
      for (const { transaction } of message) {
        const decision = decisions.get(transaction.transactionId);
        if (decision && !seen.has(transaction.transactionId)) {
          seen.add(transaction.transactionId);
          decided.push({ transaction, decision });
        }
      }
      return decisionLake().write(
        message.map((i) => i.transaction.transactionId),
        decided,
      );
    }),
  );
  metrics.addMetric('LakeObjectsWritten', MetricUnit.Count, written.reduce((n, keys) => n + keys.length, 0));
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
