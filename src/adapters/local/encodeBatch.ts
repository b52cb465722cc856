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

/** The {@link TX_COLUMNS} that hold numbers, in the order of {@link EncodedBatch.numbers}. */
const NUMBER_COLUMNS = ['ts', 'amount', 'score', 'rules_score', 'model_score', 'account_balance', 'label', 'row'] as const;
/** The {@link TX_COLUMNS} that hold strings, in the order of {@link EncodedBatch.lengths}. */
const TEXT_COLUMNS = TX_COLUMNS.filter(
  (c) => c !== 'file_id' && !(NUMBER_COLUMNS as readonly string[]).includes(c),
) as readonly (typeof TX_COLUMNS)[number][];
/** Numbers per row in {@link EncodedBatch.numbers}. */
const NUMBERS = NUMBER_COLUMNS.length;
/** Strings per row in {@link EncodedBatch.lengths}. */
const TEXTS = TEXT_COLUMNS.length;
/**
 * Where each of {@link TX_COLUMNS} comes from: `i >= 0` the `i`th string of the row, `-1 - i` its
 * `i`th number, {@link FILE_ID} the batch's file.
 */
const FILE_ID = -1000;
const SOURCES: readonly number[] = TX_COLUMNS.map((c) => {
  if (c === 'file_id') return FILE_ID;
  const n = (NUMBER_COLUMNS as readonly string[]).indexOf(c);
  return n >= 0 ? -1 - n : TEXT_COLUMNS.indexOf(c);
});

/**
 * A decided batch as SQLite stores it, in columns: a structured clone costs per value, so the
 * rows' numbers are one typed array and their strings one string, both crossing to the commit
 * worker at the cost of a copy of their bytes, where an array of values cost a clone of each one.
 * {@link insertValues} gives back each row's {@link TX_COLUMNS} values.
 */
export interface EncodedBatch {
  /** Decided transactions in the batch. */
  size: number;
  /** {@link NUMBER_COLUMNS} per row; NaN for null (which is what SQLite stores for NaN). */
  numbers: Float64Array;
  /** The strings of {@link TEXT_COLUMNS} that are not null, row by row, concatenated. */
  text: string;
  /** The length of each {@link TEXT_COLUMNS} value per row, -1 for null. */
  lengths: Int32Array;
  /** The `file_id` of every row. */
  fileId: number | null;
  /** {@link ALERT_COLUMNS} values, row after row. */
  alerts: SqlValue[];
  outcomes: Record<Outcome, number>;
}

/** A batch ready to commit, and the alert bodies its alert rows hold (ids come from the commit). */
export interface EncodedItems {
  batch: EncodedBatch;
  alerts: Omit<Alert, 'id'>[];
}

/** The buffers of an encoded batch that can be transferred to the commit worker instead of copied. */
export function encodedTransferables(batch: EncodedBatch): ArrayBuffer[] {
  return [batch.numbers.buffer as ArrayBuffer, batch.lengths.buffer as ArrayBuffer];
}

/**
 * Rows per multi-row INSERT, and per slice of strings joined at a time when encoding (an array of
 * a whole batch's strings would live in the large-object space, where every store of a new
 * string takes the write barrier's slow path).
 */
export const ENCODED_SLICE_ROWS = 100;

/** `reasons` of a decision where no rule fired, the usual case. */
const NO_REASONS = '[]';

/**
 * Encodes decided items for storage, one {@link TX_COLUMNS} row each. Alert bodies stay
 * `JSON.stringify` of the plain objects (under 1% of rows raise one).
 */
export function encodeBatch(items: readonly DecidedItem[], fileId: number | null): EncodedItems {
  const n = items.length;
  const numbers = new Float64Array(n * NUMBERS);
  const lengths = new Int32Array(n * TEXTS);
  const joined: string[] = [];
  let parts: string[] = [];
  let p = 0;
  let x = 0;
  let t = 0;
  const alertRows: SqlValue[] = [];
  const alerts: Omit<Alert, 'id'>[] = [];
  const outcomes: Record<Outcome, number> = { allow: 0, review: 0, block: 0 };
  // One string per TEXT_COLUMNS entry, in its order; null is a length of -1 and no text.
  const text = (v: string | null | undefined): void => {
    if (v === null || v === undefined) {
      lengths[t++] = -1;
    } else {
      lengths[t++] = v.length;
      parts[p++] = v;
    }
  };
  for (let r = 0; r < n; r++) {
    if (r % ENCODED_SLICE_ROWS === 0 && p > 0) {
      joined.push(parts.join(''));
      parts = [];
      p = 0;
    }
    const { transaction: tx, decision: d, source } = items[r] as DecidedItem;
    const card = tx.card;
    numbers[x++] = tx.timestamp;
    numbers[x++] = tx.amount;
    numbers[x++] = d.score;
    numbers[x++] = d.rules_score;
    numbers[x++] = d.model_score ?? Number.NaN;
    numbers[x++] = tx.accountBalance ?? Number.NaN;
    numbers[x++] = tx.label ?? Number.NaN;
    numbers[x++] = source?.row ?? Number.NaN;
    text(tx.transactionId);
    text(tx.accountId);
    text(card ? card.token : null);
    text(tx.currency);
    text(card ? card.masked : null);
    text(d.outcome);
    text(d.reasons.length === 0 ? NO_REASONS : JSON.stringify(d.reasons));
    text(d.model_version);
    text(d.model_features ? JSON.stringify(d.model_features) : null);
    text(d.rules_version);
    text(d.decided_at);
    text(tx.merchant);
    text(tx.merchantCategory);
    text(tx.terminalId);
    text(tx.country);
    text(tx.originCountry);
    text(tx.destinationCountry);
    text(tx.channel);
    text(tx.deviceId);
    text(tx.ip);
    text(hasKeys(tx.attributes) ? JSON.stringify(tx.attributes) : null);
    outcomes[d.outcome]++;
    if (isAlerting(d)) {
      const body = alertFor(tx, d);
      alertRows.push(d.transaction_id, body.created_at, JSON.stringify(body));
      alerts.push(body);
    }
  }
  if (p > 0) joined.push(parts.join(''));
  return {
    batch: { size: n, numbers, text: joined.join(''), lengths, fileId, alerts: alertRows, outcomes },
    alerts,
  };
}

/**
 * The {@link TX_COLUMNS} values of `count` rows of `batch` from row `from`, row after row, into
 * `into` (from its start), and the position after the text those rows hold, for the next call.
 */
export function insertValues(
  batch: EncodedBatch,
  from: number,
  count: number,
  textAt: number,
  into: SqlValue[],
): number {
  const { numbers, lengths, text, fileId } = batch;
  const width = SOURCES.length;
  let at = textAt;
  let k = 0;
  for (let r = from; r < from + count; r++) {
    const t0 = r * TEXTS;
    const n0 = r * NUMBERS;
    for (let c = 0; c < width; c++) {
      const source = SOURCES[c] as number;
      if (source >= 0) {
        const length = lengths[t0 + source] as number;
        if (length < 0) into[k++] = null;
        else {
          into[k++] = text.slice(at, at + length);
          at += length;
        }
      } else if (source === FILE_ID) {
        into[k++] = fileId;
      } else {
        const v = numbers[n0 - 1 - source] as number;
        into[k++] = Number.isNaN(v) ? null : v;
      }
    }
  }
  into.length = k;
  return at;
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
