import { historyHorizonMs, replayHistory } from '../core/featureHistory.js';
import { FeatureWindows } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import type { Model } from '../core/model/model.js';
import type { Decision } from '../core/scoring.js';
import type { RuleSet } from '../core/rules.js';
import type { Alert } from '../core/views.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureHistory } from '../ports/FeatureHistory.js';
import type { AlertSink } from '../ports/AlertSink.js';
import type { EventClock } from '../ports/EventClock.js';
import type { DecidedItem } from '../core/records.js';
import type { QueuedTransaction } from '../ports/TransactionQueue.js';
import { scoreBatch } from '../pipeline/score.js';

/** Block-pool chunks of 2^14 numbers (128 KiB) for the windows of one batch. */
const REMOTE_POOL_CHUNK_ORDER = 14;

/** What scoring against remote state needs (DynamoDB and a queue on AWS). */
export interface RemoteScoreDeps {
  decisions: DecisionStore;
  history: FeatureHistory;
  rules: RuleSet;
  model?: Model;
  /** Label feedback with this delay; absent: features without labels. */
  labelDelayMs?: number;
  /** Where alerts go (the suspicious-transactions queue on AWS). */
  alerts: AlertSink;
  /**
   * Moved to the latest transaction time of each batch scored (duplicates included), after its
   * decisions are stored; labels become known at it. A store that keeps the clock with its counters
   * (DynamoDB) has moved it by then, and a clock that knows so sends nothing.
   */
  clock?: EventClock;
  /**
   * The decisions already stored for the batch's ids, when the caller has just looked them up
   * (every id of `items` must have been asked for): they are not looked up again.
   */
  known?: ReadonlyMap<string, Decision>;
  now?: () => Date;
}

/** What a batch came to. */
export interface RemoteScoreResult {
  decided: DecidedItem[];
  duplicates: string[];
  alerts: Alert[];
}

/**
 * The score stage over remote state, for a batch of transactions (one queue message, a Kinesis
 * batch, one POST): load the history of every entity the batch touches into fresh windows, score
 * with the same code as the local runtime, record the new events, store the decisions (one per
 * id, conditionally), then hand the alerts on.
 *
 * The order makes redelivery safe at every step. The events are recorded before the decisions,
 * and history never includes a transaction's own id, so a retry after a crash scores the same
 * way. The clock moves after the decisions are stored, to the latest time of every transaction of
 * the batch, those decided before included, so a retry also moves a clock that an earlier attempt
 * stopped before moving. A transaction already decided is a duplicate and gets no second decision; its alert is
 * sent again, because an earlier attempt may have stopped before sending it, and the consumer
 * of alerts (notify) publishes once per transaction id.
 */
export async function scoreAndStore(items: readonly QueuedTransaction[], deps: RemoteScoreDeps): Promise<RemoteScoreResult> {
  const ids = items.map((i) => i.transaction.transactionId);
  const existing = deps.known ?? (await deps.decisions.findDecisions(ids));
  // Built for this batch only: small pool chunks, since a large one costs more than a POST.
  const windows = new FeatureWindows({
    poolChunkOrder: REMOTE_POOL_CHUNK_ORDER,
    ...(deps.labelDelayMs === undefined ? {} : { labels: new LabelFeedback({ delayMs: deps.labelDelayMs }) }),
  });
  const fresh = items.filter((i) => !existing.has(i.transaction.transactionId));
  if (fresh.length > 0) {
    replayHistory(await deps.history.load(fresh.map((i) => i.transaction), historyHorizonMs(windows)), windows);
  }
  const scored = scoreBatch(items, existing, {
    features: windows,
    rules: deps.rules,
    model: deps.model,
    now: deps.now,
  });
  if (scored.decided.length > 0) await deps.history.append(scored.decided.map((d) => d.transaction));
  const stored = await deps.decisions.storeDecisions(scored.decided);
  if (deps.clock && items.length > 0) {
    let latest = Number.NEGATIVE_INFINITY;
    for (const { transaction } of items) if (transaction.timestamp > latest) latest = transaction.timestamp;
    await deps.clock.advance(latest);
  }
  // Decided before (by an earlier attempt, or a concurrent one that won the conditional put).
  const resend = new Set(stored.duplicates);
  for (const id of scored.duplicates) {
    const d = existing.get(id);
    if (d && d.outcome !== 'allow') resend.add(id);
  }
  const again = resend.size > 0 ? await deps.decisions.findAlerts([...resend]) : [];
  const alerts = [...stored.alerts, ...again];
  if (alerts.length > 0) await deps.alerts.deliver(alerts);
  return { decided: stored.stored, duplicates: [...scored.duplicates, ...stored.duplicates], alerts: stored.alerts };
}
