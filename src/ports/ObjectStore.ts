import { FraudminiError } from '../core/errors.js';

/**
 * Where files live: a folder locally, S3 on AWS. Keys are `/`-separated relative paths
 * such as `inbox/tx.csv`.
 */
export interface ObjectStore {
  /**
   * Streams an object's bytes. Throws {@link UnreadableObjectError} (when iterated) for an object
   * the store will not read, such as a link to a file elsewhere.
   */
  read(key: string): AsyncIterable<Buffer>;
  /** Writes an object atomically: readers see the old object or the whole new one. */
  write(key: string, body: string | AsyncIterable<string>): Promise<void>;
  /** Moves an object (atomically where the backend allows). */
  move(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
}

/**
 * An object the store refuses to read: not a regular file of its own (a symbolic link, a hard
 * link to a file elsewhere, a device, a FIFO, a directory). Nothing of it was read.
 */
export class UnreadableObjectError extends FraudminiError {
  readonly key: string;
  /** Why, in words (`it is a symbolic link`). */
  readonly reason: string;
  constructor(key: string, reason: string) {
    super(`${key}: ${reason}; only regular files are read (nothing of it was read)`);
    this.name = 'UnreadableObjectError';
    this.key = key;
    this.reason = reason;
  }
}
