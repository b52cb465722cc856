/**
 * The review queue's use cases: list the alerts awaiting a decision, open one, and decide it
 * (fraud or legit) through the label path every runtime shares, leaving an audit entry naming
 * who decided, what, and when.
 */
import type { Label } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import type { ReviewDetail, ReviewQuery, ReviewStore } from '../ports/ReviewStore.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { LabelResult } from './recordLabel.js';

/** How many of the account's transactions an opened alert shows. */
export const HISTORY_LIMIT = 20;

/** A page of the queue. */
export function listQueue(reviews: ReviewStore, q: ReviewQuery): Promise<Alert[]> {
  return reviews.openAlerts(q);
}

/** An alert with its transaction, decision, account history and related open alerts. */
export async function openAlert(reviews: ReviewStore, id: number): Promise<ReviewDetail> {
  const detail = await reviews.alertDetail(id, HISTORY_LIMIT);
  if (!detail) throw new NotFoundError(`no alert ${id}`);
  return detail;
}

/** What deciding an alert needs. */
export interface DecideAlertDeps {
  reviews: ReviewStore;
  /** The label use case ({@link recordLabel} wired to the runtime's stores). */
  label: (transactionId: string, label: Label) => Promise<LabelResult>;
  now?: () => Date;
}

/** The outcome of a decision and the alert to open next (the newest open one after it), if any. */
export interface DecideResult {
  alertId: number;
  transactionId: string;
  label: 'fraud' | 'legit';
  status: 'recorded' | 'unchanged';
  next: number | null;
}

/**
 * Marks an alert fraud or legit: records the label of its transaction, then the audit entry
 * (recorded for a conflict too, which is then refused with {@link ConflictError}).
 */
export async function decideAlert(
  deps: DecideAlertDeps,
  input: { alertId: number; label: Label; user: string; note?: string },
): Promise<DecideResult> {
  const detail = await deps.reviews.alertDetail(input.alertId, 0);
  if (!detail) throw new NotFoundError(`no alert ${input.alertId}`);
  const transactionId = detail.alert.transaction_id;
  const result = await deps.label(transactionId, input.label);
  if (result.status === 'not_found') throw new NotFoundError(`no transaction ${transactionId} for alert ${input.alertId}`);
  const word = (l: Label): 'fraud' | 'legit' => (l === 1 ? 'fraud' : 'legit');
  await deps.reviews.recordReview({
    at: (deps.now?.() ?? new Date()).toISOString(),
    user: input.user,
    action: 'label',
    alertId: input.alertId,
    transactionId,
    label: word(input.label),
    result: result.status,
    ...(input.note !== undefined && input.note !== '' ? { note: input.note } : {}),
  });
  if (result.status === 'conflict') {
    throw new ConflictError(`alert ${input.alertId} (transaction ${transactionId}) is already labelled ${word(result.label)}`, {
      transaction_id: transactionId,
      label: word(result.label),
    });
  }
  const [after] = await deps.reviews.openAlerts({ order: 'newest', after: { id: input.alertId }, limit: 1 });
  const [newest] = after ? [after] : await deps.reviews.openAlerts({ order: 'newest', limit: 1 });
  return { alertId: input.alertId, transactionId, label: word(result.label), status: result.status, next: newest?.id ?? null };
}
