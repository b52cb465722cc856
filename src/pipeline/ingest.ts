import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { CsvParser, DEFAULT_MAX_RECORD, detectDelimiter } from '../core/csv.js';
import { HeaderError } from '../core/errors.js';
import type { PanTokenizer } from '../core/pan.js';
import {
  type ColumnMapping,
  type FieldMap,
  mapHeader,
  type ValidationContext,
  validateRecord,
} from '../core/schema.js';
import type { RowRef, Transaction } from '../core/transaction.js';
import type { Rejection } from '../core/receipt.js';
import { MaskedCsvRenderer } from './maskedCopy.js';

/** Characters of input parsed between yields. */
const SLICE = 64 << 10;

/** A valid row and where it came from. */
export interface IngestedRow {
  transaction: Transaction;
  row: RowRef;
}

/** A slice of a file: its valid rows and its rejections, in file order. */
export interface IngestBatch {
  rows: IngestedRow[];
  rejections: Rejection[];
  /** Data rows handled from the top of the file once this batch is done. */
  rowsDone: number;
  /** Bytes of input read so far (for progress). */
  bytesRead: number;
}

/** Options of {@link ingestCsv}. */
export interface IngestOptions {
  /** Identifies the file (its name): derives ids for rows without a transaction_id. */
  fileKey: string;
  tokenizer: PanTokenizer;
  fieldMap?: FieldMap;
  /** @default 5000 */
  batchSize?: number;
  /**
   * The longest row, in characters: a longer one is rejected (and not kept in memory), and a
   * quoted field still open that far into its row fails the file. @default DEFAULT_MAX_RECORD
   */
  maxRecord?: number;
  /** Rows already handled by an earlier run: parsed but not emitted (resume after a crash). */
  skipRows?: number;
  defaultCurrency?: string;
  /** Called once with the header mapping (and the header's fields) before any batch. */
  onHeader?: (mapping: ColumnMapping, delimiter: string, fields: readonly string[]) => void;
  /**
   * Called with every data record as parsed, before it is validated: skipped, blank and
   * rejected ones too (the local pipeline renders its masked copy of the file from these).
   */
  onRecord?: (fields: readonly string[]) => void;
}

/**
 * The ingest stage: streams CSV bytes into validated transaction batches. Memory is bounded by
 * the batch size and the longest row allowed whatever the file size; a bad row, a row longer
 * than allowed included, becomes a rejection and never stops the file. A file that cannot be read
 * as CSV throws a `FileFormatError`: {@link HeaderError} for a header that cannot be mapped,
 * `UnclosedQuoteError` for a quoted field still open at the longest row allowed.
 */
export async function* ingestCsv(
  source: AsyncIterable<Buffer | string>,
  options: IngestOptions,
): AsyncGenerator<IngestBatch> {
  const batchSize = options.batchSize ?? 5000;
  const skip = options.skipRows ?? 0;
  const maxRecord = options.maxRecord ?? DEFAULT_MAX_RECORD;
  const newParser = (delimiter: string): CsvParser =>
    new CsvParser(delimiter, { maxRecord, file: options.fileKey });
  const decoder = new StringDecoder('utf8');
  let parser: CsvParser | undefined;
  let pending = '';
  let mapping: ColumnMapping | undefined;
  let rowNo = 0;
  let bytesRead = 0;
  let batch: IngestBatch = { rows: [], rejections: [], rowsDone: 0, bytesRead: 0 };
  // Full batches of the slice just parsed. Rows are validated as the parser finds them (no list
  // of parsed records per chunk) and the generator yields after each 64 KiB slice, so at most a
  // slice's worth of rows (~500) waits here.
  const ready: IngestBatch[] = [];
  // One context for the file, its row number set per row (validation does not keep it).
  const context: ValidationContext = {
    tokenizer: options.tokenizer,
    sourceKey: options.fileKey,
    row: 0,
    defaultCurrency: options.defaultCurrency,
  };
  let parserDelimiter = ',';
  const tooLongRow = {
    ok: false as const,
    errors: [
      {
        column: '(row)',
        reason: `the row is longer than ${maxRecord.toLocaleString('en-US')} characters, the longest row allowed`,
      },
    ],
  };

  // The delimiter is read from the header's line up to the longest row allowed, never past it: how
  // far the text goes when it is read depends on the chunking, which must not change the answer.
  const headerSample = (text: string, nl: number): string =>
    text.slice(0, Math.min(nl === -1 ? text.length : nl, maxRecord + 1));

  const handle = (fields: string[], line: number, tooLong: boolean): void => {
    if (!mapping) {
      if (tooLong) {
        throw new HeaderError(
          `the header row is longer than ${maxRecord.toLocaleString('en-US')} characters, the longest row allowed`,
          options.fileKey,
        );
      }
      mapping = mapHeader(fields, options.fieldMap, options.fileKey);
      options.onHeader?.(mapping, parserDelimiter, fields);
      return;
    }
    options.onRecord?.(fields);
    if (!tooLong && fields.length === 1 && fields[0]?.trim() === '') return;
    rowNo++;
    if (rowNo <= skip) return;
    context.row = rowNo;
    const result = tooLong ? tooLongRow : validateRecord(fields, mapping, context);
    if (result.ok) batch.rows.push({ transaction: result.transaction, row: { row: rowNo, line } });
    else {
      const [first] = result.errors;
      const r: Rejection = {
        row: rowNo,
        line,
        column: first?.column ?? '(row)',
        reason: first?.reason ?? 'invalid',
      };
      if (result.errors.length > 1) r.errors = result.errors;
      batch.rejections.push(r);
    }
    if (batch.rows.length + batch.rejections.length >= batchSize) {
      batch.rowsDone = rowNo;
      batch.bytesRead = bytesRead;
      ready.push(batch);
      batch = { rows: [], rejections: [], rowsDone: rowNo, bytesRead };
    }
  };

  // A file that cannot be read as CSV fails at its first broken record, once the rows before that
  // record are handed over: what a failed file decided then does not depend on its chunking.
  let failure: { error: unknown } | undefined;
  const feed = (p: CsvParser, text: string, end = false): void => {
    try {
      p.pushEach(text, handle);
      if (end) p.endEach(handle);
    } catch (error) {
      failure = { error };
    }
  };
  function* drain(): Generator<IngestBatch> {
    yield* ready.splice(0);
    if (!failure) return;
    if (batch.rows.length > 0 || batch.rejections.length > 0) {
      batch.rowsDone = rowNo;
      batch.bytesRead = bytesRead;
      yield batch;
    }
    throw failure.error;
  }

  // While every chunk so far was ASCII, the decoder holds no part of a character, and an ASCII
  // chunk is its own text byte for byte: copied as Latin-1, without the UTF-8 decoder's work.
  let allAscii = true;
  const decode = (chunk: Buffer): string => {
    if (allAscii && isAscii(chunk)) return chunk.toString('latin1');
    allAscii = false;
    return decoder.write(chunk);
  };

  for await (const chunk of source) {
    bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const text = typeof chunk === 'string' ? chunk : decode(chunk);
    if (!parser) {
      // The header decides the delimiter: wait for its line feed, or for more than a row can hold.
      const from = pending.length;
      pending += text;
      const nl = pending.indexOf('\n', from);
      if (nl === -1 && pending.length <= maxRecord) continue;
      parserDelimiter = detectDelimiter(headerSample(pending, nl));
      parser = newParser(parserDelimiter);
      feed(parser, pending);
      pending = '';
      yield* drain();
    } else {
      // Parsed a slice at a time, yielding full batches in between: rows that wait outlive
      // young-generation GCs, which copy and promote them (batch size matters more).
      for (let at = 0; at < text.length; at += SLICE) {
        feed(parser, at === 0 && text.length <= SLICE ? text : text.slice(at, at + SLICE));
        yield* drain();
      }
    }
  }
  const tail = decoder.end();
  if (!parser) {
    pending += tail;
    if (pending.trim() === '') throw new HeaderError('the file is empty: expected a header row', options.fileKey);
    parserDelimiter = detectDelimiter(headerSample(pending, pending.indexOf('\n')));
    feed(newParser(parserDelimiter), pending, true);
  } else {
    feed(parser, tail, true);
  }
  yield* drain();
  if (!mapping) throw new HeaderError('the file is empty: expected a header row', options.fileKey);
  batch.rowsDone = rowNo;
  batch.bytesRead = bytesRead;
  if (batch.rows.length > 0 || batch.rejections.length > 0 || rowNo <= skip) yield batch;
}

/** Options of a {@link FileIngest}: those of {@link ingestCsv}, less what the ingest brings itself. */
export interface FileIngestOptions extends Omit<IngestOptions, 'tokenizer' | 'onHeader' | 'onRecord'> {
  /**
   * Receives the file's masked copy (see `MaskedCsvRenderer`: every record of the file, the card
   * column masked), in order, as it is rendered: the whole copy by the time the batches end.
   */
  onMaskedText?: (text: string) => void;
}

/**
 * The ingest stage of a file behind one signature, wherever it runs: {@link ingestHere} on the
 * calling thread, or on a parsing thread of its own (the local runtime's). Each brings its
 * tokenizer.
 */
export type FileIngest = (source: AsyncIterable<Buffer | string>, options: FileIngestOptions) => AsyncIterable<IngestBatch>;

/**
 * {@link ingestCsv} on the calling thread as a {@link FileIngest}, rendering the masked copy from
 * the records it parses (one read and one parse of the file). The text rendered so far is handed
 * over before each batch, and the rest once the file ends.
 */
export function ingestHere(tokenizer: PanTokenizer): FileIngest {
  return async function* ingest(source, options) {
    const { onMaskedText, ...rest } = options;
    if (!onMaskedText) {
      yield* ingestCsv(source, { ...rest, tokenizer });
      return;
    }
    let renderer: MaskedCsvRenderer | undefined;
    const batches = ingestCsv(source, {
      ...rest,
      tokenizer,
      onHeader: (mapping, delimiter, fields) => {
        renderer = new MaskedCsvRenderer({ cardColumn: mapping.index.card_number, delimiter, tokenizer });
        renderer.header(fields);
      },
      onRecord: (fields) => renderer?.record(fields),
    });
    const flush = (): void => {
      const text = renderer?.take() ?? '';
      if (text !== '') onMaskedText(text);
    };
    for await (const batch of batches) {
      flush();
      yield batch;
    }
    flush();
  };
}
