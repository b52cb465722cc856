import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { csvEscape } from '../../core/csv.js';
import { formatDecimal } from '../../core/decimal.js';
import { IdSet } from '../../core/idSet.js';
import type { Contribution } from '../../core/model/model.js';
import {
  addBatch,
  emptyCounts,
  keepRejections,
  RECEIPT_REJECTION_LIMIT,
  type ReceiptCounts,
  type Rejection,
  tallyBatch,
} from '../../core/receipt.js';
import type { DecidedItem } from '../../core/records.js';
import type { Decision } from '../../core/scoring.js';
import { IsoTimeFormatter } from '../../core/timestamp.js';
import type { Transaction } from '../../core/transaction.js';
import type { Alert } from '../../core/views.js';
import type { BatchCommitter, FileCheckpoint } from '../../ports/BatchCommitter.js';

/** Output format of a decisions file. */
export type DecisionFileFormat = 'jsonl' | 'csv';

const CSV_HEADER =
  'transaction_id,row,timestamp,account_id,card,amount,currency,score,outcome,reasons,rules_score,model_score,rules_version,model_version,decided_at\n';

/**
 * The committer of `fraudmini score`: each batch's decisions become lines of a decisions file
 * (JSON Lines or CSV, one per decision: the decision contract plus row, time, account, masked
 * card and amount), and its checkpoint is counted into the file's receipt counts in memory. The
 * ids written are kept ({@link decided}), so a later row with one is a duplicate.
 *
 * The file is written beside `path` (`<path>.part`) and renamed into place by {@link finish}, so a
 * run that fails neither leaves a half-written file nor clobbers earlier results ({@link abort}).
 */
export class DecisionFileWriter implements BatchCommitter {
  /** Every id written, for the duplicate check over the whole file: compact and exact. */
  readonly decided = new IdSet();
  private counts: ReceiptCounts = emptyCounts();
  private kept: Rejection[] = [];
  private readonly lines = new LineFormat();
  private readonly partial: string;
  private readonly out: WriteStream;
  /** A write error (disk full), kept and raised at the next write instead of crashing the process. */
  private writeError: Error | undefined;
  private headerWritten: boolean;

  constructor(
    private readonly path: string,
    private readonly format: DecisionFileFormat = /\.csv$/i.test(path) ? 'csv' : 'jsonl',
  ) {
    this.partial = `${path}.part`;
    this.out = createWriteStream(this.partial, { mode: 0o600 });
    this.out.on('error', (e) => {
      this.writeError = e;
    });
    this.headerWritten = format !== 'csv';
  }

  /** The counts of every batch committed so far (the counting rules of `addBatch` hold). */
  get receiptCounts(): ReceiptCounts {
    return this.counts;
  }

  /** The first rejections, up to the receipt's limit (the count is in {@link receiptCounts}). */
  get rejections(): Rejection[] {
    return this.kept;
  }

  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    // Each line is encoded straight into one buffer per batch: a batch's text built by `+=` and
    // handed to the stream would be flattened and encoded again as a whole, which costs more
    // than formatting the lines.
    const text = new BatchText(items.length);
    if (!this.headerWritten) text.add(CSV_HEADER);
    this.headerWritten = true;
    const decisions: Decision[] = [];
    for (const { transaction, decision, source } of items) {
      this.decided.add(transaction.transactionId);
      decisions.push(decision);
      text.add(
        this.format === 'csv'
          ? this.lines.csv(transaction, decision, source?.row)
          : this.lines.json(transaction, decision, source?.row),
      );
    }
    const rejections = checkpoint?.rejections ?? [];
    this.kept = keepRejections(this.kept, rejections, RECEIPT_REJECTION_LIMIT);
    this.counts = addBatch(this.counts, tallyBatch(decisions, checkpoint?.duplicates ?? 0, rejections.length));
    await this.write(text.bytes());
    // Alerts are for the runtimes: a decisions file holds the outcomes, nobody is alerted.
    return [];
  }

  /** Written batches are decided at once ({@link decided}): none is ever pending. */
  pending(): undefined {
    return undefined;
  }

  /** Closes the file and renames it into place; raises a write error instead, removing the partial file. */
  async finish(): Promise<void> {
    if (!this.headerWritten && !this.writeError) {
      this.headerWritten = true;
      await this.write(CSV_HEADER);
    }
    await this.close();
    if (this.writeError) {
      rmSync(this.partial, { force: true });
      throw this.writeError;
    }
    renameSync(this.partial, this.path);
  }

  /** Closes and removes the partial file: nothing is left of a run that failed. */
  async abort(): Promise<void> {
    await this.close();
    rmSync(this.partial, { force: true });
  }

  private async close(): Promise<void> {
    if (!this.out.closed) {
      this.out.end();
      await once(this.out, 'close');
    }
  }

  private async write(text: string | Uint8Array): Promise<void> {
    const out = this.out;
    if (this.writeError) throw this.writeError;
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
    if (this.writeError) throw this.writeError;
  }
}

/** Bytes assumed per output line when a batch's buffer is first sized; it grows past that. */
const LINE_BYTES_GUESS = 400;

/** One batch's output lines, UTF-8 encoded one by one into a buffer that grows when needed. */
class BatchText {
  private buf: Buffer;
  private length = 0;

  constructor(lines: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1, lines) * LINE_BYTES_GUESS);
  }

  add(line: string): void {
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const worst = line.length * 3;
    if (this.length + worst > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.length + worst));
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.length += this.buf.write(line, this.length);
  }

  /** The bytes written; the buffer is the stream's from here on. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Formats decisions as output lines. One per file: it keeps the JSON of values that repeat from
 * row to row (rules and model versions) and the date of the last timestamp, so a line is mostly
 * concatenation.
 */
class LineFormat {
  private readonly times = new IsoTimeFormatter();
  private rulesVersion = '';
  private rulesVersionJson = '""';
  private modelVersion: string | null = null;
  private modelVersionJson = 'null';

  /** One JSONL line: the decision contract plus row, time, account, masked card and amount. */
  json(tx: Transaction, d: Decision, row: number | undefined): string {
    // Written field by field instead of JSON.stringify of a spread object, which costs far more
    // per row.
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
