import type { AlertQuery, DecidedItem, Stats, StoredTransaction } from '../core/records.js';
import type { Decision } from '../core/scoring.js';
import type { Alert } from '../core/views.js';

/** What {@link DecisionStore.storeDecisions} did with a batch. */
export interface StoredDecisions {
  /** The items stored now, in the order given. */
  stored: DecidedItem[];
  /**
   * Ids not stored by this call: decided before, or repeated in the batch (one item of an id given
   * twice is stored, the other listed here; which one is up to the store).
   */
  duplicates: string[];
  /** The alerts created for the stored items, in id order. */
  alerts: Alert[];
}

/** Counters a delivery layer adds to outside a batch (a stream's invalid records). */
export type StatsDeltas = Partial<Record<'rejected' | 'duplicates', number>>;

/**
 * Decisions and what hangs off them (alerts, counters): SQLite locally, DynamoDB on AWS. A
 * transaction id is decided at most once, whatever is re-delivered: a decision for an id that
 * already has one is a duplicate, never a second decision or a second alert.
 *
 * @example
 * const prior = await decisions.findDecisions(ids);
 * const { stored, duplicates, alerts } = await decisions.storeDecisions(scored.decided);
 */
export interface DecisionStore {
  /** Decisions already stored for any of these ids (repeats and unknown ids allowed). */
  findDecisions(ids: readonly string[]): Promise<Map<string, Decision>>;
  /**
   * Stores each decision unless its id already has one. Alert ids are unique and increase from
   * one call to the next (not necessarily without gaps).
   */
  storeDecisions(items: readonly DecidedItem[]): Promise<StoredDecisions>;
  /** The stored alerts of these transaction ids (those whose decision raised one), in id order. */
  findAlerts(ids: readonly string[]): Promise<Alert[]>;
  /** A stored decision with its masked transaction. */
  getTransaction(id: string): Promise<StoredTransaction | undefined>;
  /** Alerts in id order: after `afterId`, or created at or after `since`; at most `limit`. */
  listAlerts(q: AlertQuery): Promise<Alert[]>;
  /** The counters behind `GET /stats`. */
  stats(): Promise<Stats>;
  /** Adds to the counters behind `stats` atomically. */
  count(deltas: StatsDeltas): Promise<void>;
}
