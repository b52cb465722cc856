import type { Decision } from './scoring.js';
import type { RowRef, Transaction } from './transaction.js';
import type { TransactionView } from './views.js';

/** Where a transaction came from when it came from a file: the file's name and the row. */
export type FileRowRef = RowRef & { file: string };

/** A decided transaction, ready to store. */
export interface DecidedItem {
  transaction: Transaction;
  decision: Decision;
  /** Where it came from, when it came from a file. */
  source?: FileRowRef;
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
