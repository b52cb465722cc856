import type { Decision } from '../core/scoring.js';
import type { RowRef, Transaction } from '../core/transaction.js';
import type { Alert, TransactionView } from '../core/views.js';
import type { Rejection } from '../core/receipt.js';

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

/**
 * Commits batches without blocking the caller until they are stored (the local runtime runs them
 * on a worker thread). Batches commit in the order given. Once one fails, the batches queued
 * behind it fail too, uncommitted, so a file checkpoint never moves past a batch that is not stored.
 */
export interface BatchCommitter {
  /** Queues a batch (and its file checkpoint); resolves with the alerts it created once it is committed. */
  commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]>;
  /**
   * The decision of a transaction in a batch queued but not committed yet (decided, not yet
   * visible in the store), settling when that batch is committed or fails.
   */
  pending(id: string): Promise<Decision> | undefined;
}
