/**
 * Reading a stored transaction as `GET /transactions/:id` shows it: its decision, and its known
 * outcome, whether it arrived with the transaction or was reported later (an analyst's decision,
 * a chargeback feed), so a label recorded after the decision is seen where the transaction is.
 */
import type { StoredTransaction } from '../core/records.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { LabelStore } from '../ports/LabelStore.js';

/**
 * The stored transaction `id` with the label in force, or undefined when it is unknown. The label
 * it arrived with stands over a reported one (the first label wins; see recordLabel).
 *
 * @example
 * const found = await readTransaction({ decisions: state, labels: state }, 'tx-1');
 */
export async function readTransaction(
  deps: { decisions: Pick<DecisionStore, 'getTransaction'>; labels?: Pick<LabelStore, 'getLabel'> },
  id: string,
): Promise<StoredTransaction | undefined> {
  const found = await deps.decisions.getTransaction(id);
  if (!found || found.transaction.label !== undefined || !deps.labels) return found;
  const reported = await deps.labels.getLabel(id);
  return reported ? { ...found, transaction: { ...found.transaction, label: reported.label } } : found;
}
