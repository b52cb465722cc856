import type { FieldError } from '../core/errors.js';

/** A row that was not accepted, with everything a person needs to fix it. */
export interface Rejection {
  /** 1-based data row (header not counted). */
  row: number;
  /** 1-based physical line in the file. */
  line: number;
  /** The first problem's column (the user's header name). */
  column: string;
  reason: string;
  /** Every problem in the row when there is more than one. */
  errors?: FieldError[];
}

/** Counts of one file. `rows = accepted + rejected` and `accepted = decided + duplicates`. */
export interface ReceiptCounts {
  rows: number;
  accepted: number;
  rejected: number;
  decided: number;
  duplicates: number;
  alerts: number;
  outcomes: { allow: number; review: number; block: number };
}

/** The auditable record of one file's processing. */
export interface Receipt {
  file: string;
  status: 'processed' | 'failed';
  /** Why a failed file failed. */
  error?: string;
  started_at: string;
  finished_at: string;
  rules_version: string | null;
  counts: ReceiptCounts;
  rejections: Rejection[];
  /** Rejections beyond those listed (the list is capped to keep receipts readable). */
  rejections_not_listed: number;
}

/** Most rejections a receipt lists; the counts always include all of them. */
export const RECEIPT_REJECTION_LIMIT = 10_000;

/** Empty counts. */
export function emptyCounts(): ReceiptCounts {
  return {
    rows: 0,
    accepted: 0,
    rejected: 0,
    decided: 0,
    duplicates: 0,
    alerts: 0,
    outcomes: { allow: 0, review: 0, block: 0 },
  };
}
