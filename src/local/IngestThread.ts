import { Worker } from 'node:worker_threads';
import { FileFormatError, HeaderError, UnclosedQuoteError } from '../core/errors.js';
import type { FieldMap } from '../core/schema.js';
import type { IngestBatch } from '../pipeline/ingest.js';
import { type PackedBatch, unpackBatch } from './packedBatch.js';

/** What the parsing thread is started with. */
export interface IngestThreadSetup {
  path: string;
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
}

/** A message to the parsing thread: more batches may be sent. */
export interface IngestThreadRequest {
  credits: number;
}

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
  | { kind: 'batches'; batches: PackedBatch[] }
  | { kind: 'end' }
  | { kind: 'error'; error: IngestThreadError };

/** Groups of batches the parsing thread may run ahead of the one being scored. */
const GROUPS_AHEAD = 2;

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
export async function* ingestOnThread(setup: IngestThreadSetup, entry: URL = defaultEntry()): AsyncGenerator<IngestBatch> {
  const worker = new Worker(entry, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
  const queue: IngestThreadReply[] = [];
  let wake: (() => void) | undefined;
  let crashed: Error | undefined;
  let exited = false;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: IngestThreadReply) => {
    queue.push(m);
    notify();
  });
  worker.on('error', (e) => {
    crashed ??= e;
    notify();
  });
  worker.on('exit', () => {
    exited = true;
    notify();
  });
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
      if (m.kind === 'end') return;
      if (m.kind === 'error') throw rebuilt(m.error);
      worker.postMessage({ credits: 1 } satisfies IngestThreadRequest);
      for (const b of m.batches) yield unpackBatch(b);
    }
  } finally {
    await worker.terminate();
  }
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
