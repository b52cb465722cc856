import { FeatureWindows, type Features } from '../core/features.js';
import { LabelFeedback } from '../core/labels.js';
import { type Model, type ModelScore, scoreWithModel } from '../core/model/model.js';
import { FEATURE_COUNT } from '../core/model/vector.js';
import type { PanTokenizer } from '../core/pan.js';
import type { RuleSet } from '../core/rules.js';
import type { FieldMap } from '../core/schema.js';
import { type Decision, decide } from '../core/scoring.js';
import type { RowRef, Transaction } from '../core/transaction.js';
import { ingestCsv } from './ingest.js';
import type { Rejection } from '../core/receipt.js';
import type { LabelledTransaction } from '../ports/LabelledHistory.js';

/** Options of {@link replayHistory}. */
export interface HistoryOptions {
  fileKey: string;
  tokenizer: PanTokenizer;
  fieldMap?: FieldMap;
  rules: RuleSet;
  /** Labels in the file become known this long after their transaction. */
  labelDelayMs: number;
  model?: Model;
  /** Top model contributions per row (0 = none, cheaper). @default 0 */
  topContributions?: number;
  defaultCurrency?: string;
}

/** One transaction of the history, as production would have seen it at its time. */
export interface HistoryRow {
  transaction: Transaction;
  row: RowRef;
  features: Features;
  /** The rules-only decision. */
  rules: Decision;
  model?: ModelScore;
}

/** A batch of history rows, with the file's rejections and progress. */
export interface HistoryBatch {
  rows: HistoryRow[];
  rejections: Rejection[];
  bytesRead: number;
}

/**
 * One chronological pass over labelled history with label feedback: each row gets the features,
 * rule decision and (optionally) model score it would have had in production, and its label
 * becomes visible to later rows only after the delay. `train`, `evaluate` and `backtest` all use
 * this pass, and so compute features exactly as scoring does.
 */
export async function* replayHistory(
  source: AsyncIterable<Buffer | string>,
  options: HistoryOptions,
): AsyncGenerator<HistoryBatch> {
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: options.labelDelayMs }) });
  const seen = new Set<string>();
  const scratch = new Float64Array(FEATURE_COUNT);
  const contributions = new Float64Array(FEATURE_COUNT);
  const at = new Date().toISOString();
  for await (const batch of ingestCsv(source, {
    fileKey: options.fileKey,
    tokenizer: options.tokenizer,
    fieldMap: options.fieldMap,
    defaultCurrency: options.defaultCurrency,
  })) {
    const rows: HistoryRow[] = [];
    for (const { transaction, row } of batch.rows) {
      if (seen.has(transaction.transactionId)) continue;
      seen.add(transaction.transactionId);
      const f = features.observe(transaction);
      const h: HistoryRow = { transaction, row, features: f, rules: decide(options.rules, transaction, f, at) };
      if (options.model) {
        h.model = scoreWithModel(options.model, transaction, f, { top: options.topContributions ?? 0, scratch, contributions });
      }
      rows.push(h);
    }
    yield { rows, rejections: batch.rejections, bytesRead: batch.bytesRead };
  }
}

/** Stored transactions per batch yielded by {@link replayStored}. */
const STORED_BATCH = 5000;

/**
 * {@link replayHistory} over transactions already stored (`fraudmini train --from-db`): each, in
 * the order given, gets the features it would have had in production, and the label in force
 * becomes visible to later transactions only after the delay, as a label in a file does. Yields
 * the transactions with their features; `bytesRead` counts the transactions read so far.
 */
export async function* replayStored(
  history: AsyncIterable<LabelledTransaction>,
  options: { labelDelayMs: number },
): AsyncGenerator<{ rows: { transaction: Transaction; features: Features }[]; bytesRead: number }> {
  const features = new FeatureWindows({ labels: new LabelFeedback({ delayMs: options.labelDelayMs }) });
  let rows: { transaction: Transaction; features: Features }[] = [];
  let read = 0;
  for await (const { transaction, label } of history) {
    // The label in force is fed back as one that came with the transaction: known after the delay.
    const tx: Transaction = label === undefined || transaction.label === label ? transaction : { ...transaction, label };
    rows.push({ transaction: tx, features: features.observe(tx) });
    read++;
    if (rows.length === STORED_BATCH) {
      yield { rows, bytesRead: read };
      rows = [];
    }
  }
  if (rows.length > 0) yield { rows, bytesRead: read };
}
