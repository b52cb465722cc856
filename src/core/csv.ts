import { UnclosedQuoteError } from './errors.js';

/** The longest CSV record (row) allowed by default, in characters. */
export const DEFAULT_MAX_RECORD = 64 * 1024;

/** One CSV record: its fields and the physical line (1-based) where it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
  /**
   * The record is longer than the parser's limit: `fields` are those of its first `maxRecord`
   * characters only (the last one cut), the rest was skipped unread.
   */
  tooLong?: true;
}

/**
 * Receives one parsed record: its fields, the physical line (1-based) where it starts, and
 * whether it was longer than the limit (see {@link CsvRecord.tooLong}).
 */
export type CsvEmit = (fields: string[], line: number, tooLong: boolean) => void;

/** Options of {@link CsvParser}. */
export interface CsvParserOptions {
  /**
   * The longest record, in characters before its line feed (line breaks inside quoted fields
   * count). A longer one comes out as a {@link CsvRecord.tooLong} record; one still inside a
   * quoted field at the limit throws {@link UnclosedQuoteError}. @default DEFAULT_MAX_RECORD
   */
  maxRecord?: number | undefined;
  /** The file being parsed, named in errors. */
  file?: string | undefined;
}

const CR = 13;
const QUOTE = 34;
/** {@link CsvParser.scanRecord}: the text ends before the record does. */
const MORE = -1;
/** {@link CsvParser.scanRecord}: the record is longer than the limit, and not inside quotes there. */
const OVER = -2;

/**
 * Incremental RFC 4180 CSV parser: feed it chunks of text, get complete records back.
 * Pure (no I/O), so the same parser serves files, S3 streams and tests. Lines without a
 * quote take a fast split path; quoted fields may hold delimiters, `""` and line breaks.
 * Records end at a line feed, with a CR before it dropped; a lone CR is data. Blank lines are
 * skipped. A UTF-8 BOM at the start is dropped.
 *
 * Parsing is linear in the input whatever its chunking (a record split over many chunks is not
 * parsed again with each one), and memory is bounded by `maxRecord`: a longer record is cut
 * (see {@link CsvRecord.tooLong}) and the rest of it skipped without being kept.
 *
 * @example
 * const p = new CsvParser(',');
 * const out: CsvRecord[] = [];
 * p.push('a,b\n1,"x, y"\n', out); // out: [{fields:['a','b'],line:1},{fields:['1','x, y'],line:2}]
 */
export class CsvParser {
  private readonly delimiter: string;
  private readonly delimCode: number;
  private readonly maxRecord: number;
  private readonly file: string | undefined;
  private started = false;
  /** Line feeds consumed before the current record: the record starts on line `lines + 1`. */
  private lines = 0;
  private scanned = 0;

  // A record open across pushes: its text so far and where the scan of it stands.
  private open = false;
  private pieces: string[] = [];
  private pieceLength = 0;
  /** The scan is inside a quoted field. */
  private inQuotes = false;
  /** The next character starts a field (a quote there opens a quoted field). */
  private fieldStart = true;
  /** Inside quotes, the last character scanned was a quote: closing, or the first of `""`. */
  private quoteAtEnd = false;
  /** The record has a quoted field (so it cannot simply be split). */
  private quoted = false;

  /** A too-long record being skipped to its end: what is kept of it. */
  private skipping: { fields: string[]; line: number; newlines: number } | undefined;

  constructor(delimiter = ',', options: CsvParserOptions = {}) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new RangeError(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
    }
    const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
    if (!Number.isInteger(maxRecord) || maxRecord < 1) {
      throw new RangeError(`the record limit must be a positive integer, got ${maxRecord}`);
    }
    this.delimiter = delimiter;
    this.delimCode = delimiter.charCodeAt(0);
    this.maxRecord = maxRecord;
    this.file = options.file;
  }

  /**
   * Characters examined so far, re-examinations included. It stays within a small multiple of
   * the input's length whatever the chunking: tests use it to show the parse is linear.
   */
  get charsScanned(): number {
    return this.scanned;
  }

  /** Parses as many complete records as `chunk` (after what was left over) holds. */
  push(chunk: string, out: CsvRecord[]): void {
    this.pushEach(chunk, (fields, line, tooLong) => out.push(tooLong ? { fields, line, tooLong } : { fields, line }));
  }

  /** Flushes the last record (a file need not end with a newline). */
  end(out: CsvRecord[]): void {
    this.endEach((fields, line, tooLong) => out.push(tooLong ? { fields, line, tooLong } : { fields, line }));
  }

  /**
   * Like {@link push}, but hands each record to `emit` as soon as it is parsed, without a
   * {@link CsvRecord} per row or a list of them: a 1 MiB chunk is ~8,000 rows, and holding all
   * their field arrays until the chunk was done kept them alive past young-generation GCs.
   */
  pushEach(chunk: string, emit: CsvEmit): void {
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let pos = 0;
    if (this.skipping) pos = this.skip(text, 0, emit);
    else if (this.open) pos = this.continueRecord(text, emit);
    if (pos !== MORE) this.parse(text, pos, emit);
  }

  /** Like {@link end}, handing the last record to `emit`. */
  endEach(emit: CsvEmit): void {
    const skipped = this.skipping;
    if (skipped) {
      this.skipping = undefined;
      emit(skipped.fields, skipped.line, true);
      return;
    }
    if (!this.open) return;
    // The last record ends with the input: a quoted field still open runs to the end.
    const record = this.pieces.join('');
    this.scanned += record.length;
    const closed = !this.inQuotes || this.quoteAtEnd;
    this.open = false;
    this.pieces = [];
    this.pieceLength = 0;
    this.emitRecord(record, closed, emit);
  }

  /** Parses complete records of `text` from `pos`; keeps the scan of an unfinished one for the next push. */
  private parse(text: string, from: number, emit: CsvEmit): void {
    const n = text.length;
    const max = this.maxRecord;
    let pos = from;
    let nextQuote = -1;
    while (pos < n) {
      const nl = this.find(text, '\n', pos);
      if (nl !== -1 && nl - pos <= max) {
        if (nextQuote !== Number.POSITIVE_INFINITY && nextQuote < pos) {
          nextQuote = this.find(text, '"', pos);
          if (nextQuote === -1) nextQuote = Number.POSITIVE_INFINITY;
        }
        if (nextQuote > nl) {
          // The fast path: a whole line without a quote.
          const end = nl > pos && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
          this.lines++;
          if (end > pos) {
            this.scanned += end - pos;
            emit(text.slice(pos, end).split(this.delimiter), this.lines, false);
          }
          pos = nl + 1;
          continue;
        }
      }
      this.startRecord();
      const end = this.scanRecord(text, pos, 0);
      if (end === MORE) {
        this.keep(text.slice(pos));
        return;
      }
      if (end === OVER) {
        pos = this.skip(text, this.startSkip(text.slice(pos, pos + max), pos + max), emit);
        if (pos === MORE) return;
        continue;
      }
      this.emitRecord(text.slice(pos, end), true, emit);
      pos = end + 1;
    }
  }

  /** Goes on with the record left open by the last push; returns where `text` continues after it, or MORE. */
  private continueRecord(text: string, emit: CsvEmit): number {
    const end = this.scanRecord(text, 0, this.pieceLength);
    if (end === MORE) {
      this.keep(text);
      return MORE;
    }
    const head = this.pieces.join('');
    this.open = false;
    this.pieces = [];
    this.pieceLength = 0;
    if (end === OVER) {
      const rest = this.maxRecord - head.length;
      this.scanned += head.length + rest;
      return this.skip(text, this.startSkip(head + text.slice(0, rest), rest), emit);
    }
    this.scanned += head.length + end;
    this.emitRecord(head + text.slice(0, end), true, emit);
    return end + 1;
  }

  private startRecord(): void {
    this.inQuotes = false;
    this.fieldStart = true;
    this.quoteAtEnd = false;
    this.quoted = false;
  }

  /** Keeps the text of an unfinished record (its scan state is already up to date). */
  private keep(text: string): void {
    this.open = true;
    if (text.length === 0) return;
    this.pieces.push(text);
    this.pieceLength += text.length;
  }

  /**
   * Finds where the record going on at `from` ends: the index of its line feed in `text`, MORE
   * when `text` ends first, or OVER when it is longer than the limit and not inside a quoted field
   * there. `length` is how much of the record came before `text`. Throws
   * {@link UnclosedQuoteError} when the limit falls inside a quoted field.
   */
  private scanRecord(text: string, from: number, length: number): number {
    const n = text.length;
    // Index in `text` of the record's first character past the limit.
    const limit = from - length + this.maxRecord;
    let i = from;
    if (this.quoteAtEnd) {
      if (i >= n) return MORE;
      this.quoteAtEnd = false;
      this.scanned++;
      if (text.charCodeAt(i) === QUOTE) {
        if (i >= limit) this.failOpenQuote();
        i++;
      } else {
        this.inQuotes = false;
        this.fieldStart = false;
      }
    }
    // Where the next line feed is: -2 not looked for yet; -1 there is none in `text`.
    let nl = -2;
    for (;;) {
      if (this.inQuotes) {
        const q = this.find(text, '"', i);
        if (q === -1) {
          if (limit < n) this.failOpenQuote();
          return MORE;
        }
        if (q >= limit) this.failOpenQuote();
        if (q + 1 >= n) {
          this.quoteAtEnd = true;
          return MORE;
        }
        this.scanned++;
        if (text.charCodeAt(q + 1) === QUOTE) {
          if (q + 1 >= limit) this.failOpenQuote();
          i = q + 2;
          continue;
        }
        this.inQuotes = false;
        this.fieldStart = false;
        i = q + 1;
        continue;
      }
      if (nl === -2 || (nl !== -1 && nl < i)) nl = this.find(text, '\n', i);
      const stop = nl === -1 ? n : nl;
      // A quote opens a quoted field only at the start of a field; elsewhere it is data.
      let opening = -1;
      for (let q = this.find(text, '"', i); q !== -1 && q < stop; q = this.find(text, '"', q + 1)) {
        if (q === i ? this.fieldStart : text.charCodeAt(q - 1) === this.delimCode) {
          opening = q;
          break;
        }
      }
      if (opening !== -1) {
        if (opening >= limit) return OVER;
        this.inQuotes = true;
        this.quoted = true;
        i = opening + 1;
        continue;
      }
      if (nl !== -1) return nl > limit ? OVER : nl;
      if (limit < n) return OVER;
      if (n > i) this.fieldStart = text.charCodeAt(n - 1) === this.delimCode;
      return MORE;
    }
  }

  private failOpenQuote(): never {
    throw new UnclosedQuoteError(this.lines + 1, this.maxRecord, this.file);
  }

  /** Starts skipping a too-long record, keeping the fields of its first `maxRecord` characters; returns `resume`. */
  private startSkip(head: string, resume: number): number {
    // The limit fell outside quotes, so any line feed before it is inside a quoted field.
    const newlines = this.quoted ? countNewlines(head) : 0;
    this.scanned += head.length * (this.quoted ? 2 : 1);
    this.skipping = { fields: this.fields(head), line: this.lines + 1, newlines };
    this.open = false;
    return resume;
  }

  /** Skips the rest of a too-long record up to its line feed; returns the index after it, or MORE. */
  private skip(text: string, from: number, emit: CsvEmit): number {
    const skipped = this.skipping as NonNullable<typeof this.skipping>;
    const nl = this.find(text, '\n', from);
    if (nl === -1) return MORE;
    this.skipping = undefined;
    this.lines += skipped.newlines + 1;
    emit(skipped.fields, skipped.line, true);
    return nl + 1;
  }

  /** Emits a complete record (its line feed excluded); `closed` is false when a quoted field ran to the end of input. */
  private emitRecord(record: string, closed: boolean, emit: CsvEmit): void {
    const line = this.lines + 1;
    if (this.quoted) {
      this.lines += countNewlines(record);
      this.scanned += record.length;
    }
    this.lines++;
    // A CR before the line feed (or the end of input) belongs to the line break, unless quoted.
    const text = closed && record.charCodeAt(record.length - 1) === CR ? record.slice(0, -1) : record;
    if (text.length === 0) return;
    this.scanned += text.length;
    emit(this.quoted ? this.fields(text) : text.split(this.delimiter), line, false);
  }

  /** Splits a record holding quoted fields into its fields. */
  private fields(record: string): string[] {
    if (!this.quoted) return record.split(this.delimiter);
    const d = this.delimiter;
    const n = record.length;
    const out: string[] = [];
    let i = 0;
    for (;;) {
      let value: string;
      let j: number;
      if (record.charCodeAt(i) === QUOTE) {
        value = '';
        j = i + 1;
        for (;;) {
          const q = record.indexOf('"', j);
          if (q === -1) {
            // Only the last record of the input can end inside quotes.
            value += record.slice(j);
            j = n;
            break;
          }
          value += record.slice(j, q);
          if (record.charCodeAt(q + 1) === QUOTE) {
            value += '"';
            j = q + 2;
            continue;
          }
          j = q + 1;
          break;
        }
      } else {
        value = '';
        j = i;
      }
      // Up to the next delimiter the text is data (after a closing quote too).
      const next = record.indexOf(d, j);
      if (next === -1) {
        out.push(value + record.slice(j));
        break;
      }
      out.push(value + record.slice(j, next));
      i = next + 1;
    }
    return out;
  }

  /** `text.indexOf(ch, from)`, counting the characters it examines. */
  private find(text: string, ch: string, from: number): number {
    const at = text.indexOf(ch, from);
    this.scanned += (at === -1 ? text.length : at + 1) - from;
    return at;
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Picks the delimiter (`,` `;` tab `|`) that splits a header line into the most columns. */
export function detectDelimiter(headerLine: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const count = headerLine.split(d).length - 1;
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Quotes a value for CSV output when it holds the delimiter, a quote or a line break. */
export function csvEscape(value: string, delimiter = ','): string {
  const needs = value.includes(delimiter) || value.includes('"') || value.includes('\n') || value.includes('\r');
  return needs ? `"${value.replaceAll('"', '""')}"` : value;
}
