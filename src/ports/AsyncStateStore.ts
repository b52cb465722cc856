import type { FeatureWindows } from '../core/features.js';
import type { Decision } from '../core/scoring.js';
import type { Label, Transaction } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import type { ReceiptCounts, Rejection } from '../pipeline/receipt.js';
import type { AdminCaller, RulesChange } from './RulesAudit.js';
import type { AlertQuery, DecidedItem, Stats, StoredTransaction } from './StateStore.js';

/**
 * Decisions and what hangs off them, over a remote store (DynamoDB on AWS). Unlike the local
 * {@link StateStore} there is no multi-item transaction: each decision is written with a
 * condition on its id, so a re-delivered transaction never gets a second decision or alert.
 */
export interface DecisionStore {
  /** Decisions already stored for any of these ids. */
  findDecisions(ids: readonly string[]): Promise<Map<string, Decision>>;
  /**
   * Stores each decision unless its id already has one. Returns the items stored, the ids that
   * were already decided, and the alerts created for the stored ones (ids assigned from an
   * atomic counter, increasing).
   */
  storeDecisions(items: readonly DecidedItem[]): Promise<{ stored: DecidedItem[]; duplicates: string[]; alerts: Alert[] }>;
  /** The stored alerts of these transaction ids (those whose decision raised one). */
  findAlerts(ids: readonly string[]): Promise<Alert[]>;
  getTransaction(id: string): Promise<StoredTransaction | undefined>;
  listAlerts(q: AlertQuery): Promise<Alert[]>;
  stats(): Promise<Stats>;
  /** Adds to the counters behind `stats` (files, rejections, duplicates) atomically. */
  count(deltas: Partial<Record<'rejected' | 'duplicates' | 'filesProcessed' | 'filesFailed', number>>): Promise<void>;
}

/** Transactions accepted but not yet scored (the API's store-only path feeds a table stream). */
export interface TransactionLog {
  /** Stores the transaction unless its id is stored already; true when it was new. */
  putTransaction(tx: Transaction): Promise<boolean>;
}

/**
 * Windowed feature history kept outside the process: the scorer loads the history of the
 * entities a batch touches into a fresh in-memory `FeatureWindows`, scores, then appends.
 */
export interface FeatureHistory {
  /**
   * Loads into `windows` (by replaying `observe` in time order) every stored event of every
   * entity of `txs` within the longest window before them, with the labels known by then.
   */
  load(txs: readonly Transaction[], windows: FeatureWindows): Promise<void>;
  /** Records the transactions as events of each entity they touch. */
  append(txs: readonly Transaction[]): Promise<void>;
  /** Records a label learned at `knownAt` (epoch ms) for a stored transaction. */
  label(tx: Transaction, label: Label, knownAt: number): Promise<void>;
}

/** The active rule set, as a versioned document (rules table on AWS). */
export interface RulesStore {
  /** The active document and its version, or undefined before the first activation. */
  active(): Promise<{ version: string; document: unknown } | undefined>;
  /**
   * Makes a validated document active (keeps the previous versions), recording the change with
   * `by` in the audit log before it takes effect: no change is in force without its entry.
   */
  activate(version: string, document: unknown, by: AdminCaller): Promise<void>;
  /** The newest `limit` entries of the audit log of rule changes, newest first. */
  changes(limit: number): Promise<RulesChange[]>;
}

/** Progress of one ingested file, so a timed-out run resumes where it stopped. */
export interface IngestCheckpoint {
  /** Bucket/key and ETag identify the object; a new upload under the same key is a new file. */
  file: string;
  etag: string;
  status: 'ingesting' | 'processed' | 'failed';
  /** Data rows fully handed off or rejected, from the top. */
  rowsDone: number;
  counts: Pick<ReceiptCounts, 'rows' | 'accepted' | 'rejected'>;
  /** Messages sent to the transactions queue so far. */
  messages: number;
  /** The first rejections (capped for the receipt). */
  rejections: Rejection[];
  startedAt: string;
  error?: string;
}

/** Durable ingest progress (state table on AWS). */
export interface IngestCheckpoints {
  get(file: string, etag: string): Promise<IngestCheckpoint | undefined>;
  put(checkpoint: IngestCheckpoint): Promise<void>;
}

/** Known outcomes by transaction id: one label per transaction, never silently changed. */
export interface LabelStore {
  /**
   * Records `label` for `id`, known from `knownAt` (epoch ms), unless one is already recorded:
   * then `unchanged` (same label) or `conflict` (the other), with the recorded one.
   */
  putLabel(id: string, label: Label, knownAt: number): Promise<{ status: 'recorded' | 'unchanged' | 'conflict'; label: Label; knownAt: number }>;
}
