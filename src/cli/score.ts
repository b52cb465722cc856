import { once } from 'node:events';
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { csvEscape } from '../core/csv.js';
import { formatDecimal } from '../core/decimal.js';
import { FeatureWindows } from '../core/features.js';
import { IdSet } from '../core/idSet.js';
import { LabelFeedback } from '../core/labels.js';
import type { Contribution, Model } from '../core/model/model.js';
import { maskPansInText, type PanTokenizer } from '../core/pan.js';
import type { RuleSet } from '../core/rules.js';
import type { FieldMap } from '../core/schema.js';
import type { Decision } from '../core/scoring.js';
import { IsoTimeFormatter } from '../core/timestamp.js';
import type { Transaction } from '../core/transaction.js';
import { ingestCsv } from '../pipeline/ingest.js';
import {
  addBatch,
  buildReceipt,
  emptyCounts,
  keepRejections,
  RECEIPT_REJECTION_LIMIT,
  type Receipt,
  type Rejection,
  tallyBatch,
} from '../core/receipt.js';
import { type Explain, scoreBatch } from '../pipeline/score.js';
import { ProgressBar } from './progress.js';

/** Options of {@link scoreFile}. */
export interface ScoreFileOptions {
  input: string;
  out: string;
  rules: RuleSet;
  tokenizer: PanTokenizer;
  fieldMap?: FieldMap;
  defaultCurrency?: string;
  /** Show a progress bar (on a TTY). @default true */
  progress?: boolean;
  /** A trained model to combine with the rules. */
  model?: Model;
  /** Which decisions name the features behind the model score. @default 'shown' */
  explain?: Explain;
  /** Longest row, in characters: a longer one is rejected. @default DEFAULT_MAX_RECORD */
  maxRecord?: number;
  /**
   * Feed the file's labels back into the features this long after each transaction (one
   * chronological pass reproduces what production would have seen). Off when undefined.
   */
  labelDelayMs?: number;
}

/** Output format, from the `--out` extension. */
type Format = 'jsonl' | 'csv';

/**
 * Rows per batch. A batch lives from its first row's parse to its write, so its rows outlive
 * young-generation GCs, which then copy and promote them: small batches die young. Scoring has no
 * per-batch cost that needs large batches here (each batch is one write).
 */
const BATCH_ROWS = 500;

/** Input read before the id table is sized for the whole file (the estimate needs a sample). */
const RESERVE_AFTER_BYTES = 16 << 20;

const CSV_HEADER =
  'transaction_id,row,timestamp,account_id,card,amount,currency,score,outcome,reasons,rules_score,model_score,rules_version,model_version,decided_at\n';

/**
 * Scores a CSV file offline with the same stages as the pipeline, writing one decision per
 * accepted row to `out` (JSON Lines or CSV, by extension) and `<out>.receipt.json`.
 * Streams both ways: memory does not grow with the file.
 */
export async function scoreFile(options: ScoreFileOptions): Promise<Receipt> {
  const format: Format = /\.csv$/i.test(options.out) ? 'csv' : 'jsonl';
  const started = new Date();
  const size = statSync(options.input).size;
  const features = new FeatureWindows(
    options.labelDelayMs !== undefined ? { labels: new LabelFeedback({ delayMs: options.labelDelayMs }) } : {},
  );
  // Every id decided so far, for the duplicate check over the whole file: compact and exact.
  const seen = new IdSet();
  let reserved = false;
  let counts = emptyCounts();
  const lines = new LineFormat();
  let rejections: Rejection[] = [];
  const bar = new ProgressBar({ total: size, label: 'scoring' });
  // Written beside `out` and renamed into place on success, so a run that fails (a header that
  // cannot be mapped, an I/O error) neither leaves a half-written file nor clobbers earlier results.
  const partial = `${options.out}.part`;
  const out = createWriteStream(partial, { mode: 0o600 });
  // A write error (disk full) is kept and raised at the next write instead of crashing the process.
  let writeError: Error | undefined;
  out.on('error', (e) => {
    writeError = e;
  });
  const write = async (text: string): Promise<void> => {
    if (writeError) throw writeError;
    if (!out.write(text)) {
      // Resume on drain, or on close after an error; remove both listeners either way.
      await new Promise<void>((resume) => {
        const done = (): void => {
          out.off('drain', done);
          out.off('close', done);
          resume();
        };
        out.once('drain', done);
        out.once('close', done);
      });
    }
    if (writeError) throw writeError;
  };
  // The file as the decisions, the receipt and the ids derived for rows without one know it:
  // anything in its name that reads as a card number masked, as when it comes through the inbox.
  const name = maskPansInText(options.input.slice(options.input.lastIndexOf('/') + 1));
  let complete = false;
  try {
    if (format === 'csv') await write(CSV_HEADER);
    for await (const batch of ingestCsv(createReadStream(options.input, { highWaterMark: 1 << 20 }), {
      fileKey: name,
      batchSize: BATCH_ROWS,
      tokenizer: options.tokenizer,
      fieldMap: options.fieldMap,
      defaultCurrency: options.defaultCurrency,
      maxRecord: options.maxRecord,
    })) {
      if (!reserved && batch.bytesRead >= RESERVE_AFTER_BYTES) {
        // Size the id table once for the whole file, from the rows per byte so far, instead of
        // rehashing it a dozen times as it fills (each rehash rereads every id seen).
        seen.reserve(Math.ceil(((batch.rowsDone / batch.bytesRead) * size * 11) / 10));
        reserved = true;
      }
      const items = batch.rows.map((r) => ({
        transaction: r.transaction,
        source: { row: r.row.row, line: r.row.line, file: name },
      }));
      const scored = scoreBatch(items, seen, { features, rules: options.rules, model: options.model, explain: options.explain });
      let text = '';
      for (const { transaction, decision, source } of scored.decided) {
        seen.add(transaction.transactionId);
        text +=
          format === 'csv'
            ? lines.csv(transaction, decision, source?.row)
            : lines.json(transaction, decision, source?.row);
      }
      rejections = keepRejections(rejections, batch.rejections, RECEIPT_REJECTION_LIMIT);
      counts = addBatch(counts, tallyBatch(scored.decided.map((d) => d.decision), scored.duplicates.length, batch.rejections.length));
      await write(text);
      if (options.progress !== false) bar.update(batch.bytesRead, counts.rows);
    }
    complete = true;
  } finally {
    bar.done();
    if (!out.closed) {
      out.end();
      await once(out, 'close');
    }
    if (writeError) complete = false;
    if (complete) renameSync(partial, options.out);
    else rmSync(partial, { force: true });
  }
  if (writeError) throw writeError;
  return buildReceipt({
    file: maskPansInText(options.input),
    status: 'processed',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    rulesVersion: options.rules.version,
    counts,
    rejections,
  });
}

/**
 * Formats decisions as output lines. One per file: it keeps the JSON of values that repeat from
 * row to row (rules and model versions) and the date of the last timestamp, so a line is mostly
 * concatenation; this runs once per row and was the largest cost in the CLI outside scoring.
 */
class LineFormat {
  private readonly times = new IsoTimeFormatter();
  private rulesVersion = '';
  private rulesVersionJson = '""';
  private modelVersion: string | null = null;
  private modelVersionJson = 'null';

  /** One JSONL line: the decision contract plus row, time, account, masked card and amount. */
  json(tx: Transaction, d: Decision, row: number | undefined): string {
    // Written field by field: JSON.stringify of a spread object was the largest single cost in a
    // profile of a 1M-row file.
    if (d.rules_version !== this.rulesVersion) {
      this.rulesVersion = d.rules_version;
      this.rulesVersionJson = JSON.stringify(d.rules_version);
    }
    if (d.model_version !== this.modelVersion) {
      this.modelVersion = d.model_version;
      this.modelVersionJson = JSON.stringify(d.model_version);
    }
    const reasons = d.reasons.length === 0 ? '[]' : JSON.stringify(d.reasons);
    const card = tx.card ? `,"card":${jsonString(tx.card.masked)}` : '';
    return (
      `{"transaction_id":${jsonString(d.transaction_id)},"score":${d.score},"outcome":"${d.outcome}",` +
      `"reasons":${reasons},"rules_score":${d.rules_score},"model_score":${d.model_score},"model_version":${this.modelVersionJson},` +
      (d.model_features ? `"model_features":${featuresJson(d.model_features)},` : '') +
      `"rules_version":${this.rulesVersionJson},"decided_at":"${d.decided_at}",` +
      `"row":${row ?? null},"timestamp":"${this.times.format(tx.timestamp)}",` +
      `"account_id":${jsonString(tx.accountId)}${card},"amount":"${formatDecimal(tx.amount)}","currency":"${tx.currency}"}\n`
    );
  }

  /** One CSV line, in the columns of CSV_HEADER. */
  csv(tx: Transaction, d: Decision, row: number | undefined): string {
    return `${[
      d.transaction_id,
      String(row ?? ''),
      this.times.format(tx.timestamp),
      tx.accountId,
      tx.card?.masked ?? '',
      formatDecimal(tx.amount),
      tx.currency,
      String(d.score),
      d.outcome,
      d.reasons.map((r) => r.rule).join('|'),
      String(d.rules_score),
      d.model_score === null ? '' : String(d.model_score),
      d.rules_version,
      d.model_version ?? '',
      d.decided_at,
    ]
      .map((v) => csvEscape(v))
      .join(',')}\n`;
  }
}

/** `model_features` as JSON, written directly (feature names are fixed identifiers). */
function featuresJson(top: readonly Contribution[]): string {
  let out = '[';
  for (let i = 0; i < top.length; i++) {
    const c = top[i] as Contribution;
    out += `${i > 0 ? ',' : ''}{"feature":"${c.feature}","weight":${c.weight},"value":${c.value}}`;
  }
  return `${out}]`;
}

/** JSON.stringify of a string, without its call for the usual value that needs no escaping. */
function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Quote, backslash and control characters are escaped; surrogates may be (when lone).
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0xd800) return JSON.stringify(s);
  }
  return `"${s}"`;
}
