import type { Outcome } from '../../core/scoring.js';
import { type Alert, alertFor, isAlerting } from '../../core/views.js';
import type { DecidedItem } from '../../ports/StateStore.js';

/** A value SQLite binds. */
export type SqlValue = string | number | null;

/** Columns of one `transactions` row, in {@link EncodedBatch.transactions}. */
export const TX_COLUMNS = [
  'transaction_id',
  'ts',
  'account_id',
  'card_token',
  'amount',
  'currency',
  'country',
  'terminal_id',
  'merchant',
  'body',
  'file_id',
  'row',
] as const;
/** Columns of one `decisions` row, in {@link EncodedBatch.decisions}. */
export const DECISION_COLUMNS = ['transaction_id', 'score', 'outcome', 'body'] as const;
/** Columns of one `alerts` row, in {@link EncodedBatch.alerts}. */
export const ALERT_COLUMNS = ['transaction_id', 'created_at', 'body'] as const;

/**
 * A decided batch as SQLite stores it: the bound values of every row, flat, one table after the
 * other. Plain strings and numbers, so it crosses to the commit worker as a cheap structured clone
 * and binds to multi-row INSERTs without further work there.
 */
export interface EncodedBatch {
  /** {@link TX_COLUMNS} values, row after row. */
  transactions: SqlValue[];
  /** {@link DECISION_COLUMNS} values, row after row. */
  decisions: SqlValue[];
  /** {@link ALERT_COLUMNS} values, row after row. */
  alerts: SqlValue[];
  outcomes: Record<Outcome, number>;
  /** Decided transactions in the batch. */
  size: number;
}

/** A batch ready to commit, and the alert bodies its alert rows hold (ids come from the commit). */
export interface EncodedItems {
  batch: EncodedBatch;
  alerts: Omit<Alert, 'id'>[];
}

/**
 * Encodes decided items for storage. Bodies stay `JSON.stringify` of the plain objects: a writer
 * building the JSON field by field (as `jsonLine` does for output files) measured slower here,
 * because SQLite then has to flatten each concatenated string before binding it.
 */
export function encodeBatch(items: readonly DecidedItem[], fileId: number | null): EncodedItems {
  const transactions: SqlValue[] = [];
  const decisions: SqlValue[] = [];
  const alertRows: SqlValue[] = [];
  const alerts: Omit<Alert, 'id'>[] = [];
  const outcomes: Record<Outcome, number> = { allow: 0, review: 0, block: 0 };
  for (const { transaction: tx, decision: d, source } of items) {
    transactions.push(
      tx.transactionId,
      tx.timestamp,
      tx.accountId,
      tx.card?.token ?? null,
      tx.amount,
      tx.currency,
      tx.country ?? null,
      tx.terminalId ?? null,
      tx.merchant ?? null,
      JSON.stringify(tx),
      fileId,
      source?.row ?? null,
    );
    decisions.push(d.transaction_id, d.score, d.outcome, JSON.stringify(d));
    outcomes[d.outcome]++;
    if (isAlerting(d)) {
      const body = alertFor(tx, d);
      alertRows.push(d.transaction_id, body.created_at, JSON.stringify(body));
      alerts.push(body);
    }
  }
  return { batch: { transactions, decisions, alerts: alertRows, outcomes, size: items.length }, alerts };
}

