import { csvEscape } from '../../core/csv.js';
import { formatDecimal, writeDecimal } from '../../core/decimal.js';
import { blockMargins } from '../../core/model/gbdt.js';
import { type Contribution, type Model, modelScore } from '../../core/model/model.js';
import { FEATURE_COUNT } from '../../core/model/vector.js';
import { allowedScore, decisionWithMargin } from '../../core/modelDecision.js';
import type { DecidedItem } from '../../core/records.js';
import type { RuleHit, RuleSet } from '../../core/rules.js';
import type { Decision, Outcome } from '../../core/scoring.js';
import { isAlerting } from '../../core/views.js';
import type { PreparedRows } from '../../ports/BatchCommitter.js';
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
  return packColumns(items);
}

/**
 * The columns of the lines of `rows` before they are decided: the transactions' parts, and the
 * rules each row fired as its reasons (the rows with any in `extraRows`). {@link decideColumns}
 * fills in the rest where the model is.
 */
export function undecidedColumns(rows: PreparedRows): DecisionColumns {
  const c = packColumns(rows.fresh);
  rows.hits.forEach((hits, i) => {
    if (hits.length === 0) return;
    c.extraRows.push(i);
    c.reasons.push(hits);
    c.modelFeatures.push(null);
  });
  return c;
}

/**
 * Decides the rows of {@link undecidedColumns} from their model vectors (`matrix`, one row each)
 * with `model`, as `decisionWithMargin` does in the scoring loop, and writes the decisions into
 * `c`: scores, outcome, versions, time, and each row's reasons and model features. Returns the
 * batch's outcomes and alerts.
 */
export function decideColumns(
  c: DecisionColumns,
  matrix: Float64Array,
  rules: Pick<RuleSet, 'thresholds' | 'version'>,
  at: string,
  model: Model,
): { outcomes: Record<Outcome, number>; alerts: number } {
  const n = c.size;
  const margins = new Float64Array(n);
  blockMargins(model.flat, matrix, FEATURE_COUNT, n, margins);
  const outcomes = { allow: 0, review: 0, block: 0 };
  let alerts = 0;
  const { codes, values } = c;
  const x = c.numbers;
  // The rows' reasons and model features as decided (the rules' hits are read from `c` meanwhile).
  const decided: Extras = { extraRows: [], reasons: [], modelFeatures: [] };
  // The codes every allowed row without reasons has: such rows are most, and are written
  // without a decision object (see allowedScore).
  const allow = codeOf(values, 'allow');
  const rulesVersion = codeOf(values, rules.version);
  const modelVersion = codeOf(values, model.version);
  const decidedAt = codeOf(values, at);
  let extra = 0;
  for (let i = 0; i < n; i++) {
    let hits: RuleHit[] = NO_HITS;
    if (c.extraRows[extra] === i) hits = c.reasons[extra++] ?? NO_HITS;
    const margin = margins[i] as number;
    const k = i * CODES;
    const o = i * NUMBERS;
    const fromModel = modelScore(margin);
    const score = hits.length === 0 ? allowedScore(fromModel, rules) : Number.NaN;
    if (!Number.isNaN(score)) {
      outcomes.allow++;
      codes[k + OUTCOME] = allow;
      codes[k + RULES_VERSION] = rulesVersion;
      codes[k + MODEL_VERSION] = modelVersion;
      codes[k + DECIDED_AT] = decidedAt;
      x[o + SCORE] = score;
      x[o + RULES_SCORE] = 0;
      x[o + MODEL_SCORE] = fromModel;
      continue;
    }
    // No id: the line's id is in the columns already, and the decision's is not written.
    const d = decisionWithMargin('', hits, margin, matrix, i, rules, model, at);
    outcomes[d.outcome]++;
    if (isAlerting(d)) alerts++;
    putDecision(c, decided, i, d);
  }
  c.extraRows = decided.extraRows;
  c.reasons = decided.reasons;
  c.modelFeatures = decided.modelFeatures;
  return { outcomes, alerts };
}

/** The rules a row without reasons fired: none. */
const NO_HITS: RuleHit[] = [];

/**
 * The columns of `items`' lines, with the decisions of those that have one (the others' are left
 * for {@link decideColumns}).
 */
function packColumns(items: readonly (Omit<DecidedItem, 'decision'> & { decision?: Decision })[]): DecisionColumns {
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
  // The strings joined once at the end: appended one by one, each append would allocate a rope
  // node that lives until the batch is sent.
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const { transaction: tx, decision: d, source } = items[i] as Omit<DecidedItem, 'decision'> & { decision?: Decision };
    const s = i * TEXTS;
    const id = tx.transactionId;
    parts.push(id);
    lengths[s + TRANSACTION_ID] = id.length;
    parts.push(tx.accountId);
    lengths[s + ACCOUNT_ID] = tx.accountId.length;
    if (tx.card) {
      parts.push(tx.card.masked);
      lengths[s + CARD] = tx.card.masked.length;
    } else lengths[s + CARD] = -1;
    parts.push(tx.currency);
    lengths[s + CURRENCY] = tx.currency.length;
    const o = i * NUMBERS;
    x[o + TIME] = tx.timestamp;
    x[o + AMOUNT] = tx.amount;
    x[o + ROW] = source?.row ?? Number.NaN;
    if (d) putDecision(c, c, i, d);
  }
  c.text = parts.join('');
  return c;
}

/** The rows of a batch that have reasons or model features, ascending, with them. */
type Extras = Pick<DecisionColumns, 'extraRows' | 'reasons' | 'modelFeatures'>;

/** Writes decision `d` as row `i` of `c`: its codes and numbers, and its reasons and model features into `extras`. */
function putDecision(c: DecisionColumns, extras: Extras, i: number, d: Decision): void {
  const k = i * CODES;
  c.codes[k + OUTCOME] = codeOf(c.values, d.outcome);
  c.codes[k + RULES_VERSION] = codeOf(c.values, d.rules_version);
  c.codes[k + MODEL_VERSION] = codeOf(c.values, d.model_version);
  c.codes[k + DECIDED_AT] = codeOf(c.values, d.decided_at);
  if (d.reasons.length > 0 || d.model_features) {
    extras.extraRows.push(i);
    extras.reasons.push(d.reasons.length === 0 ? null : d.reasons);
    extras.modelFeatures.push(d.model_features ?? null);
  }
  const o = i * NUMBERS;
  c.numbers[o + SCORE] = d.score;
  c.numbers[o + RULES_SCORE] = d.rules_score;
  c.numbers[o + MODEL_SCORE] = d.model_score ?? Number.NaN;
}

/** One row's strings and extras read back from {@link DecisionColumns}, in row order. */
class RowReader {
  transactionId = '';
  accountId = '';
  card: string | null = null;
  currency = '';
  reasons: RuleHit[] | null = null;
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
    // The CSV names the rules that fired, not the model's features.
    if (c.extraRows[this.extra] === i) this.reasons = c.reasons[this.extra++] ?? null;
    else this.reasons = null;
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
  private headerWritten: boolean;
  /** The buffer of {@link encodeReused}. */
  private reused: ByteWriter | undefined;

  constructor(private readonly format: DecisionFileFormat) {
    this.headerWritten = format !== 'csv';
  }

  /** The bytes of one batch's lines (the CSV header first, the first time). */
  encode(c: DecisionColumns): Buffer {
    return this.encodeAll([c]);
  }

  /** The bytes of the lines of `batches`, in order, in one buffer (one write for all of them). */
  encodeAll(batches: readonly DecisionColumns[]): Buffer {
    let rows = 0;
    for (const c of batches) rows += c.size;
    if (this.format === 'jsonl') {
      const out = new ByteWriter(rows);
      for (const c of batches) this.jsonBatch(c, out);
      return out.bytes();
    }
    return this.csvLines(batches, rows);
  }

  /**
   * Like {@link encodeAll}, into a buffer this formatter keeps and reuses: the bytes are valid
   * until its next call. For a writer that is done with them by then (a synchronous write).
   */
  encodeReused(batches: readonly DecisionColumns[]): Buffer {
    if (this.format !== 'jsonl') return this.encodeAll(batches);
    let rows = 0;
    for (const c of batches) rows += c.size;
    const out = (this.reused ??= new ByteWriter(rows));
    out.at = 0;
    for (const c of batches) this.jsonBatch(c, out);
    return out.bytes();
  }

  private csvLines(batches: readonly DecisionColumns[], rows: number): Buffer {
    const text = new BatchText(rows);
    if (!this.headerWritten) text.add(CSV_HEADER);
    this.headerWritten = true;
    for (const c of batches) {
      const row = new RowReader(c);
      for (let i = 0; i < c.size; i++) {
        row.next(i);
        text.add(this.csv(c, row, i));
      }
    }
    return text.bytes();
  }

  /** The bytes of an empty file's content: the CSV header that no batch wrote, or nothing. */
  end(): Buffer {
    const rest = this.headerWritten ? '' : CSV_HEADER;
    this.headerWritten = true;
    return Buffer.from(rest);
  }

  /**
   * The JSONL lines of one batch, written into `out` piece by piece: the decision contract plus
   * row, time, account, masked card and amount. The strings are copied byte by byte from the
   * batch's text when they are plain ASCII (the usual case) and go through `JSON.stringify` and
   * UTF-8 otherwise; numbers and times are written as digits; the values that repeat (outcome,
   * versions, decision time) are encoded once per batch. No string is built per line.
   */
  private jsonBatch(c: DecisionColumns, out: ByteWriter): void {
    // Each value as the line writes it: outcome and decision time quoted as they are, the
    // versions as JSON (a model version may be null).
    const quoted = c.values.map((v) => Buffer.from(`"${v}"`, 'utf8'));
    const asJson = c.values.map((v) => Buffer.from(JSON.stringify(v), 'utf8'));
    let valueBytes = 0;
    for (let v = 0; v < quoted.length; v++) valueBytes += (quoted[v] as Buffer).length + (asJson[v] as Buffer).length;
    // The constant stretches of a line joined once per batch, so that each is one copy: the
    // outcome with the keys around it, and from the model version to the row's key when the row
    // names no model features (the versions and the decision time repeat from row to row).
    const outcomes = quoted.map((q) => Buffer.concat([OUTCOME_KEY, q, REASONS_KEY]));
    // The stretch of the last row that had one (joined at the first such row), and its codes.
    let tail = new Uint8Array(0);
    let tailModel = -1;
    let tailRules = -1;
    let tailTime = -1;
    const text = c.text;
    const lengths = c.lengths;
    const codes = c.codes;
    const x = c.numbers;
    let offset = 0;
    let extra = 0;
    for (let i = 0; i < c.size; i++) {
      const s = i * TEXTS;
      const k = i * CODES;
      const o = i * NUMBERS;
      const idLength = lengths[s + TRANSACTION_ID] as number;
      const accountLength = lengths[s + ACCOUNT_ID] as number;
      const cardLength = lengths[s + CARD] as number;
      const currencyLength = lengths[s + CURRENCY] as number;
      // Room for the fixed part of a line (keys, numbers, time, amount: under 512 bytes), the
      // batch's values, and the row's strings at their longest in UTF-8 (a JSON escape is at most
      // 6 bytes a character); reasons and features reserve their own.
      out.room(512 + valueBytes + 6 * (idLength + accountLength + Math.max(0, cardLength) + currencyLength));
      out.put(LINE_START);
      offset = out.jsonString(text, offset, idLength);
      out.put(SCORE_KEY);
      const score = x[o + SCORE] as number;
      const scoreAt = out.at;
      out.number(score);
      const scoreEnd = out.at;
      out.put(outcomes[codes[k + OUTCOME] as number] as Buffer);
      let hits: RuleHit[] | null = null;
      let features: Contribution[] | null = null;
      if (c.extraRows[extra] === i) {
        hits = c.reasons[extra] ?? null;
        features = c.modelFeatures[extra] ?? null;
        extra++;
      }
      if (hits) {
        out.text(JSON.stringify(hits));
        out.put(RULES_SCORE_KEY);
      } else out.put(NO_REASONS_RULES_SCORE_KEY);
      out.number(x[o + RULES_SCORE] as number);
      out.put(MODEL_SCORE_KEY);
      const modelScore = x[o + MODEL_SCORE] as number;
      if (Number.isNaN(modelScore)) out.put(NULL);
      // With a model the score is usually the model's: its digits are copied, not formatted again.
      else if (modelScore === score) out.copyWithin(scoreAt, scoreEnd);
      else out.number(modelScore);
      const modelCode = codes[k + MODEL_VERSION] as number;
      const rulesCode = codes[k + RULES_VERSION] as number;
      const timeCode = codes[k + DECIDED_AT] as number;
      if (features) {
        out.put(MODEL_VERSION_KEY);
        out.put(asJson[modelCode] as Buffer);
        out.put(MODEL_FEATURES_KEY);
        out.text(featuresJson(features));
        out.put(RULES_VERSION_KEY);
        out.put(asJson[rulesCode] as Buffer);
        out.put(DECIDED_AT_KEY);
        out.put(quoted[timeCode] as Buffer);
        out.put(ROW_KEY);
      } else {
        // A batch's rows share their versions and decision time, but nothing requires it.
        if (modelCode !== tailModel || rulesCode !== tailRules || timeCode !== tailTime) {
          tail = Buffer.concat([
            MODEL_VERSION_KEY,
            asJson[modelCode] as Buffer,
            RULES_VERSION_KEY,
            asJson[rulesCode] as Buffer,
            DECIDED_AT_KEY,
            quoted[timeCode] as Buffer,
            ROW_KEY,
          ]);
          tailModel = modelCode;
          tailRules = rulesCode;
          tailTime = timeCode;
        }
        out.put(tail);
      }
      const rowNo = x[o + ROW] as number;
      if (Number.isNaN(rowNo)) out.put(NULL);
      else out.number(rowNo);
      out.put(TIMESTAMP_KEY);
      out.at = this.times.write(x[o + TIME] as number, out.buf, out.at);
      out.put(ACCOUNT_KEY);
      offset = out.jsonString(text, offset, accountLength);
      if (cardLength >= 0) {
        out.put(CARD_KEY);
        offset = out.jsonString(text, offset, cardLength);
      }
      out.put(AMOUNT_KEY);
      out.at = writeDecimal(x[o + AMOUNT] as number, out.buf, out.at);
      out.put(CURRENCY_KEY);
      offset = out.raw(text, offset, currencyLength);
      out.put(LINE_END);
    }
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

const ascii = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const LINE_START = ascii('{"transaction_id":');
const SCORE_KEY = ascii(',"score":');
const OUTCOME_KEY = ascii(',"outcome":');
const REASONS_KEY = ascii(',"reasons":');
const NO_REASONS_RULES_SCORE_KEY = ascii('[],"rules_score":');
const RULES_SCORE_KEY = ascii(',"rules_score":');
const MODEL_SCORE_KEY = ascii(',"model_score":');
const MODEL_VERSION_KEY = ascii(',"model_version":');
const MODEL_FEATURES_KEY = ascii(',"model_features":');
const RULES_VERSION_KEY = ascii(',"rules_version":');
const DECIDED_AT_KEY = ascii(',"decided_at":');
const ROW_KEY = ascii(',"row":');
const TIMESTAMP_KEY = ascii(',"timestamp":"');
const ACCOUNT_KEY = ascii('","account_id":');
const CARD_KEY = ascii(',"card":');
const AMOUNT_KEY = ascii(',"amount":"');
const CURRENCY_KEY = ascii('","currency":"');
const LINE_END = ascii('"}\n');
const NULL = ascii('null');
/** Longest constant {@link ByteWriter.put} copies in a loop. */
const LOOP_BYTES = 12;

/**
 * Lines written as bytes into a buffer that grows when needed. {@link room} reserves space for
 * what follows; the writes of fixed-size parts ({@link put}, {@link number}) rely on it, those
 * of strings of any length ({@link text}) reserve their own on top of it, so the room reserved
 * for the rest of a line is still there after them.
 */
class ByteWriter {
  buf: Buffer;
  at = 0;
  /** The room last reserved by {@link room}. */
  private reserved = 0;

  constructor(lines: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1, lines) * LINE_BYTES_GUESS);
  }

  /** Makes sure `n` more bytes fit, and keeps that room after each {@link text} until the next call. */
  room(n: number): void {
    this.reserved = n;
    this.ensure(n);
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  /**
   * Copies `b`: a loop up to {@link LOOP_BYTES} bytes, where it beats a native call; past that
   * `set`, whose cost is mostly the call's and hardly grows with the length, as a loop's does.
   */
  put(b: Uint8Array): void {
    const buf = this.buf;
    let at = this.at;
    if (b.length > LOOP_BYTES) {
      buf.set(b, at);
      this.at = at + b.length;
      return;
    }
    for (let i = 0; i < b.length; i++) buf[at++] = b[i] as number;
    this.at = at;
  }

  /** `s` in UTF-8, reserving its room on top of the room reserved. */
  text(s: string): void {
    this.ensure(3 * s.length + this.reserved);
    this.at += this.buf.write(s, this.at);
  }

  /** Writes again the bytes written at [from, to). */
  copyWithin(from: number, to: number): void {
    this.buf.copyWithin(this.at, from, to);
    this.at += to - from;
  }

  /** `String(v)`: a non-negative integer as digits, anything else through `String`. */
  number(v: number): void {
    if (v >= 0 && v < 1e15 && Number.isInteger(v)) {
      let count = 1;
      for (let p = 10; p <= v; p *= 10) count++;
      let rest = v;
      const buf = this.buf;
      for (let i = this.at + count - 1; i >= this.at; i--) {
        const d = rest % 10;
        buf[i] = 48 + d;
        rest = (rest - d) / 10;
      }
      this.at += count;
      return;
    }
    const s = String(v);
    const buf = this.buf;
    for (let i = 0; i < s.length; i++) buf[this.at + i] = s.charCodeAt(i);
    this.at += s.length;
  }

  /**
   * The JSON of `text.slice(from, from + length)` (as {@link jsonString} writes it), copied
   * straight from `text` while its characters are plain ASCII that JSON leaves alone; returns
   * where the string ends in `text`.
   */
  jsonString(text: string, from: number, length: number): number {
    const end = from + length;
    const buf = this.buf;
    const start = this.at;
    let at = start;
    buf[at++] = 34; // "
    for (let i = from; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.at = start;
        this.text(jsonString(text.slice(from, end)));
        return end;
      }
      buf[at++] = c;
    }
    buf[at++] = 34;
    this.at = at;
    return end;
  }

  /** `text.slice(from, from + length)` as it is, in UTF-8; returns where it ends in `text`. */
  raw(text: string, from: number, length: number): number {
    const end = from + length;
    const buf = this.buf;
    const start = this.at;
    let at = start;
    for (let i = from; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7e) {
        this.at = start;
        this.text(text.slice(from, end));
        return end;
      }
      buf[at++] = c;
    }
    this.at = at;
    return end;
  }

  /** The bytes written; the buffer is the caller's from here on. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
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
