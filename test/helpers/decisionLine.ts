import { formatDecimal } from '../../src/core/decimal.js';
import type { DecidedItem } from '../../src/core/records.js';

/**
 * The object a JSONL line of the decisions file parses to for `item`: the decision contract's
 * fields in order, then the row and the transaction fields (written out here, not derived from
 * the writer's code, so a test can catch a field the writer drops, renames or reorders).
 */
export function expectedDecisionLine({ transaction: tx, decision: dec, source }: DecidedItem): unknown {
  return {
    transaction_id: dec.transaction_id,
    score: dec.score,
    outcome: dec.outcome,
    reasons: dec.reasons,
    rules_score: dec.rules_score,
    model_score: dec.model_score,
    model_version: dec.model_version,
    ...(dec.model_features ? { model_features: dec.model_features } : {}),
    rules_version: dec.rules_version,
    decided_at: dec.decided_at,
    row: source?.row ?? null,
    timestamp: new Date(tx.timestamp).toISOString(),
    account_id: tx.accountId,
    ...(tx.card ? { card: tx.card.masked } : {}),
    amount: formatDecimal(tx.amount),
    currency: tx.currency,
  };
}
