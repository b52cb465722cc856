import { csvEscape } from '../../core/csv.js';
import { formatDecimal } from '../../core/decimal.js';
import type { Contribution } from '../../core/model/model.js';
import type { DecidedItem } from '../../core/records.js';
import type { RuleHit } from '../../core/rules.js';
import { IsoTimeFormatter } from '../../core/timestamp.js';

/** Output format of a decisions file. */
export type DecisionFileFormat = 'jsonl' | 'csv';

/** The header line of a CSV decisions file. */
export const CSV_HEADER =
  'transaction_id,row,timestamp,account_id,card,amount,currency,score,outcome,reasons,rules_score,model_score,rules_version,model_version,decided_at\n';

/** Numbers per row in {@link DecisionColumns.numbers}. */
const NUMBERS = 6;
const SCORE = 0;
const RULES_SCORE = 1;
/** NaN: no model score (null in the output). */
const MODEL_SCORE = 2;
const TIME = 3;
const AMOUNT = 4;
/** NaN: no row number (null in the output). */
const ROW = 5;

/**
 * What the lines of one batch of decisions are made of, as columns: a few arrays of strings and
 * one of numbers, cheap to copy to a worker thread (one object per row would cost more to copy
 * than to format). Reasons and model features are objects, and only on the rows that have any.
 */
export interface DecisionColumns {
  size: number;
  transactionId: string[];
  accountId: string[];
  /** Masked card, or null. */
  card: (string | null)[];
  currency: string[];
  outcome: string[];
  rulesVersion: string[];
  modelVersion: (string | null)[];
  decidedAt: string[];
  /** Fired rules, or null when none fired. */
  reasons: (RuleHit[] | null)[];
  modelFeatures: (Contribution[] | null)[];
  /** Per row: score, rules score, model score, time, amount (E4), row number. */
  numbers: Float64Array;
}

/** The columns of the lines of `items`: the decision contract plus row, time, account, masked card and amount. */
export function decisionColumns(items: readonly DecidedItem[]): DecisionColumns {
  const n = items.length;
  const c: DecisionColumns = {
    size: n,
    transactionId: [],
    accountId: [],
    card: [],
    currency: [],
    outcome: [],
    rulesVersion: [],
    modelVersion: [],
    decidedAt: [],
    reasons: [],
    modelFeatures: [],
    numbers: new Float64Array(n * NUMBERS),
  };
  const x = c.numbers;
  for (let i = 0, o = 0; i < n; i++, o += NUMBERS) {
    const { transaction: tx, decision: d, source } = items[i] as DecidedItem;
    c.transactionId.push(d.transaction_id);
    c.accountId.push(tx.accountId);
    c.card.push(tx.card ? tx.card.masked : null);
    c.currency.push(tx.currency);
    c.outcome.push(d.outcome);
    c.rulesVersion.push(d.rules_version);
    c.modelVersion.push(d.model_version);
    c.decidedAt.push(d.decided_at);
    c.reasons.push(d.reasons.length === 0 ? null : d.reasons);
    c.modelFeatures.push(d.model_features ?? null);
    x[o + SCORE] = d.score;
    x[o + RULES_SCORE] = d.rules_score;
    x[o + MODEL_SCORE] = d.model_score ?? Number.NaN;
    x[o + TIME] = tx.timestamp;
    x[o + AMOUNT] = tx.amount;
    x[o + ROW] = source?.row ?? Number.NaN;
  }
  return c;
}

/** A number column that may be absent: NaN stands for null. */
function orNull(v: number): number | null {
  return Number.isNaN(v) ? null : v;
}

/** Bytes assumed per output line when a batch's buffer is first sized; it grows past that. */
const LINE_BYTES_GUESS = 400;

/** One batch's output lines, UTF-8 encoded one by one into a buffer that grows when needed. */
export class BatchText {
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

  /** The bytes written; the buffer is the caller's from here on. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/**
 * Formats decisions as output lines. One per file: it keeps the JSON of values that repeat from
 * row to row (rules and model versions) and the date of the last timestamp, so a line is mostly
 * concatenation. Each line is encoded straight into the batch's buffer: a batch's text built by
 * `+=` and encoded as a whole is flattened first, which cost more than formatting the lines.
 */
export class DecisionLines {
  private readonly times = new IsoTimeFormatter();
  private rulesVersion = '';
  private rulesVersionJson = '""';
  private modelVersion: string | null = null;
  private modelVersionJson = 'null';
  private headerWritten: boolean;

  constructor(private readonly format: DecisionFileFormat) {
    this.headerWritten = format !== 'csv';
  }

  /** The bytes of one batch's lines (the CSV header first, the first time). */
  encode(c: DecisionColumns): Buffer {
    const text = new BatchText(c.size);
    if (!this.headerWritten) text.add(CSV_HEADER);
    this.headerWritten = true;
    for (let i = 0; i < c.size; i++) text.add(this.format === 'csv' ? this.csv(c, i) : this.json(c, i));
    return text.bytes();
  }

  /** The bytes of an empty file's content: the CSV header that no batch wrote, or nothing. */
  end(): Buffer {
    const rest = this.headerWritten ? '' : CSV_HEADER;
    this.headerWritten = true;
    return Buffer.from(rest);
  }

  /** One JSONL line: the decision contract plus row, time, account, masked card and amount. */
  private json(c: DecisionColumns, i: number): string {
    // Written field by field instead of JSON.stringify of a spread object, which costs far more
    // per row.
    const rulesVersion = c.rulesVersion[i] as string;
    if (rulesVersion !== this.rulesVersion) {
      this.rulesVersion = rulesVersion;
      this.rulesVersionJson = JSON.stringify(rulesVersion);
    }
    const modelVersion = c.modelVersion[i] as string | null;
    if (modelVersion !== this.modelVersion) {
      this.modelVersion = modelVersion;
      this.modelVersionJson = JSON.stringify(modelVersion);
    }
    const x = c.numbers;
    const o = i * NUMBERS;
    const hits = c.reasons[i];
    const reasons = hits ? JSON.stringify(hits) : '[]';
    const features = c.modelFeatures[i];
    const masked = c.card[i];
    const card = masked !== null && masked !== undefined ? `,"card":${jsonString(masked)}` : '';
    return (
      `{"transaction_id":${jsonString(c.transactionId[i] as string)},"score":${x[o + SCORE]},"outcome":"${c.outcome[i]}",` +
      `"reasons":${reasons},"rules_score":${x[o + RULES_SCORE]},"model_score":${orNull(x[o + MODEL_SCORE] as number)},"model_version":${this.modelVersionJson},` +
      (features ? `"model_features":${featuresJson(features)},` : '') +
      `"rules_version":${this.rulesVersionJson},"decided_at":"${c.decidedAt[i]}",` +
      `"row":${orNull(x[o + ROW] as number)},"timestamp":"${this.times.format(x[o + TIME] as number)}",` +
      `"account_id":${jsonString(c.accountId[i] as string)}${card},"amount":"${formatDecimal(x[o + AMOUNT] as number)}","currency":"${c.currency[i]}"}\n`
    );
  }

  /** One CSV line, in the columns of CSV_HEADER. */
  private csv(c: DecisionColumns, i: number): string {
    const x = c.numbers;
    const o = i * NUMBERS;
    const row = orNull(x[o + ROW] as number);
    const modelScore = orNull(x[o + MODEL_SCORE] as number);
    return `${[
      c.transactionId[i] as string,
      String(row ?? ''),
      this.times.format(x[o + TIME] as number),
      c.accountId[i] as string,
      c.card[i] ?? '',
      formatDecimal(x[o + AMOUNT] as number),
      c.currency[i] as string,
      String(x[o + SCORE]),
      c.outcome[i] as string,
      (c.reasons[i] ?? []).map((r) => r.rule).join('|'),
      String(x[o + RULES_SCORE]),
      modelScore === null ? '' : String(modelScore),
      c.rulesVersion[i] as string,
      c.modelVersion[i] ?? '',
      c.decidedAt[i] as string,
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
