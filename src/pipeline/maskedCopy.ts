import { StringDecoder } from 'node:string_decoder';
import { CsvParser, type CsvRecord, csvEscape, DEFAULT_MAX_RECORD, detectDelimiter } from '../core/csv.js';
import { maskPan, maskPansInText, mayHoldPanInFields, type PanTokenizer } from '../core/pan.js';
import { type FieldMap, mapHeader } from '../core/schema.js';

/** What {@link MaskedCsvRenderer} needs to know of a file. */
export interface MaskedCsvOptions {
  /** Index of the `card_number` column, or -1 when the file has none. */
  cardColumn: number;
  delimiter: string;
  tokenizer: PanTokenizer;
}

/**
 * Renders parsed CSV records as the masked copy kept in `processed/`: the `card_number` column
 * becomes its masked form (`411111******1111`) and any PAN-shaped text elsewhere is masked too.
 * It takes records as a parser hands them over, so the local pipeline writes the copy while it
 * ingests the file (one read, one parse) and {@link maskedCsv} writes it from a stream.
 *
 * @example
 * const r = new MaskedCsvRenderer({ cardColumn: 1, delimiter: ',', tokenizer });
 * r.header(['id', 'card_number']);
 * r.record(['t1', card]); // card: a 16-digit card number starting 411111 and ending 1111
 * r.take(); // 'id,card_number\nt1,411111******1111\n'
 */
export class MaskedCsvRenderer {
  private lines: string[] = [];
  /** Whether a whole line can be checked at once (see {@link record}). */
  private readonly lineAtOnce: boolean;

  constructor(private readonly options: MaskedCsvOptions) {
    // The delimiter must end a run of digits and take no part in a shape masking looks at.
    this.lineAtOnce = options.delimiter.length === 1 && !/[0-9A-Za-z.\-/:]/.test(options.delimiter);
  }

  /** The header line: a column named like a card number is masked as a value would be. */
  header(fields: readonly string[]): void {
    const d = this.options.delimiter;
    this.lines.push(fields.map((f) => csvEscape(maskPansInText(f), d)).join(d));
  }

  /**
   * One data record, masked field by field (a card number split over two fields is two values,
   * neither of them a card number). Most records need nothing but the card column replaced: then
   * the line is joined once and checked as a whole (no quote, line break or delimiter inside a
   * field, and no field that may hold a card number, the delimiter ending a run of digits as a
   * field's end does), which is what every field's own check would conclude; otherwise each
   * field is masked and quoted on its own.
   */
  record(fields: readonly string[]): void {
    const { cardColumn, delimiter: d } = this.options;
    const out = fields.slice();
    if (cardColumn >= 0 && cardColumn < out.length) out[cardColumn] = this.maskCard(out[cardColumn] as string);
    const line = out.join(d);
    if (this.lineAtOnce && isPlain(line, d, out.length) && !mayHoldPanInFields(line, d)) {
      this.lines.push(line);
      return;
    }
    for (let i = 0; i < out.length; i++) if (i !== cardColumn) out[i] = maskPansInText(out[i] as string);
    this.lines.push(out.map((f) => csvEscape(f, d)).join(d));
  }

  /** The text rendered since the last call. */
  take(): string {
    if (this.lines.length === 0) return '';
    const out = `${this.lines.join('\n')}\n`;
    this.lines = [];
    return out;
  }

  /** The card column's masked form; blank stays as it is. */
  private maskCard(value: string): string {
    const card = value.trim();
    if (card === '') return maskPansInText(value);
    return maskPan(card) ?? this.options.tokenizer(card).masked;
  }
}

/** True when no field of a joined line needs quoting: no quote or line break, no delimiter but the joins. */
function isPlain(line: string, delimiter: string, fields: number): boolean {
  if (line.includes('"') || line.includes('\n') || line.includes('\r')) return false;
  let joins = 0;
  for (let at = line.indexOf(delimiter); at !== -1; at = line.indexOf(delimiter, at + 1)) joins++;
  return joins === fields - 1;
}

/**
 * Streams a CSV as its masked copy (see {@link MaskedCsvRenderer}). The local pipeline renders
 * the copy during ingest; this is for files read once more on their own (the AWS hand-off, and a
 * local file whose finalize step has to be redone after a crash). The raw file never leaves the
 * inbox/processing area.
 */
export async function* maskedCsv(
  source: AsyncIterable<Buffer | string>,
  options: { tokenizer: PanTokenizer; fieldMap?: FieldMap; maxRecord?: number },
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let parser: CsvParser | undefined;
  let delimiter = ',';
  let pending = '';
  let renderer: MaskedCsvRenderer | undefined;
  const records: CsvRecord[] = [];
  const render = (): string => {
    for (const rec of records) {
      if (!renderer) {
        // The header: find the card column the same way ingest does.
        let cardColumn: number;
        try {
          cardColumn = mapHeader(rec.fields, options.fieldMap).index.card_number;
        } catch {
          cardColumn = -1;
        }
        renderer = new MaskedCsvRenderer({ cardColumn, delimiter, tokenizer: options.tokenizer });
        renderer.header(rec.fields);
      } else renderer.record(rec.fields);
    }
    records.length = 0;
    return renderer?.take() ?? '';
  };
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!parser) {
      pending += text;
      const nl = pending.indexOf('\n');
      if (nl === -1 && pending.length < 1 << 20) continue;
      delimiter = detectDelimiter(pending.slice(0, nl === -1 ? pending.length : nl));
      parser = new CsvParser(delimiter, { maxRecord: options.maxRecord });
      parser.push(pending, records);
      pending = '';
    } else parser.push(text, records);
    const out = render();
    if (out) yield out;
  }
  if (!parser) {
    pending += decoder.end();
    delimiter = detectDelimiter(pending.split('\n')[0] ?? '');
    parser = new CsvParser(delimiter, { maxRecord: options.maxRecord });
    parser.push(pending, records);
  } else parser.push(decoder.end(), records);
  parser.end(records);
  const out = render();
  if (out) yield out;
}

/**
 * Masks PAN-shaped text in a stream, for files that could not be parsed as CSV (`failed/`), as
 * masking the whole text at once would. A card number can run over lines (a quoted field) and
 * chunks, but never over a letter: the text is masked up to the last letter of what has been
 * read, with {@link CONTEXT} characters on both sides of each cut so the shapes that are not card
 * numbers (dates, UUIDs…) are seen whole, and the rest waits for the next chunk. A stretch of more
 * than {@link MAX_CARRY} characters without a letter is masked as it stands. A line longer than
 * `maxLine` characters is copied cut (see {@link cutLine}) and the rest of it skipped, so the copy
 * stays as bounded as the parser's records.
 */
export function maskedText(
  source: AsyncIterable<Buffer | string>,
  maxLine = DEFAULT_MAX_RECORD,
): AsyncGenerator<string> {
  return cutLongLines(maskedStream(source), maxLine);
}

/** {@link maskedText} before long lines are cut. */
async function* maskedStream(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  // `buf[0..from)` was emitted already and is kept as context; `from` is at a letter (or 0).
  let buf = '';
  let from = 0;
  for await (const chunk of source) {
    buf += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const cut = lastLetter(buf, buf.length - CONTEXT);
    if (cut <= from) {
      if (buf.length - from <= MAX_CARRY) continue;
      // No letter for too long: mask what there is, and start afresh.
      yield sliceByLetters(maskPansInText(buf), from, buf.length, buf);
      buf = '';
      from = 0;
      continue;
    }
    yield sliceByLetters(maskPansInText(buf), from, cut, buf);
    const keep = Math.max(0, cut - CONTEXT);
    buf = buf.slice(keep);
    from = cut - keep;
  }
  buf += decoder.end();
  if (buf.length > from) yield sliceByLetters(maskPansInText(buf), from, buf.length, buf);
}

/** Characters kept on each side of a cut: more than the longest shape masking looks at around a digit. */
const CONTEXT = 64;
/** Characters without a letter that are held back before they are masked anyway. */
const MAX_CARRY = 1 << 20;

/** Index of the last ASCII letter of `text` before `before`, or -1. */
function lastLetter(text: string, before: number): number {
  for (let i = Math.min(before, text.length) - 1; i >= 0; i--) {
    const c = text.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) return i;
  }
  return -1;
}

/**
 * The part of `masked` (the masked form of `text`) that stands for `text[from..to)`, where `from`
 * and `to` are at ASCII letters or the ends of `text`. Masking replaces stretches of digits and
 * separators only, so the n-th letter of `text` is the n-th letter of `masked`.
 */
function sliceByLetters(masked: string, from: number, to: number, text: string): string {
  if (masked === text) return text.slice(from, to);
  const start = from === 0 ? 0 : nthLetter(masked, lettersBefore(text, from));
  const end = to >= text.length ? masked.length : nthLetter(masked, lettersBefore(text, to));
  return masked.slice(start, end);
}

function lettersBefore(text: string, at: number): number {
  let n = 0;
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122) n++;
  }
  return n;
}

/** Index of the letter that has `n` letters before it. */
function nthLetter(text: string, n: number): number {
  let seen = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 32;
    if (c >= 97 && c <= 122 && seen++ === n) return i;
  }
  return text.length;
}

/**
 * Passes masked text through, cutting each line longer than `max` characters (see {@link cutLine})
 * and skipping the rest of it. Holds at most one line's first `max` characters.
 */
async function* cutLongLines(source: AsyncIterable<string>, max: number): AsyncGenerator<string> {
  // The current line's text not written yet, and whether the current line was cut.
  let line = '';
  let cutting = false;
  for await (const text of source) {
    let out = '';
    let from = 0;
    while (from < text.length) {
      const nl = text.indexOf('\n', from);
      const end = nl === -1 ? text.length : nl;
      if (!cutting) {
        line += text.slice(from, end);
        if (line.length > max) {
          out += cutLine(line, max);
          line = '';
          cutting = true;
        }
      }
      if (nl === -1) break;
      out += `${line}\n`;
      line = '';
      cutting = false;
      from = nl + 1;
    }
    if (out) yield out;
  }
  if (line) yield line;
}

/**
 * The first `max` characters of a line too long to copy, followed by a note. The kept part ends
 * at its last letter, so no card number split by the cut is left partly readable.
 */
function cutLine(line: string, max: number): string {
  let end = Math.min(max, line.length);
  while (end > 0 && !LETTER.test(line.charAt(end - 1))) end--;
  return `${maskPansInText(line.slice(0, end))}[… cut: the line is longer than ${max.toLocaleString('en-US')} characters]`;
}

const LETTER = /\p{L}/u;
