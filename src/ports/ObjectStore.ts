/**
 * Where files live: a folder locally, S3 on AWS. Keys are `/`-separated relative paths
 * such as `inbox/tx.csv`.
 */
export interface ObjectStore {
  /** Streams an object's bytes. */
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
