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

/** Strings per row in {@link DecisionColumns.text}, in this order. */
const TEXTS = 4;
const TRANSACTION_ID = 0;
const ACCOUNT_ID = 1;
/** Length -1: no card (null in the output). */
const CARD = 2;
const CURRENCY = 3;

/** Codes per row in {@link DecisionColumns.codes}, each an index into {@link DecisionColumns.values}. */
const CODES = 4;
const OUTCOME = 0;
const RULES_VERSION = 1;
const MODEL_VERSION = 2;
const DECIDED_AT = 3;

/**
 * What the lines of one batch of decisions are made of, packed to be cheap to hand to a worker
 * thread: a structured clone costs per string and per object, so the strings of every row are one
 * string, the values that repeat from row to row (outcome, versions, decision time) are codes into
 * a short list, and reasons and model features are listed only for the rows that have any.
 */
export interface DecisionColumns {
  size: number;
  /** Per row: transaction id, account id, masked card, currency, concatenated. */
  text: string;
  /** The length of each string of `text`, {@link TEXTS} per row; -1 for no card. */
  lengths: Int32Array;
  /** Per row: outcome, rules version, model version, decision time, as indexes into `values`. */
  codes: Uint16Array;
  /** The distinct values `codes` refer to (null: no model). */
  values: (string | null)[];
  /** Per row: score, rules score, model score, time, amount (E4), row number. */
  numbers: Float64Array;
  /** The rows that have reasons or model features, ascending, with them (null: none). */
  extraRows: number[];
  reasons: (RuleHit[] | null)[];
  modelFeatures: (Contribution[] | null)[];
}

/** The buffers of `c` that can be transferred to a worker instead of copied. */
export function transferables(c: DecisionColumns): ArrayBuffer[] {
  return [c.lengths.buffer as ArrayBuffer, c.codes.buffer as ArrayBuffer, c.numbers.buffer as ArrayBuffer];
}

/** The index of `v` in `values`, added when absent (the list stays short: a few values per batch). */
function codeOf(values: (string | null)[], v: string | null): number {
  for (let i = 0; i < values.length; i++) if (values[i] === v) return i;
  values.push(v);
  return values.length - 1;
}

/** The columns of the lines of `items`: the decision contract plus row, time, account, masked card and amount. */
export function decisionColumns(items: readonly DecidedItem[]): DecisionColumns {
  const n = items.length;
  const lengths = new Int32Array(n * TEXTS);
  const codes = new Uint16Array(n * CODES);
  const x = new Float64Array(n * NUMBERS);
  const values: (string | null)[] = [];
  const c: DecisionColumns = {
    size: n,
    text: '',
    lengths,
    codes,
    values,
    numbers: x,
    extraRows: [],
    reasons: [],
    modelFeatures: [],
  };
  let text = '';
  for (let i = 0; i < n; i++) {
    const { transaction: tx, decision: d, source } = items[i] as DecidedItem;
    const s = i * TEXTS;
    const id = d.transaction_id;
    text += id;
    lengths[s + TRANSACTION_ID] = id.length;
    text += tx.accountId;
    lengths[s + ACCOUNT_ID] = tx.accountId.length;
    if (tx.card) {
      text += tx.card.masked;
      lengths[s + CARD] = tx.card.masked.length;
    } else lengths[s + CARD] = -1;
    text += tx.currency;
    lengths[s + CURRENCY] = tx.currency.length;
    const k = i * CODES;
    codes[k + OUTCOME] = codeOf(values, d.outcome);
    codes[k + RULES_VERSION] = codeOf(values, d.rules_version);
    codes[k + MODEL_VERSION] = codeOf(values, d.model_version);
    codes[k + DECIDED_AT] = codeOf(values, d.decided_at);
    if (d.reasons.length > 0 || d.model_features) {
      c.extraRows.push(i);
      c.reasons.push(d.reasons.length === 0 ? null : d.reasons);
      c.modelFeatures.push(d.model_features ?? null);
    }
    const o = i * NUMBERS;
    x[o + SCORE] = d.score;
    x[o + RULES_SCORE] = d.rules_score;
    x[o + MODEL_SCORE] = d.model_score ?? Number.NaN;
    x[o + TIME] = tx.timestamp;
    x[o + AMOUNT] = tx.amount;
    x[o + ROW] = source?.row ?? Number.NaN;
  }
  c.text = text;
  return c;
}

/** One row's strings and extras read back from {@link DecisionColumns}, in row order. */
class RowReader {
  transactionId = '';
  accountId = '';
  card: string | null = null;
  currency = '';
  reasons: RuleHit[] | null = null;
  modelFeatures: Contribution[] | null = null;
  private offset = 0;
  private extra = 0;

  constructor(private readonly c: DecisionColumns) {}

  /** Moves to row `i`: rows are read once each, in order. */
  next(i: number): void {
    const c = this.c;
    const s = i * TEXTS;
    this.transactionId = this.take(c.lengths[s + TRANSACTION_ID] as number);
    this.accountId = this.take(c.lengths[s + ACCOUNT_ID] as number);
    const card = c.lengths[s + CARD] as number;
    this.card = card < 0 ? null : this.take(card);
    this.currency = this.take(c.lengths[s + CURRENCY] as number);
    if (c.extraRows[this.extra] === i) {
      this.reasons = c.reasons[this.extra] ?? null;
      this.modelFeatures = c.modelFeatures[this.extra] ?? null;
      this.extra++;
    } else {
      this.reasons = null;
      this.modelFeatures = null;
    }
  }

  /** The value of row `i`'s code `k` (one of the CODES). */
  value(i: number, k: number): string | null {
    return this.c.values[this.c.codes[i * CODES + k] as number] ?? null;
  }

  private take(length: number): string {
    const from = this.offset;
    this.offset += length;
    return this.c.text.slice(from, this.offset);
  }
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
    const row = new RowReader(c);
    for (let i = 0; i < c.size; i++) {
      row.next(i);
      text.add(this.format === 'csv' ? this.csv(c, row, i) : this.json(c, row, i));
    }
    return text.bytes();
  }

  /** The bytes of an empty file's content: the CSV header that no batch wrote, or nothing. */
  end(): Buffer {
    const rest = this.headerWritten ? '' : CSV_HEADER;
    this.headerWritten = true;
    return Buffer.from(rest);
  }

  /** One JSONL line: the decision contract plus row, time, account, masked card and amount. */
  private json(c: DecisionColumns, row: RowReader, i: number): string {
    // Written field by field instead of JSON.stringify of a spread object, which costs far more
    // per row.
    const rulesVersion = row.value(i, RULES_VERSION) as string;
    if (rulesVersion !== this.rulesVersion) {
      this.rulesVersion = rulesVersion;
      this.rulesVersionJson = JSON.stringify(rulesVersion);
    }
    const modelVersion = row.value(i, MODEL_VERSION);
    if (modelVersion !== this.modelVersion) {
      this.modelVersion = modelVersion;
      this.modelVersionJson = JSON.stringify(modelVersion);
    }
    const x = c.numbers;
    const o = i * NUMBERS;
    const hits = row.reasons;
    const reasons = hits ? JSON.stringify(hits) : '[]';
    const features = row.modelFeatures;
    const masked = row.card;
    const card = masked !== null ? `,"card":${jsonString(masked)}` : '';
    return (
      `{"transaction_id":${jsonString(row.transactionId)},"score":${x[o + SCORE]},"outcome":"${row.value(i, OUTCOME)}",` +
      `"reasons":${reasons},"rules_score":${x[o + RULES_SCORE]},"model_score":${orNull(x[o + MODEL_SCORE] as number)},"model_version":${this.modelVersionJson},` +
      (features ? `"model_features":${featuresJson(features)},` : '') +
      `"rules_version":${this.rulesVersionJson},"decided_at":"${row.value(i, DECIDED_AT)}",` +
      `"row":${orNull(x[o + ROW] as number)},"timestamp":"${this.times.format(x[o + TIME] as number)}",` +
      `"account_id":${jsonString(row.accountId)}${card},"amount":"${formatDecimal(x[o + AMOUNT] as number)}","currency":"${row.currency}"}\n`
    );
  }

  /** One CSV line, in the columns of CSV_HEADER. */
  private csv(c: DecisionColumns, row: RowReader, i: number): string {
    const x = c.numbers;
    const o = i * NUMBERS;
    const rowNo = orNull(x[o + ROW] as number);
    const modelScore = orNull(x[o + MODEL_SCORE] as number);
    return `${[
      row.transactionId,
      String(rowNo ?? ''),
      this.times.format(x[o + TIME] as number),
      row.accountId,
      row.card ?? '',
      formatDecimal(x[o + AMOUNT] as number),
      row.currency,
      String(x[o + SCORE]),
      row.value(i, OUTCOME) as string,
      (row.reasons ?? []).map((r) => r.rule).join('|'),
      String(x[o + RULES_SCORE]),
      modelScore === null ? '' : String(modelScore),
      row.value(i, RULES_VERSION) as string,
      row.value(i, MODEL_VERSION) ?? '',
      row.value(i, DECIDED_AT) as string,
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
