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
import type { BodyPart } from './BodyPipe.js';
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

/**
 * Gathers the rows of one batch as the ingest stage validates them, in file order, and hands the
 * batch over when asked ({@link finish}), starting the next. {@link ingestCsv} builds
 * {@link IngestBatch}es; a builder that packs each row into columns as it comes (the parsing
 * thread's) keeps no object per row alive until the batch is full.
 */
export interface BatchBuilder<B> {
  /** A valid row: its transaction (not kept past this call by a packing builder), data row and line. */
  add(transaction: Transaction, row: number, line: number): void;
  reject(rejection: Rejection): void;
  /** Rows and rejections in the batch so far. */
  readonly count: number;
  /** The batch, done after `rowsDone` data rows and `bytesRead` bytes; the builder starts a new one. */
  finish(rowsDone: number, bytesRead: number): B;
}

/** The {@link BatchBuilder} of {@link IngestBatch}es. */
class IngestBatchBuilder implements BatchBuilder<IngestBatch> {
  private rows: IngestedRow[] = [];
  private rejections: Rejection[] = [];

  get count(): number {
    return this.rows.length + this.rejections.length;
  }

  add(transaction: Transaction, row: number, line: number): void {
    this.rows.push({ transaction, row: { row, line } });
  }

  reject(rejection: Rejection): void {
    this.rejections.push(rejection);
  }

  finish(rowsDone: number, bytesRead: number): IngestBatch {
    const batch = { rows: this.rows, rejections: this.rejections, rowsDone, bytesRead };
    this.rows = [];
    this.rejections = [];
    return batch;
  }
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
  /** Whether transactions keep their extra columns as `attributes` (see `ValidationContext.attributes`). @default true */
  attributes?: boolean;
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
export function ingestCsv(source: AsyncIterable<Buffer | string>, options: IngestOptions): AsyncGenerator<IngestBatch> {
  return ingestCsvInto(source, options, new IngestBatchBuilder());
}

/** {@link ingestCsv}, each batch built by `batch` (the same rows, rejections and batch ends). */
export async function* ingestCsvInto<B>(
  source: AsyncIterable<Buffer | string>,
  options: IngestOptions,
  batch: BatchBuilder<B>,
): AsyncGenerator<B> {
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
  // Full batches of the slice just parsed. Rows are validated as the parser finds them (no list
  // of parsed records per chunk) and the generator yields after each 64 KiB slice, so at most a
  // slice's worth of rows (~500) waits here.
  const ready: B[] = [];
  // One context for the file, its row number set per row (validation does not keep it).
  const context: ValidationContext = {
    tokenizer: options.tokenizer,
    sourceKey: options.fileKey,
    row: 0,
    defaultCurrency: options.defaultCurrency,
    attributes: options.attributes,
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
    if (result.ok) batch.add(result.transaction, rowNo, line);
    else {
      const [first] = result.errors;
      const r: Rejection = {
        row: rowNo,
        line,
        column: first?.column ?? '(row)',
        reason: first?.reason ?? 'invalid',
      };
      if (result.errors.length > 1) r.errors = result.errors;
      batch.reject(r);
    }
    if (batch.count >= batchSize) ready.push(batch.finish(rowNo, bytesRead));
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
  function* drain(): Generator<B> {
    yield* ready.splice(0);
    if (!failure) return;
    if (batch.count > 0) yield batch.finish(rowNo, bytesRead);
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
  if (batch.count > 0 || rowNo <= skip) yield batch.finish(rowNo, bytesRead);
}

/** Lines of the masked copy rendered before they are handed on (see {@link ingestHereInto}). */
const MASKED_LINES = 512;

/** Options of a {@link FileIngest}: those of {@link ingestCsv}, less what the ingest brings itself. */
export interface FileIngestOptions extends Omit<IngestOptions, 'tokenizer' | 'onHeader' | 'onRecord'> {
  /**
   * Receives the file's masked copy (see `MaskedCsvRenderer`: every record of the file, the card
   * column masked), in order, as it is rendered: the whole copy by the time the batches end. Text
   * rendered on the calling thread comes as text; a parsing thread hands over its UTF-8 bytes.
   */
  onMasked?: (part: BodyPart) => void;
}

/**
 * The ingest stage of a file behind one signature, wherever it runs: {@link ingestHere} on the
 * calling thread, or on a parsing thread of its own (the local runtime's). Each brings its
 * tokenizer.
 */
export type FileIngest = (source: AsyncIterable<Buffer | string>, options: FileIngestOptions) => AsyncIterable<IngestBatch>;

/**
 * {@link ingestCsv} on the calling thread as a {@link FileIngest}, rendering the masked copy from
 * the records it parses (one read and one parse of the file). The text rendered is handed over
 * every {@link MASKED_LINES} lines and before each batch, and the rest once the file ends.
 */
export function ingestHere(tokenizer: PanTokenizer): FileIngest {
  return ingestHereInto(tokenizer, () => new IngestBatchBuilder());
}

/** {@link ingestHere}, each file's batches built by a builder from `builder`. */
export function ingestHereInto<B>(
  tokenizer: PanTokenizer,
  builder: () => BatchBuilder<B>,
): (source: AsyncIterable<Buffer | string>, options: FileIngestOptions) => AsyncGenerator<B> {
  return async function* ingest(source, options) {
    const { onMasked, ...rest } = options;
    if (!onMasked) {
      yield* ingestCsvInto(source, { ...rest, tokenizer }, builder());
      return;
    }
    let renderer: MaskedCsvRenderer | undefined;
    let lines = 0;
    const flush = (): void => {
      lines = 0;
      const text = renderer?.take() ?? '';
      if (text !== '') onMasked(text);
    };
    const batches = ingestCsvInto(source, {
      ...rest,
      tokenizer,
      onHeader: (mapping, delimiter, fields) => {
        renderer = new MaskedCsvRenderer({ cardColumn: mapping.index.card_number, delimiter, tokenizer });
        renderer.header(fields);
      },
      onRecord: (fields) => {
        renderer?.record(fields);
        // Handed on every few hundred lines, not once a batch: a batch's worth of rendered lines
        // outlived young-generation collections, which copied and then promoted every one of them.
        if (++lines === MASKED_LINES) flush();
      },
    }, builder());
    for await (const batch of batches) {
      flush();
      yield batch;
    }
    flush();
  };
}
