/**
 * The local runtime's {@link ApiService}: the use cases behind the HTTP API over SQLite and the
 * in-memory feature windows. `POST /transactions` goes through the group commit
 * ({@link groupCommit}); labels and rules through their use cases.
 */
import type { RuleSet } from '../core/rules.js';
import type { Model } from '../core/model/model.js';
import type { Decision } from '../core/scoring.js';
import type { Label } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import type { LabelStore } from '../ports/LabelStore.js';
import type { RulesHistory } from '../ports/RulesHistory.js';
import type { RulesStore } from '../ports/RulesStore.js';
import type { ApiService, LabelResult } from './ApiService.js';
import { readTransaction } from './readTransaction.js';
import { rulesUseCases } from './replaceRules.js';
import { groupCommit } from './submitTransaction.js';

/** The local runtime's ports behind the API. */
export interface LocalServiceDeps {
  /** Where decisions are looked up and stored (SQLite locally). */
  decisions: DecisionStore;
  /**
   * Decisions being committed elsewhere and not visible in `decisions` yet (the local runtime's
   * file batches on the commit worker): a POST of such an id is a duplicate, not a second decision.
   */
  committing?: (id: string) => Promise<Decision> | undefined;
  features: FeatureSource;
  /** Labels reported after the decision, shown with the transaction; absent: only the labels transactions arrived with. */
  labels?: LabelStore;
  /** The rule set in force (read per group of requests, so a reload applies to the next group). */
  rules: () => RuleSet;
  /** When set, `GET /rules` shows the rule set in force and `PUT /rules` replaces it (the rules file locally). */
  rulesStore?: RulesStore;
  /** Where every rule set put in force is kept (the workbench's history); absent: none is. */
  rulesHistory?: RulesHistory;
  onAlerts?: (alerts: Alert[]) => void;
  /**
   * The features observed transactions that this API stored nowhere: a group's commit failed, or
   * another writer stored one of its ids first. The local runtime rebuilds the windows from the
   * database.
   */
  onCommitFailed?: (error: unknown) => void;
  /** Records a known outcome for a stored transaction; absent: the label route answers 501. */
  labelTransaction?: (id: string, label: Label) => Promise<LabelResult>;
  /** A trained model combined with the rules. */
  model?: Model;
  now?: () => Date;
}

/** The local runtime's {@link ApiService}: SQLite and in-memory features behind it. */
export function localService(deps: LocalServiceDeps): ApiService {
  const { labelTransaction, rulesStore: store } = deps;
  const groups = groupCommit(deps);
  const service: ApiService = {
    submit: async (tx) => {
      const committing = deps.committing?.(tx.transactionId);
      if (committing) return { kind: 'decided', decision: await committing, duplicate: true };
      return { kind: 'decided', ...(await groups.submit(tx)) };
    },
    getTransaction: (id) => readTransaction(deps, id),
    listAlerts: (q) => deps.decisions.listAlerts(q),
    stats: () => deps.decisions.stats(),
    rulesVersion: async () => deps.rules().version,
  };
  if (labelTransaction) service.label = labelTransaction;
  if (store) service.rules = rulesUseCases(store, deps.rules, deps.rulesHistory);
  return service;
}
