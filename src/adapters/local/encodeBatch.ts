import type { CardRef } from '../../core/pan.js';
import type { Decision, Outcome } from '../../core/scoring.js';
import type { Label, Transaction } from '../../core/transaction.js';
import { type Alert, alertFor, isAlerting } from '../../core/views.js';
import type { DecidedItem } from '../../core/records.js';

/** A value SQLite binds. */
export type SqlValue = string | number | null;

/**
 * Columns of one `transactions` row, in {@link EncodedBatch.transactions}: the transaction, where
 * it came from, and its decision (a transaction is only ever stored with its decision). Every
 * field has its own column, so nothing is stored twice and the main thread builds no JSON per
 * row: only the unknown input columns (`attributes`), the fired rules (`reasons`) and the model's
 * top features are JSON, and only when there are any.
 */
export const TX_COLUMNS = [
  'transaction_id',
  'ts',
  'account_id',
  'card_token',
  'amount',
  'currency',
  // Between two columns that never hold digits (an ISO 4217 code and allow/review/block): SQLite
  // stores a row's values back to back, and digits of the masked card next to digits of another
  // value would read as a longer number to a scanner looking for card numbers.
  'card_masked',
  'outcome',
  'score',
  'rules_score',
  'reasons',
  'model_score',
  'model_version',
  'model_features',
  'rules_version',
  'decided_at',
  'merchant',
  'merchant_category',
  'terminal_id',
  'country',
  'origin_country',
  'destination_country',
  'account_balance',
  'channel',
  'device_id',
  'ip',
  'label',
  'attributes',
  'file_id',
  'row',
] as const;
/** Columns of one `alerts` row, in {@link EncodedBatch.alerts}. */
export const ALERT_COLUMNS = ['transaction_id', 'created_at', 'body'] as const;

/** A row of the `transactions` table as SQLite returns it. */
export type TransactionRow = Record<(typeof TX_COLUMNS)[number], SqlValue>;

/**
 * A decided batch as SQLite stores it: the bound values of every row, flat, one table after the
 * other. Plain strings and numbers, so it crosses to the commit worker as a cheap structured clone
 * and binds to multi-row INSERTs without further work there.
 */
export interface EncodedBatch {
  /**
   * {@link TX_COLUMNS} values, row after row, in slices of at most {@link ENCODED_SLICE_ROWS}
   * rows (one multi-row INSERT each).
   */
  transactions: SqlValue[][];
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
 * Rows per slice of {@link EncodedBatch.transactions}: the rows of one multi-row INSERT. Short
 * arrays also keep encoding cheap: an array of a whole batch's values (150,000 at 5,000 rows)
 * lives in the large-object space, where every store of a new string takes the write barrier's
 * slow path.
 */
export const ENCODED_SLICE_ROWS = 100;

/** `reasons` of a decision where no rule fired, the usual case. */
const NO_REASONS = '[]';

/**
 * Encodes decided items for storage, one {@link TX_COLUMNS} row each. Alert bodies stay
 * `JSON.stringify` of the plain objects (under 1% of rows raise one).
 */
export function encodeBatch(items: readonly DecidedItem[], fileId: number | null): EncodedItems {
  // Appended one value at a time: a 30-argument `push` per row took microseconds a row in V8,
  // several times the cost of everything else here. Not preallocated either: `new Array(n)` is
  // holey, and a holey array crosses to the worker by the slow, sparse structured clone.
  const slices: SqlValue[][] = [];
  let transactions: SqlValue[] = [];
  const alertRows: SqlValue[] = [];
  const alerts: Omit<Alert, 'id'>[] = [];
  const outcomes: Record<Outcome, number> = { allow: 0, review: 0, block: 0 };
  let k = 0;
  let rows = 0;
  for (const { transaction: tx, decision: d, source } of items) {
    if (rows++ === ENCODED_SLICE_ROWS) {
      slices.push(transactions);
      transactions = [];
      k = 0;
      rows = 1;
    }
    const card = tx.card;
    transactions[k++] = tx.transactionId;
    transactions[k++] = tx.timestamp;
    transactions[k++] = tx.accountId;
    transactions[k++] = card ? card.token : null;
    transactions[k++] = tx.amount;
    transactions[k++] = tx.currency;
    transactions[k++] = card ? card.masked : null;
    transactions[k++] = d.outcome;
    transactions[k++] = d.score;
    transactions[k++] = d.rules_score;
    transactions[k++] = d.reasons.length === 0 ? NO_REASONS : JSON.stringify(d.reasons);
    transactions[k++] = d.model_score;
    transactions[k++] = d.model_version;
    transactions[k++] = d.model_features ? JSON.stringify(d.model_features) : null;
    transactions[k++] = d.rules_version;
    transactions[k++] = d.decided_at;
    transactions[k++] = tx.merchant ?? null;
    transactions[k++] = tx.merchantCategory ?? null;
    transactions[k++] = tx.terminalId ?? null;
    transactions[k++] = tx.country ?? null;
    transactions[k++] = tx.originCountry ?? null;
    transactions[k++] = tx.destinationCountry ?? null;
    transactions[k++] = tx.accountBalance ?? null;
    transactions[k++] = tx.channel ?? null;
    transactions[k++] = tx.deviceId ?? null;
    transactions[k++] = tx.ip ?? null;
    transactions[k++] = tx.label ?? null;
    transactions[k++] = hasKeys(tx.attributes) ? JSON.stringify(tx.attributes) : null;
    transactions[k++] = fileId;
    transactions[k++] = source?.row ?? null;
    outcomes[d.outcome]++;
    if (isAlerting(d)) {
      const body = alertFor(tx, d);
      alertRows.push(d.transaction_id, body.created_at, JSON.stringify(body));
      alerts.push(body);
    }
  }
  if (k > 0) slices.push(transactions);
  return { batch: { transactions: slices, alerts: alertRows, outcomes, size: items.length }, alerts };
}

/** The stored transaction of a `transactions` row: equal to the one {@link encodeBatch} was given. */
export function transactionFromRow(r: TransactionRow): Transaction {
  const tx: Transaction = {
    transactionId: r.transaction_id as string,
    timestamp: r.ts as number,
    accountId: r.account_id as string,
    amount: r.amount as number,
    currency: r.currency as string,
    attributes: r.attributes === null ? {} : (JSON.parse(r.attributes as string) as Record<string, string>),
  };
  if (r.card_token !== null) tx.card = cardRef(r.card_token as string, r.card_masked as string);
  if (r.merchant !== null) tx.merchant = r.merchant as string;
  if (r.merchant_category !== null) tx.merchantCategory = r.merchant_category as string;
  if (r.terminal_id !== null) tx.terminalId = r.terminal_id as string;
  if (r.country !== null) tx.country = r.country as string;
  if (r.origin_country !== null) tx.originCountry = r.origin_country as string;
  if (r.destination_country !== null) tx.destinationCountry = r.destination_country as string;
  if (r.account_balance !== null) tx.accountBalance = r.account_balance as number;
  if (r.channel !== null) tx.channel = r.channel as string;
  if (r.device_id !== null) tx.deviceId = r.device_id as string;
  if (r.ip !== null) tx.ip = r.ip as string;
  if (r.label !== null) tx.label = r.label as Label;
  return tx;
}

/** The decision of a `transactions` row, its keys in the order `decide` builds them. */
export function decisionFromRow(r: TransactionRow): Decision {
  const d: Decision = {
    transaction_id: r.transaction_id as string,
    score: r.score as number,
    outcome: r.outcome as Outcome,
    reasons: r.reasons === NO_REASONS ? [] : (JSON.parse(r.reasons as string) as Decision['reasons']),
    model_score: r.model_score as number | null,
    model_version: r.model_version as string | null,
    rules_score: r.rules_score as number,
    rules_version: r.rules_version as string,
    decided_at: r.decided_at as string,
  };
  if (r.model_features !== null) d.model_features = JSON.parse(r.model_features as string) as Decision['model_features'];
  return d;
}

/**
 * A card reference from its token and masked form. BIN and last 4 are not stored apart: they are
 * the two ends of the masked form of a PAN (`411111******1111`; `card:…` for a value that is not
 * a PAN, which has neither), and two columns of bare digits side by side would store ten digits
 * of the card number in a row. Keys in the order the tokenizer builds them, so views and API
 * replies read as before.
 */
function cardRef(token: string, masked: string): CardRef {
  if (masked.startsWith('card:')) return { token, masked };
  return { token, bin: masked.slice(0, 6), last4: masked.slice(-4), masked };
}

function hasKeys(o: Record<string, string>): boolean {
  for (const _ in o) return true;
  return false;
}
