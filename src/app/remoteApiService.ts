import type { RuleSet } from '../core/rules.js';
import type { Label } from '../core/transaction.js';
import { transactionFromView } from '../core/views.js';
import type { Model } from '../core/model/model.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureHistory } from '../ports/FeatureHistory.js';
import type { LabelStore } from '../ports/LabelStore.js';
import type { RulesHistory } from '../ports/RulesHistory.js';
import type { RulesStore } from '../ports/RulesStore.js';
import type { TransactionLog } from '../ports/TransactionLog.js';
import type { AlertSink } from '../ports/AlertSink.js';
import type { EventClock } from '../ports/EventClock.js';
import { readTransaction } from './readTransaction.js';
import { recordLabel } from './recordLabel.js';
import { rulesUseCases, type RulesUseCases } from './replaceRules.js';
import { scoreAndStore } from './scoreRemote.js';
import type { ApiService } from './ApiService.js';

/** What the API needs when its state is remote (DynamoDB on AWS). */
export interface RemoteServiceDeps {
  decisions: DecisionStore;
  history: FeatureHistory;
  labels: LabelStore;
  rulesStore: RulesStore;
  /** Where every rule set put in force is kept (the console workbench's history); absent: none is. */
  rulesHistory?: RulesHistory;
  /** The rule set in force (cached by the caller, e.g. with a short TTL). */
  rules: () => Promise<RuleSet>;
  /** Called once this service has put a new rule set in force: the caller drops its cached set. */
  rulesChanged?: () => void;
  /** The trained model, when one is used. */
  model?: () => Promise<Model | undefined>;
  /** Label feedback with this delay; absent (`FRAUDMINI_LABEL_DELAY=off`): features without labels. */
  labelDelayMs?: number;
  alerts: AlertSink;
  /** The event-time clock: scoring moves it, labels become known at it. */
  clock: EventClock;
  /**
   * Store-only mode: `POST /transactions` stores the transaction here and answers 202; a table
   * stream scores it. Absent: the POST scores synchronously.
   */
  storeOnly?: TransactionLog;
  now?: () => Date;
}

/**
 * The {@link ApiService} over remote ports: the same routes as the local API, backed by the
 * stores the AWS handlers use. Scoring goes through {@link scoreAndStore}, exactly as a queued
 * transaction would.
 */
export function remoteService(deps: RemoteServiceDeps): ApiService {
  const now = deps.now ?? (() => new Date());
  return {
    submit: async (tx) => {
      // The one lookup of the id: scoring is told what it found and does not ask again.
      const known = await deps.decisions.findDecisions([tx.transactionId]);
      const prior = known.get(tx.transactionId);
      if (prior) {
        if (!deps.storeOnly) {
          // A retry of a POST whose first attempt stopped after storing the decision: move the
          // clock as that attempt would have (nothing is sent when the clock is known to be later).
          await deps.clock.advance(tx.timestamp);
        }
        return { kind: 'decided', decision: prior, duplicate: true };
      }
      if (deps.storeOnly) {
        const fresh = await deps.storeOnly.putTransaction(tx);
        return { kind: 'accepted', duplicate: !fresh };
      }
      const result = await scoreAndStore([{ transaction: tx }], {
        known,
        decisions: deps.decisions,
        history: deps.history,
        rules: await deps.rules(),
        model: await deps.model?.(),
        labelDelayMs: deps.labelDelayMs,
        alerts: deps.alerts,
        clock: deps.clock,
        now,
      });
      const decided = result.decided[0]?.decision;
      if (decided) return { kind: 'decided', decision: decided, duplicate: false };
      // Lost a race with a concurrent request for the same id: answer with the winner's decision.
      const winner = (await deps.decisions.findDecisions([tx.transactionId])).get(tx.transactionId);
      if (!winner) throw new Error(`transaction ${tx.transactionId} was not decided`);
      return { kind: 'decided', decision: winner, duplicate: true };
    },
    getTransaction: (id) => readTransaction(deps, id),
    listAlerts: (q) => deps.decisions.listAlerts(q),
    stats: () => deps.decisions.stats(),
    rulesVersion: async () => (await deps.rules()).version,
    label: (id, label: Label) =>
      recordLabel(id, label, {
        findTransaction: async (tid) => {
          const stored = await deps.decisions.getTransaction(tid);
          return stored && transactionFromView(stored.transaction);
        },
        putLabel: (tid, l, knownAt) => deps.labels.putLabel(tid, l, knownAt),
        feedBack: (tx, l, knownAt) => deps.history.label(tx, l, knownAt),
        clock: deps.clock,
        labelDelayMs: deps.labelDelayMs ?? 0,
      }),
    rules: rulesChanging(rulesUseCases(deps.rulesStore, deps.rules, deps.rulesHistory), deps.rulesChanged),
  };
}

/** The rules use cases, telling `changed` after each replacement. */
function rulesChanging(uc: RulesUseCases, changed: (() => void) | undefined): RulesUseCases {
  if (!changed) return uc;
  return {
    ...uc,
    replace: async (doc, by) => {
      const done = await uc.replace(doc, by);
      changed();
      return done;
    },
  };
}
