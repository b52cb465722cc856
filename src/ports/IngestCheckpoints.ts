import type { IngestCounts, Rejection } from '../core/receipt.js';

/** Progress of one ingested (handed-off) file, so a timed-out run resumes where it stopped. */
export interface IngestCheckpoint {
  /** Bucket/key and ETag identify the object; a new upload under the same key is a new file. */
  file: string;
  etag: string;
  status: 'ingesting' | 'processed' | 'failed';
  /** Data rows fully handed off or rejected, from the top. */
  rowsDone: number;
  counts: IngestCounts;
  /** Messages sent to the transactions queue so far. */
  messages: number;
  /** The first rejections (capped for the receipt). */
  rejections: Rejection[];
  startedAt: string;
  error?: string;
}

/**
 * Durable ingest progress (the state table on AWS), one checkpoint per file and ETag.
 *
 * @example
 * const resume = await checkpoints.get('raw/inbox/a.csv', etag);
 */
export interface IngestCheckpoints {
  get(file: string, etag: string): Promise<IngestCheckpoint | undefined>;
  /** Saves a checkpoint, replacing the one of the same file and ETag. */
  put(checkpoint: IngestCheckpoint): Promise<void>;
}
