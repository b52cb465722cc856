/**
 * Shadow scoring over remote state (the AWS handlers): a challenger decides every transaction a
 * batch entry point decides, beside the decision in force, without acting.
 *
 * The scorer over remote state ({@link scoreAndStore}) loads the history of the entities a batch
 * touches into fresh feature windows, scores, and stores. Its windows live only inside that call,
 * so the challenger cannot copy their rows as the local {@link ShadowScoring} does; it rebuilds
 * them instead from the very slice of history the scorer loaded (the history port is wrapped to
 * keep it), with the same label delay, and observes the same transactions in the same order:
 * windows are a pure function of those, so the challenger reads the features the decision in
 * force read, without a second read of DynamoDB. The decision store is wrapped too: once the
 * decisions in force are stored, the challenger decides the same batch and its decisions of the
 * transactions actually stored (not a duplicate another attempt stored first) are stored apart.
 * A failure of the challenger is logged and never reaches the decisions in force.
 */
import { replayHistory, type HistorySlice } from '../core/featureHistory.js';
import { FeatureWindows } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import type { Transaction } from '../core/transaction.js';
import type { Logger } from '../ports/Logger.js';
import type { ShadowDecision, ShadowDecisionStore } from '../ports/ShadowDecisionStore.js';
import { scoreBatch } from '../pipeline/score.js';
import type { RemoteScoreDeps } from './scoreRemote.js';
import { type Challenger, shadowRecord } from './shadowScoring.js';

/** The challenger to run in shadow over remote state, and where its decisions go. */
export interface RemoteShadow {
  challenger: Challenger;
  store: ShadowDecisionStore;
  logger: Logger;
}

/** Nothing decided before: every item handed to the challenger is new to it. */
const NONE = { has: (): boolean => false };

/**
 * `deps` for one {@link scoreAndStore} call with the challenger beside the scorer in force, or
 * `deps` unchanged without a challenger. Use the result for a single call: it keeps the history
 * that call loads.
 *
 * @example
 * const result = await scoreAndStore(items, withRemoteShadow(deps, { challenger: { model }, store, logger }));
 */
export function withRemoteShadow<D extends RemoteScoreDeps>(deps: D, shadow: RemoteShadow | undefined): D {
  if (!shadow) return deps;
  let loaded: HistorySlice | undefined;
  const history = deps.history;
  const decisions = deps.decisions;
  return {
    ...deps,
    history: {
      load: async (txs, horizonMs) => {
        loaded = await history.load(txs, horizonMs);
        return loaded;
      },
      append: (txs) => history.append(txs),
      label: (tx, label, knownAt) => history.label(tx, label, knownAt),
    },
    decisions: {
      findDecisions: (ids) => decisions.findDecisions(ids),
      findAlerts: (ids) => decisions.findAlerts(ids),
      getTransaction: (id) => decisions.getTransaction(id),
      listAlerts: (q) => decisions.listAlerts(q),
      stats: () => decisions.stats(),
      count: (deltas) => decisions.count(deltas),
      storeDecisions: async (items) => {
        const stored = await decisions.storeDecisions(items);
        if (stored.stored.length === 0) return stored;
        try {
          const ids = new Set(stored.stored.map((d) => d.transaction.transactionId));
          const decided = challengerDecisions(items, loaded ?? { events: [], labels: [] }, deps, shadow.challenger);
          await shadow.store.storeShadowDecisions(decided.filter((d) => ids.has(d.transactionId)));
        } catch (e) {
          shadow.logger.error(`shadow: decisions not stored: ${(e as Error).message}`);
        }
        return stored;
      },
    },
  };
}

/**
 * The challenger's decisions of the items the scorer in force decided, in its order, over
 * windows rebuilt from the history it loaded.
 */
function challengerDecisions(
  items: readonly { transaction: Transaction }[],
  slice: HistorySlice,
  deps: RemoteScoreDeps,
  challenger: Challenger,
): ShadowDecision[] {
  const windows = new FeatureWindows(
    deps.labelDelayMs === undefined ? {} : { labels: new LabelFeedback({ delayMs: deps.labelDelayMs }) },
  );
  replayHistory(slice, windows);
  const scored = scoreBatch(
    items.map((i) => ({ transaction: i.transaction })),
    NONE,
    { features: windows, rules: challenger.rules ?? deps.rules, model: challenger.model ?? deps.model, now: deps.now },
  );
  return scored.decided.map(shadowRecord);
}
