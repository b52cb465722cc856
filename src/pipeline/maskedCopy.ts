import { StringDecoder } from 'node:string_decoder';
import { CsvParser, type CsvRecord, csvEscape, DEFAULT_MAX_RECORD, detectDelimiter } from '../core/csv.js';
import { maskPan, maskPansInText, type PanTokenizer } from '../core/pan.js';
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
    // A digit run that masking looks at continues over spaces and dashes only.
    this.lineAtOnce = !/[\d -]/.test(options.delimiter);
  }

  /** The header line, kept as given. */
  header(fields: readonly string[]): void {
    const d = this.options.delimiter;
    this.lines.push(fields.map((f) => csvEscape(f, d)).join(d));
  }

  /**
   * One data record, masked. Most records need nothing but the card column replaced: then the
   * line is joined once and checked as a whole (no quote, line break or delimiter inside a field,
   * no PAN-shaped text: a digit run cannot cross a delimiter), which is what every field's own
   * check would conclude; otherwise each field is masked and quoted on its own.
   */
  record(fields: readonly string[]): void {
    const { cardColumn, delimiter: d } = this.options;
    if (this.lineAtOnce) {
      const out = fields.slice();
      if (cardColumn >= 0 && cardColumn < out.length) out[cardColumn] = this.maskCard(out[cardColumn] as string);
      const line = out.join(d);
      if (isPlain(line, d, fields.length) && maskPansInText(line) === line) {
        this.lines.push(line);
        return;
      }
    }
    let line = '';
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as string;
      const masked = i === cardColumn ? this.maskCard(f) : maskPansInText(f);
      line += (i === 0 ? '' : d) + csvEscape(masked, d);
    }
    this.lines.push(line);
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
 * Masks PAN-shaped text line by line, for files that could not be parsed as CSV (`failed/`).
 * A line longer than `maxLine` characters is copied cut (see {@link cutLine}) and the rest of it
 * skipped, so memory stays bounded and the work linear whatever the file holds.
 */
export async function* maskedText(
  source: AsyncIterable<Buffer | string>,
  maxLine = DEFAULT_MAX_RECORD,
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  // The unfinished last line (at most maxLine characters), and whether the line being read was cut.
  let rest = '';
  let cutting = false;
  const take = (text: string): string => {
    let out = '';
    let from = 0;
    if (cutting) {
      const first = text.indexOf('\n');
      if (first === -1) return '';
      cutting = false;
      out = '\n';
      from = first + 1;
    }
    const nl = text.lastIndexOf('\n');
    if (nl >= from) {
      out += maskPansInText(rest + text.slice(from, nl + 1));
      rest = '';
      from = nl + 1;
    }
    rest += text.slice(from);
    if (rest.length > maxLine) {
      out += cutLine(rest, maxLine);
      rest = '';
      cutting = true;
    }
    return out;
  };
  for await (const chunk of source) {
    const out = take(typeof chunk === 'string' ? chunk : decoder.write(chunk));
    if (out) yield out;
  }
  const out = take(decoder.end());
  if (out || rest) yield out + maskPansInText(rest);
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
