import type { Decision } from '../core/scoring.js';
import type { RowRef, Transaction } from '../core/transaction.js';
import type { Alert, TransactionView } from '../core/views.js';
import type { Rejection } from '../pipeline/receipt.js';

/** A decided transaction, ready to store. */
export interface DecidedItem {
  transaction: Transaction;
  decision: Decision;
  /** Where it came from, when it came from a file. */
  source?: RowRef & { file: string };
}

/** Progress of one file, committed atomically with the rows it covers. */
export interface FileCheckpoint {
  fileId: number;
  /** Data rows fully handled (decided, duplicate or rejected), from the top of the file. */
  rowsDone: number;
  rejections: Rejection[];
  duplicates: number;
}

/** A stored decision with its masked transaction. */
export interface StoredTransaction {
  transaction: TransactionView;
  decision: Decision;
}

/** Counters behind `GET /stats`. */
export interface Stats {
  transactions: number;
  decisions: number;
  alerts: number;
  rejected: number;
  duplicates: number;
  outcomes: { allow: number; review: number; block: number };
  files: { processed: number; failed: number; processing: number };
}

/** Query for alerts: after a sequence id, or at/after a time. */
export interface AlertQuery {
  afterId?: number;
  since?: string;
  limit: number;
}

/**
 * Durable state: transactions, decisions, alerts, file progress. One `commit` is atomic: the
 * decisions of a batch, their alerts and the file checkpoint land together or not at all.
 */
export interface StateStore {
  /** Decisions already stored for any of these transaction ids. */
  findDecisions(ids: readonly string[]): Map<string, Decision>;
  /** Stores a batch; returns the alerts it created (with ids). */
  commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Alert[];
  getTransaction(id: string): StoredTransaction | undefined;
  listAlerts(q: AlertQuery): Alert[];
  stats(): Stats;
}
