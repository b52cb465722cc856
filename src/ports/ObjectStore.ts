import { FraudminiError } from '../core/errors.js';

/**
 * Where files live: a folder locally, S3 on AWS. Keys are `/`-separated relative paths
 * such as `inbox/tx.csv`.
 */
export interface ObjectStore {
  /**
   * Streams an object's bytes. Throws {@link UnreadableObjectError} (when iterated) for an object
   * the store will not read, such as a link to a file elsewhere, and {@link ObjectChangedError}
   * when the object is cut short while it is read. An object that grows while it is read is read
   * to its new end.
   */
  read(key: string, options?: ReadOptions): AsyncIterable<Buffer>;
  /**
   * Writes an object atomically: readers see the old object or the whole new one. A streamed body
   * may mix text and bytes (text is stored as UTF-8).
   */
  write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void>;
  /** Moves an object (atomically where the backend allows). */
  move(from: string, to: string): Promise<void>;
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * What an object is now (undefined when it does not exist), to tell whether it changed since it
   * was read. Stores whose objects never change in place (S3) leave it out.
   */
  version?(key: string): Promise<ObjectVersion | undefined>;
}

/** Options of {@link ObjectStore.read}. */
export interface ReadOptions {
  /**
   * An object that ends without a line end is still being written until it has held still this
   * long: the read waits at its end until then, and reads on if it grows. @default 0
   */
  settleMs?: number;
  /** Called once the whole object was read, with its version then (where the store knows it). */
  onEnd?: (end: ReadEnd) => void;
}

/** What one read saw at the end of an object. */
export interface ReadEnd {
  /** The object's version when the read ended; its size is the bytes read. */
  version: ObjectVersion;
  /** Whether the bytes read end with a line end (a last line without one may be incomplete). */
  lineEnded: boolean;
}

/** What an object is at one moment, to compare with another moment. */
export interface ObjectVersion {
  /** Changes when another object is put under the key (the file's inode locally). */
  identity: string;
  /** Bytes. */
  size: number;
  /** Last modification, epoch milliseconds. */
  modifiedMs: number;
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

/**
 * An object changed while it was read in a way that cannot be read on from where the read was:
 * cut short, replaced, or rewritten in place. What was read is not what the object now holds.
 */
export class ObjectChangedError extends FraudminiError {
  readonly key: string;
  /** What happened, in words (`it shrank from 900 to 40 bytes`). */
  readonly reason: string;
  constructor(key: string, reason: string) {
    super(`${key} changed while it was read: ${reason}`);
    this.name = 'ObjectChangedError';
    this.key = key;
    this.reason = reason;
  }
}
