import Database from 'better-sqlite3';
import type { Label } from '../../core/transaction.js';
import type { LabelledTransaction } from '../../ports/LabelledHistory.js';
import type { StoredHistory } from '../../ports/StoredHistory.js';
import { type TransactionRow, transactionFromRow } from './encodeBatch.js';
import { SCHEMA_VERSION, SqliteSchemaError } from './SqliteStateStore.js';

/**
 * The data dir's stored transactions and labels, read in event-time order from its database
 * opened read-only: a running `fraudmini start` may hold it, and nothing here writes.
 *
 * @example
 * const history = SqliteStoredHistory.open('var/fraudmini.db');
 * try { await trainModelFromStore(history.byTime(), options); } finally { history.close(); }
 */
export class SqliteStoredHistory implements StoredHistory {
  private constructor(private readonly db: Database.Database) {}

  /** Opens the database at `path` read-only; throws {@link SqliteSchemaError} for another version's. */
  static open(path: string): SqliteStoredHistory {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < 2 || version > SCHEMA_VERSION) {
      db.close();
      throw new SqliteSchemaError(path, version === 0 ? 1 : version);
    }
    return new SqliteStoredHistory(db);
  }

  async *byTime(): AsyncGenerator<LabelledTransaction> {
    const rows = this.db
      .prepare(
        'SELECT t.*, l.label AS reported_label FROM transactions t LEFT JOIN labels l ON l.transaction_id = t.transaction_id ORDER BY t.ts, t.seq',
      )
      .iterate() as IterableIterator<TransactionRow & { reported_label: Label | null }>;
    for (const r of rows) {
      const transaction = transactionFromRow(r);
      const label = transaction.label ?? r.reported_label ?? undefined;
      yield label === undefined ? { transaction } : { transaction, label };
    }
  }

  close(): void {
    this.db.close();
  }
}
