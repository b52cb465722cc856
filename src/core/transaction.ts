import type { CardRef } from './pan.js';

/** Known outcome of a transaction, for training, evaluation and backtests. */
export type Label = 0 | 1;

/**
 * A validated transaction. Money is in exact E4 integers (see `decimal.ts`), times are epoch
 * milliseconds UTC. The card number itself is never here: only its {@link CardRef}.
 */
export interface Transaction {
  transactionId: string;
  timestamp: number;
  accountId: string;
  card?: CardRef;
  /** E4 integer, > 0. */
  amount: number;
  /** ISO 4217 code, upper case. */
  currency: string;
  merchant?: string;
  merchantCategory?: string;
  terminalId?: string;
  /** Where the transaction happens (`country` or `location` column). */
  country?: string;
  originCountry?: string;
  destinationCountry?: string;
  /** E4 integer: balance before the transaction. */
  accountBalance?: number;
  channel?: string;
  deviceId?: string;
  ip?: string;
  label?: Label;
  /** Unknown input columns, kept as given (with any PAN-shaped text masked). */
  attributes: Record<string, string>;
}

/** Where a transaction came from, for receipts and rejections. */
export interface RowRef {
  /** 1-based data row number (the header is not counted). */
  row: number;
  /** 1-based physical line in the file where the row starts (the header is line 1). */
  line: number;
}
