import type { Alert } from '../core/views.js';
import type { StoredTransaction } from '../core/records.js';

/** Which open alerts come first. */
export type ReviewOrder = 'newest' | 'riskiest';

/** Where a page of the review queue resumes: after this alert in the chosen order. */
export interface ReviewCursor {
  id: number;
  /** The score of that alert (riskiest first only). */
  score?: number;
}

/** Filters and paging of the review queue. Every filter is optional. */
export interface ReviewQuery {
  order: ReviewOrder;
  outcome?: 'review' | 'block';
  /** Only alerts on which this rule fired. */
  rule?: string;
  minScore?: number;
  maxScore?: number;
  account?: string;
  after?: ReviewCursor;
  limit: number;
}

/** One of an account's recent transactions with its decision, as the alert page lists it. */
export interface HistoryEntry {
  transaction_id: string;
  timestamp: string;
  amount: number;
  currency: string;
  merchant?: string;
  card?: string;
  outcome: 'allow' | 'review' | 'block';
  score: number;
  /** The known outcome, from the transaction itself or reported later; absent when unknown. */
  label?: 'fraud' | 'legit';
}

/** An alert opened for review: everything the analyst needs to decide. */
export interface ReviewDetail {
  alert: Alert;
  /** The masked transaction and its decision (reasons, model features). */
  stored: StoredTransaction;
  label?: 'fraud' | 'legit';
  /** The account's latest transactions, newest first, this one included. */
  history: HistoryEntry[];
  /** Other alerts awaiting a decision for the same account or card, newest first. */
  related: Alert[];
  /** What analysts did to this alert, oldest first. */
  audit: ReviewAuditEntry[];
}

/** One entry of the review audit trail: who did what to which alert, when. */
export interface ReviewAuditEntry {
  at: string;
  user: string;
  action: 'label';
  alertId: number;
  transactionId: string;
  /** What was decided (`fraud` / `legit`) and what the label path answered. */
  label: 'fraud' | 'legit';
  result: 'recorded' | 'unchanged' | 'conflict';
  note?: string;
}

/**
 * The review queue over the stored alerts, and its audit trail (SQLite locally). An alert awaits
 * review while its transaction has no label, neither from its input nor reported later.
 *
 * @example
 * const page = await reviews.openAlerts({ order: 'riskiest', limit: 50 });
 * const detail = await reviews.alertDetail(page[0].id);
 */
export interface ReviewStore {
  openAlerts(q: ReviewQuery): Promise<Alert[]>;
  alertDetail(id: number, historyLimit: number): Promise<ReviewDetail | undefined>;
  recordReview(entry: ReviewAuditEntry): Promise<void>;
  /** The newest `limit` entries of the audit trail, newest first. */
  reviewAudit(limit: number): Promise<ReviewAuditEntry[]>;
  /** The id of the newest alert stored, 0 when there is none (where live updates start). */
  latestAlertId(): Promise<number>;
}
