import type Database from 'better-sqlite3';
import type { Label } from '../../core/transaction.js';
import type { LabelledHistory, LabelledTransaction } from '../../ports/LabelledHistory.js';
import type { RulesHistory, RulesVersionRecord } from '../../ports/RulesHistory.js';
import { type TransactionRow, transactionFromRow } from './encodeBatch.js';

/** Rows read between two yields to the event loop, so a long backtest does not stall the server. */
const YIELD_EVERY = 2000;

interface VersionRow {
  id: number;
  version: string;
  digest: string;
  saved_at: string;
  document?: string;
}

/**
 * What the rules workbench reads from the data dir's database: the history of rules documents
 * (`rules_versions`) and the stored transactions with their labels (`transactions`, `labels`),
 * replayed by a backtest in the order they were stored.
 *
 * @example
 * const bench = new SqliteRulesWorkbench({ db: state.db });
 * for await (const { transaction, label } of bench.labelledHistory(100_000)) tally(transaction, label);
 */
export class SqliteRulesWorkbench implements RulesHistory, LabelledHistory {
  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async remember(entry: Omit<RulesVersionRecord, 'id'> & { document: unknown }): Promise<number> {
    return this.db
      .transaction((): number => {
        const found = this.db.prepare('SELECT id FROM rules_versions WHERE digest = ?').pluck().get(entry.digest) as number | undefined;
        if (found !== undefined) return found;
        const info = this.db
          .prepare('INSERT INTO rules_versions (version, digest, saved_at, document) VALUES (?, ?, ?, ?)')
          .run(entry.version, entry.digest, entry.savedAt, JSON.stringify(entry.document));
        return Number(info.lastInsertRowid);
      })
      .immediate();
  }

  async versions(limit: number): Promise<RulesVersionRecord[]> {
    const rows = this.db
      .prepare('SELECT id, version, digest, saved_at FROM rules_versions ORDER BY id DESC LIMIT ?')
      .all(limit) as VersionRow[];
    return rows.map(record);
  }

  async find(id: number): Promise<(RulesVersionRecord & { document: unknown }) | undefined> {
    const row = this.db.prepare('SELECT * FROM rules_versions WHERE id = ?').get(id) as VersionRow | undefined;
    return row ? { ...record(row), document: JSON.parse(row.document ?? 'null') as unknown } : undefined;
  }

  async *labelledHistory(limit: number): AsyncGenerator<LabelledTransaction> {
    // The newest `limit` by seq (the primary key: a range, not a sort), read oldest first.
    const last = (this.db.prepare('SELECT max(seq) FROM transactions').pluck().get() as number | null) ?? 0;
    const rows = this.db
      .prepare(
        'SELECT t.*, l.label AS reported_label FROM transactions t LEFT JOIN labels l USING (transaction_id) WHERE t.seq > ? ORDER BY t.seq',
      )
      .iterate(last - limit) as IterableIterator<TransactionRow & { reported_label: Label | null }>;
    let n = 0;
    for (const r of rows) {
      const transaction = transactionFromRow(r);
      const label = transaction.label ?? r.reported_label ?? undefined;
      yield label === undefined ? { transaction } : { transaction, label };
      if (++n % YIELD_EVERY === 0) await new Promise((done) => setImmediate(done));
    }
  }
}

function record(r: VersionRow): RulesVersionRecord {
  return { id: r.id, version: r.version, digest: r.digest, savedAt: r.saved_at };
}
