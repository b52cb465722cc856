import type { Features } from './features.js';
import { evaluate, type RuleHit, type RuleSet } from './rules.js';
import type { Transaction } from './transaction.js';

/** What happens to a transaction. */
export type Outcome = 'allow' | 'review' | 'block';

/** The decision for one transaction: the contract every output and store uses (DESIGN.md). */
export interface Decision {
  transaction_id: string;
  /** 0–100, not rounded. */
  score: number;
  outcome: Outcome;
  reasons: RuleHit[];
  /** Model score 0–100, or null while no model is loaded. */
  model_score: number | null;
  model_version: string | null;
  rules_version: string;
  /** ISO 8601. */
  decided_at: string;
}

/**
 * Combines fired rule weights as independent evidence ("noisy OR"): each weight w is a
 * probability w/100 that the transaction is bad, so score = 100 × (1 − Π(1 − w/100)).
 * One rule of weight w scores exactly w; more rules raise it, never past 100.
 */
export function combineWeights(hits: readonly RuleHit[]): number {
  if (hits.length === 0) return 0;
  // Π(100 − w) / 100^(k−1) keeps integer weights exact (one rule of weight 20 scores 20, not 19.999…).
  let clean = 100;
  for (const h of hits) clean = (clean * (100 - h.weight)) / 100;
  return 100 - clean;
}

/**
 * Decides one transaction from its features under a rule set. Pure.
 * @example decide(set, tx, store.observe(tx), new Date()).outcome // 'review'
 */
export function decide(set: RuleSet, tx: Transaction, features: Features, decidedAt: Date): Decision {
  const { fired } = evaluate(set, tx, features);
  const score = combineWeights(fired);
  const outcome: Outcome =
    score >= set.thresholds.block ? 'block' : score >= set.thresholds.review ? 'review' : 'allow';
  return {
    transaction_id: tx.transactionId,
    score,
    outcome,
    reasons: fired,
    model_score: null,
    model_version: null,
    rules_version: set.version,
    decided_at: decidedAt.toISOString(),
  };
}
