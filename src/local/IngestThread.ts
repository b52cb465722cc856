import { Worker } from 'node:worker_threads';
import { FileFormatError, HeaderError, UnclosedQuoteError } from '../core/errors.js';
import type { FieldMap } from '../core/schema.js';
import type { FileIngest, IngestBatch } from '../pipeline/ingest.js';
import { type PackedBatch, unpackBatch } from './packedBatch.js';

/** What the parsing thread is started with. */
export interface IngestThreadSetup {
  /** The file the thread reads; without one, the calling thread sends it the bytes of `source`. */
  path?: string;
  /** The name rows are attributed to (ids of rows without one derive from it). */
  fileKey: string;
  /** The card tokenisation key: the thread tokenises with a tokenizer of its own. */
  tokenKey: Uint8Array;
  /** Cards whose token the thread remembers (see `createPanTokenizer`). */
  tokenCache: number;
  batchSize: number;
  /** Rows handed over per message, about (whole batches; the last group may be smaller). */
  groupRows: number;
  fieldMap?: FieldMap;
  maxRecord?: number;
  skipRows?: number;
  defaultCurrency?: string;
  /** Whether the thread renders the file's masked copy, handed over with the batches. */
  maskedCopy?: boolean;
  /** Whether transactions keep their extra columns (see `IngestOptions.attributes`). @default true */
  attributes?: boolean;
}

/**
 * A message to the parsing thread: more batches may be sent; the next bytes of the file; the end
 * of them (`end: true`), or a failure to read them (`end: false`).
 */
export type IngestThreadRequest = { credits: number } | { chunk: Uint8Array } | { end: boolean };

/** The name the parsing thread gives the failure of a source read on the calling thread. */
export const SOURCE_FAILED = 'SourceFailed';

/** An error raised on the parsing thread, as much of it as is needed to raise it again. */
export interface IngestThreadError {
  name: string;
  message: string;
  file: string | undefined;
  line: number | undefined;
  maxRecord: number | undefined;
  code: string | undefined;
}

/** A message from the parsing thread. */
export type IngestThreadReply =
  | { kind: 'batches'; batches: PackedBatch[]; masked: Uint8Array[] }
  | { kind: 'end'; masked: Uint8Array[] }
  | { kind: 'taken' }
  | { kind: 'error'; error: IngestThreadError };

/** Groups of batches the parsing thread may run ahead of the one being scored. */
const GROUPS_AHEAD = 2;
/** Rows per batch when the options give none (as `ingestCsv`). */
const DEFAULT_BATCH = 5000;
/** Chunks of a sent source the calling thread reads ahead of the parsing thread, at most. */
const CHUNKS_AHEAD = 4;

/** Where the bytes come from, and where the masked copy goes, when the thread does not read a file. */
export interface IngestThreadIo {
  /** The file's bytes, read on this thread and sent over (when `setup.path` is not given). */
  source?: AsyncIterable<Buffer | string>;
  /** Receives the masked copy's UTF-8 as the thread renders it (with `setup.maskedCopy`). */
  onMasked?: (bytes: Uint8Array) => void;
  /** The worker's module (tests). */
  entry?: URL;
}

/**
 * `ingestCsv` over a file, run on a second thread: it reads, parses, validates and tokenises
 * there, and this thread receives the batches (packed, then unpacked into the same transactions
 * and rejections), free to score. The file is read once, in order, and the batches come in file
 * order. Errors are raised here as the same classes (`HeaderError`, `UnclosedQuoteError`, read
 * errors with their `code`) after the batches before them. Stopping early (a `return` or
 * `break`) stops the thread.
 *
 * @example
 * for await (const batch of ingestOnThread({ path, fileKey: 'tx.csv', tokenKey, tokenCache: 4096, batchSize: 500, groupRows: 2000 })) score(batch);
 */
export async function* ingestOnThread(setup: IngestThreadSetup, io: IngestThreadIo = {}): AsyncGenerator<IngestBatch> {
  const worker = new Worker(io.entry ?? defaultEntry(), { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  const queue: IngestThreadReply[] = [];
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  let exited = false;
  let stopped = false;
  // The source's own error, raised in its place: the thread only learns that reading failed.
  let sourceError: { error: unknown } | undefined;
  let taken = 0;
  let tookMore: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: IngestThreadReply) => {
    if (m.kind === 'taken') {
      taken++;
      tookMore?.();
      tookMore = undefined;
      return;
    }
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    crashed ??= e;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    tookMore?.();
    notify();
  });
  const source = setup.path === undefined ? io.source : undefined;
  const pumped = source ? pump(source) : Promise.resolve();
  async function pump(from: AsyncIterable<Buffer | string>): Promise<void> {
    let sent = 0;
    try {
      for await (const chunk of from) {
        if (stopped || exited) return;
        worker.postMessage({ chunk: typeof chunk === 'string' ? Buffer.from(chunk) : chunk } satisfies IngestThreadRequest);
        sent++;
        while (sent - taken > CHUNKS_AHEAD && !stopped && !exited) await new Promise<void>((resolve) => (tookMore = resolve));
      }
      if (!stopped && !exited) worker.postMessage({ end: true } satisfies IngestThreadRequest);
    } catch (error) {
      sourceError = { error };
      if (!stopped && !exited) worker.postMessage({ end: false } satisfies IngestThreadRequest);
    }
  }
  worker.postMessage({ credits: GROUPS_AHEAD } satisfies IngestThreadRequest);
  try {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) {
        if (crashed) throw crashed;
        if (exited) throw new Error('the parsing thread stopped before the end of the file');
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (m.kind === 'taken') continue;
      if (m.kind === 'error') throw m.error.name === SOURCE_FAILED && sourceError ? sourceError.error : rebuilt(m.error);
      for (const bytes of m.masked) io.onMasked?.(bytes);
      if (m.kind === 'end') return;
      worker.postMessage({ credits: 1 } satisfies IngestThreadRequest);
      for (const b of m.batches) yield unpackBatch(b);
    }
  } finally {
    stopped = true;
    tookMore?.();
    await worker.terminate();
    await pumped;
  }
}

/**
 * `ingestOnThread` as a {@link FileIngest}: the bytes of the source are sent to the thread, and
 * it renders the masked copy when asked for it.
 */
export function ingestOnThreadFrom(config: { tokenKey: Uint8Array; tokenCache: number; groupRows: number }): FileIngest {
  return (source, options) =>
    ingestOnThread(
      {
        fileKey: options.fileKey,
        tokenKey: config.tokenKey,
        tokenCache: config.tokenCache,
        batchSize: options.batchSize ?? DEFAULT_BATCH,
        groupRows: config.groupRows,
        fieldMap: options.fieldMap,
        maxRecord: options.maxRecord,
        skipRows: options.skipRows,
        defaultCurrency: options.defaultCurrency,
        maskedCopy: options.onMasked !== undefined,
      },
      { source, onMasked: options.onMasked },
    );
}

/** The error the parsing thread raised, as the same class with the same message and fields. */
function rebuilt(e: IngestThreadError): Error {
  // FileFormatError prefixes its message with the file: given back without it, it adds it again.
  const bare = e.file !== undefined && e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
  switch (e.name) {
    case 'HeaderError':
      return new HeaderError(bare, e.file);
    case 'UnclosedQuoteError':
      if (e.line !== undefined && e.maxRecord !== undefined) return new UnclosedQuoteError(e.line, e.maxRecord, e.file);
      return new FileFormatError(bare, e.file);
    case 'FileFormatError':
      return new FileFormatError(bare, e.file);
    default: {
      const error = new Error(e.message) as NodeJS.ErrnoException;
      error.name = e.name;
      if (e.code !== undefined) error.code = e.code;
      return error;
    }
  }
}

function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/local/ingestWorker.js', here) : new URL('./ingestWorker.js', here);
}
