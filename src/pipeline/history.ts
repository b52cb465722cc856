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
