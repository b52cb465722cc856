import { AMOUNT_SCALE, toUnits } from './decimal.js';
import type { Decision } from './scoring.js';
import type { Transaction } from './transaction.js';

/** The masked, snake_case view of a transaction used in every output (API, alerts, exports). */
export interface TransactionView {
  transaction_id: string;
  timestamp: string;
  account_id: string;
  card?: { masked: string; bin?: string; last4?: string; token: string };
  amount: number;
  currency: string;
  merchant?: string;
  merchant_category?: string;
  terminal_id?: string;
  country?: string;
  origin_country?: string;
  destination_country?: string;
  account_balance?: number;
  channel?: string;
  device_id?: string;
  ip?: string;
  label?: 0 | 1;
  attributes?: Record<string, string>;
}

/** Renders a transaction for output. It holds no PAN: only the card token, BIN and last 4. */
export function transactionView(tx: Transaction): TransactionView {
  const v: TransactionView = {
    transaction_id: tx.transactionId,
    timestamp: new Date(tx.timestamp).toISOString(),
    account_id: tx.accountId,
    amount: toUnits(tx.amount),
    currency: tx.currency,
  };
  if (tx.card) v.card = { ...tx.card };
  if (tx.merchant !== undefined) v.merchant = tx.merchant;
  if (tx.merchantCategory !== undefined) v.merchant_category = tx.merchantCategory;
  if (tx.terminalId !== undefined) v.terminal_id = tx.terminalId;
  if (tx.country !== undefined) v.country = tx.country;
  if (tx.originCountry !== undefined) v.origin_country = tx.originCountry;
  if (tx.destinationCountry !== undefined) v.destination_country = tx.destinationCountry;
  if (tx.accountBalance !== undefined) v.account_balance = toUnits(tx.accountBalance);
  if (tx.channel !== undefined) v.channel = tx.channel;
  if (tx.deviceId !== undefined) v.device_id = tx.deviceId;
  if (tx.ip !== undefined) v.ip = tx.ip;
  if (tx.label !== undefined) v.label = tx.label;
  if (Object.keys(tx.attributes).length > 0) v.attributes = tx.attributes;
  return v;
}

/**
 * The transaction a stored view was rendered from, as scoring saw it (the card as its token, BIN
 * and last 4: a view never holds more). The inverse of {@link transactionView}.
 */
export function transactionFromView(v: TransactionView): Transaction {
  const tx: Transaction = {
    transactionId: v.transaction_id,
    timestamp: Date.parse(v.timestamp),
    accountId: v.account_id,
    amount: Math.round(v.amount * AMOUNT_SCALE),
    currency: v.currency,
    attributes: { ...(v.attributes ?? {}) },
  };
  if (v.card) tx.card = { ...v.card };
  if (v.merchant !== undefined) tx.merchant = v.merchant;
  if (v.merchant_category !== undefined) tx.merchantCategory = v.merchant_category;
  if (v.terminal_id !== undefined) tx.terminalId = v.terminal_id;
  if (v.country !== undefined) tx.country = v.country;
  if (v.origin_country !== undefined) tx.originCountry = v.origin_country;
  if (v.destination_country !== undefined) tx.destinationCountry = v.destination_country;
  if (v.account_balance !== undefined) tx.accountBalance = Math.round(v.account_balance * AMOUNT_SCALE);
  if (v.channel !== undefined) tx.channel = v.channel;
  if (v.device_id !== undefined) tx.deviceId = v.device_id;
  if (v.ip !== undefined) tx.ip = v.ip;
  if (v.label !== undefined) tx.label = v.label;
  return tx;
}

/** An alert raised for a `review` or `block` decision. Ids, reasons and a masked card only. */
export interface Alert {
  /** Sequence number assigned by the store (monotonic). */
  id: number;
  transaction_id: string;
  outcome: Decision['outcome'];
  score: number;
  reasons: Decision['reasons'];
  account_id: string;
  card?: string;
  amount: number;
  currency: string;
  timestamp: string;
  created_at: string;
}

/** True when a decision must raise an alert. */
export function isAlerting(d: Decision): boolean {
  return d.outcome !== 'allow';
}

/** Builds the alert body for a decision (without its store-assigned id). */
export function alertFor(tx: Transaction, d: Decision): Omit<Alert, 'id'> {
  const a: Omit<Alert, 'id'> = {
    transaction_id: d.transaction_id,
    outcome: d.outcome,
    score: d.score,
    reasons: d.reasons,
    account_id: tx.accountId,
    amount: toUnits(tx.amount),
    currency: tx.currency,
    timestamp: new Date(tx.timestamp).toISOString(),
    created_at: d.decided_at,
  };
  if (tx.card) a.card = tx.card.masked;
  return a;
}
