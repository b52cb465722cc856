import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CsvParser, DEFAULT_MAX_RECORD, detectDelimiter } from '../core/csv.js';
import { HeaderError } from '../core/errors.js';
import { type ColumnMapping, type FieldMap, mapHeader } from '../core/schema.js';

/**
 * Reads a CSV file's header row only and maps it as ingest will: the delimiter picked from the
 * header line, the same parser and record limit, then `mapHeader` with the given field map. Reads
 * no further than the header (at most about `maxRecord` characters).
 *
 * @throws HeaderError when the file is empty, its header row is too long, or it cannot be mapped.
 * @example
 * const mapping = await checkCsvHeader('day.csv', { file: 'day.csv' });
 */
export async function checkCsvHeader(
  path: string,
  options: { file: string; fieldMap?: FieldMap; maxRecord?: number },
): Promise<ColumnMapping> {
  const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
  const decoder = new StringDecoder('utf8');
  let header: { fields: string[]; tooLong: boolean } | undefined;
  const take = (fields: string[], _line: number, tooLong: boolean): void => {
    header ??= { fields, tooLong };
  };
  // As ingest: the delimiter is decided on the header line (or on more than a row can hold).
  let parser: CsvParser | undefined;
  let pending = '';
  const startParser = (): CsvParser => {
    const nl = pending.indexOf('\n');
    const p = new CsvParser(detectDelimiter(pending.slice(0, nl === -1 ? maxRecord + 1 : nl)), { maxRecord, file: options.file });
    p.pushEach(pending, take);
    return p;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 64 << 10 })) {
    const text = decoder.write(chunk as Buffer);
    if (parser) parser.pushEach(text, take);
    else {
      pending += text;
      if (!pending.includes('\n') && pending.length <= maxRecord) continue;
      parser = startParser();
    }
    if (header) break;
  }
  if (!header) {
    const tail = decoder.end();
    if (parser) parser.pushEach(tail, take);
    else {
      pending += tail;
      if (pending.trim() === '') throw new HeaderError('the file is empty: expected a header row', options.file);
      parser = startParser();
    }
    if (!header) parser.endEach(take);
  }
  if (!header) throw new HeaderError('the file is empty: expected a header row', options.file);
  if (header.tooLong) {
    throw new HeaderError(
      `the header row is longer than ${maxRecord.toLocaleString('en-US')} characters, the longest row allowed`,
      options.file,
    );
  }
  return mapHeader(header.fields, options.fieldMap, options.file);
}
