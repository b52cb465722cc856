import type { FieldError } from './errors.js';
import type { Decision, Outcome } from './scoring.js';
import { isAlerting } from './views.js';

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

/** Counts of rows read from a file: `rows = accepted + rejected`. */
export interface IngestCounts {
  rows: number;
  accepted: number;
  rejected: number;
}

/** Counts of one scored file. `rows = accepted + rejected` and `accepted = decided + duplicates`. */
export interface ReceiptCounts extends IngestCounts {
  decided: number;
  duplicates: number;
  alerts: number;
  outcomes: Record<Outcome, number>;
}

/**
 * Counts of a file handed off for scoring elsewhere (AWS ingest): every accepted row was queued
 * (`queued = accepted`), in `messages` queue messages. Decisions follow asynchronously.
 */
export interface HandOffCounts extends IngestCounts {
  queued: number;
  messages: number;
}

/** Whether a file was processed to its end or failed (with the reason in `error`). */
export type ReceiptStatus = 'processed' | 'failed';

/** What every receipt holds, whatever its counts. */
export interface ReceiptBase<C extends IngestCounts> {
  file: string;
  status: ReceiptStatus;
  /** Why a failed file failed. */
  error?: string;
  started_at: string;
  finished_at: string;
  counts: C;
  rejections: Rejection[];
  /** Rejections beyond those listed (the list is capped to keep receipts readable). */
  rejections_not_listed: number;
}

/** The auditable record of one scored file (the local runtime, `fraudmini score`). */
export interface Receipt extends ReceiptBase<ReceiptCounts> {
  /** The rule set the file's rows were decided with; null when none was recorded. */
  rules_version: string | null;
}

/** The receipt of a file handed off for scoring (AWS ingest). */
export interface HandOffReceipt extends ReceiptBase<HandOffCounts> {
  /** The object's ETag: a new upload under the same key is another file. */
  etag: string;
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

/** Empty ingest counts. */
export function emptyIngestCounts(): IngestCounts {
  return { rows: 0, accepted: 0, rejected: 0 };
}

/** What one batch of a file came to. */
export interface BatchTally {
  decided: number;
  duplicates: number;
  rejected: number;
  alerts: number;
  outcomes: Record<Outcome, number>;
}

/**
 * Tallies a batch: its new decisions (their outcomes and the alerts they raise), the rows that
 * were already decided and the rows rejected.
 * @example tallyBatch(scored.decided.map((d) => d.decision), scored.duplicates.length, batch.rejections.length)
 */
export function tallyBatch(decisions: readonly Decision[], duplicates: number, rejected: number): BatchTally {
  const outcomes = { allow: 0, review: 0, block: 0 };
  let alerts = 0;
  for (const d of decisions) {
    outcomes[d.outcome]++;
    if (isAlerting(d)) alerts++;
  }
  return { decided: decisions.length, duplicates, rejected, alerts, outcomes };
}

/**
 * A file's counts with one more batch added: the counting rules `accepted = decided + duplicates`
 * and `rows = accepted + rejected` hold by construction. Returns new counts; `counts` is unchanged.
 * @example counts = addBatch(counts, tallyBatch(decisions, duplicates, rejected));
 */
export function addBatch(counts: ReceiptCounts, batch: BatchTally): ReceiptCounts {
  const decided = counts.decided + batch.decided;
  const duplicates = counts.duplicates + batch.duplicates;
  const rejected = counts.rejected + batch.rejected;
  const accepted = decided + duplicates;
  return {
    rows: accepted + rejected,
    accepted,
    rejected,
    decided,
    duplicates,
    alerts: counts.alerts + batch.alerts,
    outcomes: {
      allow: counts.outcomes.allow + batch.outcomes.allow,
      review: counts.outcomes.review + batch.outcomes.review,
      block: counts.outcomes.block + batch.outcomes.block,
    },
  };
}

/**
 * Ingest counts with `accepted` and `rejected` more rows: `rows = accepted + rejected` holds by
 * construction. Returns new counts; `counts` is unchanged.
 */
export function addIngested(counts: IngestCounts, accepted: number, rejected: number): IngestCounts {
  const a = counts.accepted + accepted;
  const r = counts.rejected + rejected;
  return { rows: a + r, accepted: a, rejected: r };
}

/** The counts of a handed-off file: every accepted row queued, in `messages` messages. */
export function handOffCounts(counts: IngestCounts, messages: number): HandOffCounts {
  return { rows: counts.rows, accepted: counts.accepted, rejected: counts.rejected, queued: counts.accepted, messages };
}

/**
 * The rejections a receipt lists: `kept` followed by as many of `more` as fit under `limit`.
 * Never changes `kept`: returns a new list, or `kept` itself when nothing more fits.
 */
export function keepRejections<R extends Rejection>(kept: R[], more: readonly R[], limit: number): R[] {
  const room = limit - kept.length;
  if (room <= 0 || more.length === 0) return kept;
  return [...kept, ...more.slice(0, room)];
}

/** What a receipt is built from. */
export interface ReceiptInput<C extends IngestCounts> {
  file: string;
  /** The object's ETag, for a handed-off file. */
  etag?: string;
  status: ReceiptStatus;
  error?: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601. */
  finishedAt: string;
  /** The rule set in force, for a scored file. */
  rulesVersion?: string | null;
  counts: C;
  /** The rejections to list (already capped); the counts say how many there were in all. */
  rejections: readonly Rejection[];
}

/**
 * Assembles a receipt: the one place a receipt is made, whichever runtime processed the file.
 * A scored file's receipt carries `rules_version`, a handed-off file's its `etag`. Keys come in
 * a fixed order (file, etag, status, times, rules version, counts, rejections, then error), so
 * receipts of the same file read the same.
 *
 * @example
 * buildReceipt({ file: 'tx.csv', status: 'processed', startedAt, finishedAt, rulesVersion: 'v1', counts, rejections: [] });
 */
export function buildReceipt(input: ReceiptInput<ReceiptCounts> & { rulesVersion: string | null }): Receipt;
export function buildReceipt(input: ReceiptInput<HandOffCounts> & { etag: string }): HandOffReceipt;
export function buildReceipt<C extends IngestCounts>(input: ReceiptInput<C>): ReceiptBase<C>;
export function buildReceipt<C extends IngestCounts>(input: ReceiptInput<C>): ReceiptBase<C> {
  const receipt: Record<string, unknown> = { file: input.file };
  if (input.etag !== undefined) receipt.etag = input.etag;
  receipt.status = input.status;
  receipt.started_at = input.startedAt;
  receipt.finished_at = input.finishedAt;
  if (input.rulesVersion !== undefined) receipt.rules_version = input.rulesVersion;
  receipt.counts = input.counts;
  receipt.rejections = [...input.rejections];
  receipt.rejections_not_listed = Math.max(0, input.counts.rejected - input.rejections.length);
  if (input.error !== undefined) receipt.error = input.error;
  return receipt as unknown as ReceiptBase<C>;
}
