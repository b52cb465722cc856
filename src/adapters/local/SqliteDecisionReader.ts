import Database from 'better-sqlite3';
import type { DecidedItem } from '../../core/records.js';
import { decisionFromRow, type TransactionRow, transactionFromRow } from './encodeBatch.js';
import { SCHEMA_VERSION, SqliteSchemaError } from './SqliteStateStore.js';

/** The oldest schema whose `transactions` table has every column the export reads. */
const OLDEST_READABLE = 2;

/**
 * Reads the stored decisions of a data dir's database without writing to it (a running
 * `fraudmini start` may hold it), for `fraudmini export`.
 *
 * @example
 * const reader = new SqliteDecisionReader('var/fraudmini.db');
 * try { for (const item of reader.decisions()) use(item); } finally { reader.close(); }
 */
export class SqliteDecisionReader {
  private readonly db: Database.Database;

  /** Opens `path` read-only; throws {@link SqliteSchemaError} for a database of another version. */
  constructor(readonly path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true });
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version < OLDEST_READABLE || version > SCHEMA_VERSION) {
      this.db.close();
      throw new SqliteSchemaError(path, version === 0 ? 1 : version);
    }
  }

  /**
   * Every stored decision with its (masked) transaction whose event time is in `[fromMs, toMs)`,
   * in event-time order (then storage order), streamed: memory stays bounded whatever the count.
   */
  *decisions(fromMs = Number.MIN_SAFE_INTEGER, toMs = Number.MAX_SAFE_INTEGER): Generator<DecidedItem> {
    const it = this.db
      .prepare('SELECT * FROM transactions WHERE ts >= ? AND ts < ? ORDER BY ts, seq')
      .iterate(fromMs, toMs) as IterableIterator<TransactionRow>;
    for (const row of it) yield { transaction: transactionFromRow(row), decision: decisionFromRow(row) };
  }

  close(): void {
    this.db.close();
  }
}
