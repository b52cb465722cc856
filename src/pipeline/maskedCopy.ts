import { StringDecoder } from 'node:string_decoder';
import { CsvParser, type CsvRecord, csvEscape, detectDelimiter } from '../core/csv.js';
import { maskPan, maskPansInText, type PanTokenizer } from '../core/pan.js';
import { type FieldMap, mapHeader } from '../core/schema.js';

/**
 * Streams a CSV as the same CSV with card numbers masked: the `card_number` column becomes its
 * masked form (`411111******1111`) and any PAN-shaped text elsewhere is masked too. This is the
 * copy kept in `processed/`; the raw file never leaves the inbox/processing area.
 */
export async function* maskedCsv(
  source: AsyncIterable<Buffer | string>,
  options: { tokenizer: PanTokenizer; fieldMap?: FieldMap },
): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let parser: CsvParser | undefined;
  let delimiter = ',';
  let pending = '';
  let cardColumn = -2;
  const records: CsvRecord[] = [];
  const render = (): string => {
    let out = '';
    for (const rec of records) {
      let fields: string[];
      if (cardColumn === -2) {
        // The header: find the card column the same way ingest does.
        try {
          cardColumn = mapHeader(rec.fields, options.fieldMap).index.card_number;
        } catch {
          cardColumn = -1;
        }
        fields = rec.fields;
      } else {
        fields = rec.fields.map((f, i) =>
          i === cardColumn && f.trim() !== '' ? (maskPan(f.trim()) ?? options.tokenizer(f.trim()).masked) : maskPansInText(f),
        );
      }
      out += `${fields.map((f) => csvEscape(f, delimiter)).join(delimiter)}\n`;
    }
    records.length = 0;
    return out;
  };
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    if (!parser) {
      pending += text;
      const nl = pending.indexOf('\n');
      if (nl === -1 && pending.length < 1 << 20) continue;
      delimiter = detectDelimiter(pending.slice(0, nl === -1 ? pending.length : nl));
      parser = new CsvParser(delimiter);
      parser.push(pending, records);
      pending = '';
    } else parser.push(text, records);
    const out = render();
    if (out) yield out;
  }
  if (!parser) {
    pending += decoder.end();
    delimiter = detectDelimiter(pending.split('\n')[0] ?? '');
    parser = new CsvParser(delimiter);
    parser.push(pending, records);
  } else parser.push(decoder.end(), records);
  parser.end(records);
  const out = render();
  if (out) yield out;
}

/** Masks PAN-shaped text line by line, for files that could not be parsed as CSV (`failed/`). */
export async function* maskedText(source: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of source) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk));
    const nl = text.lastIndexOf('\n');
    if (nl === -1) {
      rest = text;
      continue;
    }
    rest = text.slice(nl + 1);
    yield maskPansInText(text.slice(0, nl + 1));
  }
  rest += decoder.end();
  if (rest) yield maskPansInText(rest);
}
