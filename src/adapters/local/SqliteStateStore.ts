import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { addBatch, emptyCounts, type Receipt, type ReceiptCounts, type Rejection } from '../../core/receipt.js';
import type { AlertQuery, DecidedItem, Stats, StoredTransaction } from '../../core/records.js';
import type { RulesChange } from '../../core/rulesChange.js';
import type { Decision } from '../../core/scoring.js';
import type { Label, Transaction } from '../../core/transaction.js';
import { type Alert, transactionView } from '../../core/views.js';
import type { AlertOutbox } from '../../ports/AlertOutbox.js';
import type { BatchCommitter, FileCheckpoint } from '../../ports/BatchCommitter.js';
import type { DecisionStore, StatsDeltas, StoredDecisions } from '../../ports/DecisionStore.js';
import type { FileLedger, FileRecord, FileStatus } from '../../ports/FileLedger.js';
import type { LabelStore, PutLabelResult } from '../../ports/LabelStore.js';
import type { RulesAuditLog } from '../../ports/RulesAuditLog.js';
import {
  ALERT_COLUMNS,
  decisionFromRow,
  type EncodedBatch,
  ENCODED_SLICE_ROWS,
  encodeBatch,
  insertValues,
  type SqlValue,
  TX_COLUMNS,
  type TransactionRow,
  transactionFromRow,
} from './encodeBatch.js';
import { SqliteWalCheckpointer, type SqliteWalCheckpointerOptions } from './SqliteWalCheckpointer.js';

/** Ids per duplicate-lookup query (well under SQLite's 32,766 host-parameter limit). */
const LOOKUP_CHUNK = 500;
/**
 * Rows per multi-row INSERT. Against one INSERT per row it cut a batch commit's time by about a
 * fifth (per-statement overhead and one native call per row); 100 rows of 32 values stay far under
 * the host-parameter limit.
 */
export const INSERT_CHUNK = ENCODED_SLICE_ROWS;

/**
 * Version of {@link SCHEMA}, kept in SQLite's `user_version`. 1 (stored as 0, before versions were
 * kept) had a JSON body per transaction and a separate `decisions` table holding another per
 * decision; 2 stores each transaction with its decision in one row, a column per field; 3 adds
 * the audit log of rule changes (`rules_audit`); 4 adds the console's users, sessions and review
 * audit trail, and the indexes its review queue reads by; 5 keeps every rules document that has
 * been in force (`rules_versions`), for the rules workbench's history and roll-back; 6 adds the
 * console's cases, alert assignments and their audit trail; 7 adds the decisions of shadow
 * challengers (`shadow_decisions`), kept apart from the decisions in force.
 */
export const SCHEMA_VERSION = 7;

/** The oldest version {@link MIGRATIONS} upgrade from. */
const OLDEST_UPGRADABLE = 2;

/** The audit log of rule changes: rows are only ever inserted. */
const RULES_AUDIT_TABLE = `
CREATE TABLE IF NOT EXISTS rules_audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  credential TEXT NOT NULL,
  remote TEXT,
  previous_version TEXT,
  version TEXT NOT NULL,
  digest TEXT NOT NULL
);`;

/**
 * The console's tables, and the indexes its review queue pages by: on the fields of the alert
 * body the queue sorts and filters on, so only alerting rows pay for them. `transactions` gets no
 * index for the console: one on `account_id` made storing a million transactions about six times
 * slower (random inserts into a B-tree larger than the page cache); an alert's account history
 * reads a bounded range of `seq` instead (see SqliteReviewStore).
 */
const CONSOLE_TABLES = `
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY,
  user_name TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS review_audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user_name TEXT NOT NULL,
  action TEXT NOT NULL,
  alert_id INTEGER NOT NULL,
  transaction_id TEXT NOT NULL,
  label TEXT NOT NULL,
  result TEXT NOT NULL,
  note TEXT
);
CREATE INDEX IF NOT EXISTS alerts_by_score ON alerts (json_extract(body, '$.score'), id);
CREATE INDEX IF NOT EXISTS alerts_by_account ON alerts (json_extract(body, '$.account_id'), id);
CREATE INDEX IF NOT EXISTS alerts_by_card ON alerts (json_extract(body, '$.card'), id);
`;

/** Every rules document that has been in force or published, whole: rows are only ever inserted. */
const RULES_VERSIONS_TABLE = `
CREATE TABLE IF NOT EXISTS rules_versions (
  id INTEGER PRIMARY KEY,
  version TEXT NOT NULL,
  digest TEXT NOT NULL UNIQUE,
  saved_at TEXT NOT NULL,
  document TEXT NOT NULL
);`;

/**
 * The console's cases: each case, which case holds an alert (one at most: the primary key), who
 * is assigned to an alert, and the audit trail of every change (rows only ever inserted), read by
 * case or by alert.
 */
const CASE_TABLES = `
CREATE TABLE IF NOT EXISTS cases (
  id INTEGER PRIMARY KEY,
  subject_kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  assignee TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cases_by_status ON cases (status, id);
CREATE INDEX IF NOT EXISTS cases_by_subject ON cases (subject_kind, subject, id);
CREATE TABLE IF NOT EXISTS case_alerts (
  alert_id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL,
  added_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_alerts_by_case ON case_alerts (case_id, alert_id);
CREATE TABLE IF NOT EXISTS alert_assignments (
  alert_id INTEGER PRIMARY KEY,
  user_name TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_audit (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  user_name TEXT NOT NULL,
  action TEXT NOT NULL,
  case_id INTEGER,
  alert_id INTEGER,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_audit_by_case ON case_audit (case_id, id);
CREATE INDEX IF NOT EXISTS case_audit_by_alert ON case_audit (alert_id, id);
`;

/**
 * What a shadow challenger decided, one row per transaction, apart from the decision in force
 * (in `transactions`, which it never changes). No card data: the transaction is joined by id.
 */
const SHADOW_TABLE = `
CREATE TABLE IF NOT EXISTS shadow_decisions (
  seq INTEGER PRIMARY KEY,
  transaction_id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  score REAL NOT NULL,
  outcome TEXT NOT NULL,
  model_score REAL,
  rules TEXT NOT NULL,
  rules_version TEXT NOT NULL,
  model_version TEXT,
  decided_at TEXT NOT NULL
);`;

/** SQL that upgrades a database from version `n` (the key) to `n + 1`, run in one transaction. */
const MIGRATIONS: Record<number, string> = {
  2: RULES_AUDIT_TABLE,
  3: CONSOLE_TABLES,
  4: RULES_VERSIONS_TABLE,
  5: CASE_TABLES,
  6: SHADOW_TABLE,
};

/** The decision columns of a `transactions` row (what a duplicate check or the API reads back). */
const DECISION_SELECT =
  'transaction_id, score, outcome, reasons, model_score, model_version, rules_score, model_features, rules_version, decided_at';
/** The decisions of the ids in an `IN` list appended to it. */
const LOOKUP_SELECT = `SELECT ${DECISION_SELECT} FROM transactions WHERE transaction_id IN`;
/** Whether SQLite refused a row for a UNIQUE or PRIMARY KEY value already stored. */
function isUniqueConflict(e: unknown): boolean {
  return e instanceof Database.SqliteError && (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');
}

/** A UTF-16 code unit at or above U+D800: where JavaScript's order of strings and SQLite's part. */
const HIGH_CODE_UNIT = /[\ud800-\uffff]/;

/** Which ids of an `IN` list appended to it are stored. */
const EXISTING_SELECT = 'SELECT transaction_id FROM transactions WHERE transaction_id IN';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS transactions (
  seq INTEGER PRIMARY KEY,
  transaction_id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  card_token TEXT,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  card_masked TEXT,
  outcome TEXT NOT NULL,
  score REAL NOT NULL,
  rules_score REAL NOT NULL,
  reasons TEXT NOT NULL,
  model_score REAL,
  model_version TEXT,
  model_features TEXT,
  rules_version TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  merchant TEXT,
  merchant_category TEXT,
  terminal_id TEXT,
  country TEXT,
  origin_country TEXT,
  destination_country TEXT,
  account_balance INTEGER,
  channel TEXT,
  device_id TEXT,
  ip TEXT,
  label INTEGER,
  attributes TEXT,
  file_id INTEGER,
  row INTEGER
);
CREATE VIEW IF NOT EXISTS decisions AS SELECT ${DECISION_SELECT} FROM transactions;
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  transaction_id TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  sink TEXT NOT NULL,
  cursor INTEGER NOT NULL,
  PRIMARY KEY (sink)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  work_key TEXT NOT NULL,
  status TEXT NOT NULL,
  rows_done INTEGER NOT NULL DEFAULT 0,
  counts TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  error TEXT,
  rules_version TEXT,
  receipt TEXT
);
CREATE TABLE IF NOT EXISTS rejections (
  file_id INTEGER NOT NULL,
  row INTEGER NOT NULL,
  line INTEGER NOT NULL,
  col TEXT NOT NULL,
  reason TEXT NOT NULL,
  errors TEXT,
  PRIMARY KEY (file_id, row)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS labels (
  transaction_id TEXT PRIMARY KEY,
  label INTEGER NOT NULL,
  known_at INTEGER NOT NULL,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
${RULES_AUDIT_TABLE}
${CONSOLE_TABLES}
${RULES_VERSIONS_TABLE}
${CASE_TABLES}
${SHADOW_TABLE}
`;

/** Options of {@link SqliteStateStore}. */
export interface SqliteStateStoreOptions {
  /** Database file path, or `:memory:`. */
  path: string;
  /**
   * Run this connection's WAL checkpoints on a thread of their own ({@link SqliteWalCheckpointer})
   * instead of inside the commit that crosses SQLite's threshold: for the connection whose commits
   * answer requests. Ignored for `:memory:`. @default SQLite's automatic checkpoints
   */
  checkpointThread?: Omit<SqliteWalCheckpointerOptions, 'path' | 'db'>;
}

/** A row of the transactions table as replayed into the feature windows. */
export interface ReplayRow {
  transaction: Transaction;
}

/** The database was made by another version of fraudmini, with another schema. */
export class SqliteSchemaError extends Error {
  constructor(
    readonly path: string,
    readonly version: number,
  ) {
    super(
      `database ${path} has schema version ${version}, made by ${version < SCHEMA_VERSION ? 'an earlier' : 'a later'} ` +
        `fraudmini; this one reads versions ${OLDEST_UPGRADABLE} to ${SCHEMA_VERSION} (upgrading older ones in place). Start with another data dir, or move the ` +
        'database (and its -wal and -shm files) aside to start afresh.',
    );
    this.name = 'SqliteSchemaError';
  }
}

/**
 * Decisions, file ledger, alert outbox, labels and the rules audit log in one SQLite database
 * (WAL). Every batch is one transaction: decisions, alerts and the file checkpoint commit
 * together, so a crash leaves either the whole batch or none of it. Its ports are asynchronous
 * (the same as the AWS adapters'); the work itself is synchronous and done by the time the call
 * returns its promise, so calls run in the order they are made.
 *
 * @example
 * const state = new SqliteStateStore({ path: 'var/fraudmini.db' });
 * const prior = await state.findDecisions(ids);
 * const { stored, alerts } = await state.storeDecisions(scored.decided);
 */
export class SqliteStateStore
  implements DecisionStore, BatchCommitter, FileLedger, AlertOutbox, LabelStore, RulesAuditLog
{
  readonly db: Database.Database;
  private readonly stmt;
  private readonly checkpoints: SqliteWalCheckpointer | undefined;
  // Wrapped once: better-sqlite3 builds four wrapper functions for every transaction() call.
  private readonly storeTransaction: Database.Transaction<(items: readonly DecidedItem[]) => StoredDecisions>;
  private readonly storeAllTransaction: Database.Transaction<(items: readonly DecidedItem[]) => StoredDecisions>;
  private readonly commitTransaction: Database.Transaction<(batch: EncodedBatch, checkpoint?: FileCheckpoint) => number[]>;

  constructor(options: SqliteStateStoreOptions) {
    this.db = new Database(options.path);
    if (options.path !== ':memory:') {
      for (const suffix of ['', '-wal', '-shm']) {
        try {
          chmodSync(options.path + suffix, 0o600);
        } catch {
          // -wal/-shm exist only once written; the main file always does.
        }
      }
    }
    this.db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL syncs at checkpoints, not at each commit: a killed process loses no
    // committed transaction (the WAL is in the OS page cache); only a power loss can lose the last few.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = OFF');
    this.createSchema(options.path);
    if (options.checkpointThread && options.path !== ':memory:') {
      this.checkpoints = new SqliteWalCheckpointer({ ...options.checkpointThread, path: options.path, db: this.db });
    }
    this.stmt = {
      insertAlert: this.db.prepare('INSERT INTO alerts (transaction_id, created_at, body) VALUES (?, ?, ?)'),
      getRow: this.db.prepare('SELECT * FROM transactions WHERE transaction_id = ?'),
      anyBetween: this.db.prepare('SELECT 1 FROM transactions WHERE transaction_id BETWEEN ? AND ? LIMIT 1').pluck(),
      bump: this.db.prepare(
        'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
      ),
      counter: this.db.prepare('SELECT value FROM counters WHERE name = ?').pluck(),
      insertFile: this.db.prepare(
        `INSERT INTO files (name, work_key, status, counts, started_at) VALUES (?, '', 'processing', ?, ?)`,
      ),
      setWorkKey: this.db.prepare('UPDATE files SET work_key = ? WHERE id = ?'),
      getFile: this.db.prepare('SELECT * FROM files WHERE id = ?'),
      unfinished: this.db.prepare(`SELECT * FROM files WHERE status IN ('processing', 'finalizing') ORDER BY id`),
      checkpoint: this.db.prepare('UPDATE files SET rows_done = ?, counts = ? WHERE id = ?'),
      insertRejection: this.db.prepare(
        'INSERT OR IGNORE INTO rejections (file_id, row, line, col, reason, errors) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      rejections: this.db.prepare('SELECT * FROM rejections WHERE file_id = ? ORDER BY row LIMIT ?'),
      setStatus: this.db.prepare(
        'UPDATE files SET status = ?, error = coalesce(?, error), rules_version = coalesce(?, rules_version) WHERE id = ?',
      ),
      finish: this.db.prepare('UPDATE files SET status = ?, finished_at = ?, receipt = ?, counts = ? WHERE id = ?'),
      alertsAfter: this.db.prepare('SELECT id, body FROM alerts WHERE id > ? ORDER BY id LIMIT ?'),
      alertsSince: this.db.prepare('SELECT id, body FROM alerts WHERE created_at >= ? ORDER BY id LIMIT ?'),
      insertLabel: this.db.prepare(
        'INSERT OR IGNORE INTO labels (transaction_id, label, known_at, created_at) VALUES (?, ?, ?, ?)',
      ),
      getLabel: this.db.prepare('SELECT label, known_at FROM labels WHERE transaction_id = ?'),
      cursor: this.db.prepare('SELECT cursor FROM deliveries WHERE sink = ?').pluck(),
      setCursor: this.db.prepare(
        'INSERT INTO deliveries (sink, cursor) VALUES (?, ?) ON CONFLICT(sink) DO UPDATE SET cursor = excluded.cursor',
      ),
    };
    this.storeTransaction = this.db.transaction((items: readonly DecidedItem[]) => this.storeNew(items));
    this.storeAllTransaction = this.db.transaction((items: readonly DecidedItem[]) => this.storeAll(items));
    this.commitTransaction = this.db.transaction((batch: EncodedBatch, checkpoint?: FileCheckpoint) => this.insertEncoded(batch, checkpoint));
  }

  /**
   * Creates the schema in a new database, upgrades one made by an earlier version (from
   * {@link OLDEST_UPGRADABLE} on, one {@link MIGRATIONS} step at a time, all in one transaction),
   * or checks that an existing one has this version's schema. There is no migration from version
   * 1: it held no users' data yet.
   */
  private createSchema(path: string): void {
    this.db
      .transaction(() => {
        let version = this.db.pragma('user_version', { simple: true }) as number;
        if (version === SCHEMA_VERSION) return;
        if (version >= OLDEST_UPGRADABLE && version < SCHEMA_VERSION) {
          for (; version < SCHEMA_VERSION; version++) this.db.exec(MIGRATIONS[version] as string);
          this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
          return;
        }
        const tables = this.db.prepare(`SELECT count(*) FROM sqlite_master WHERE type = 'table'`).pluck().get() as number;
        // Version 1 did not set user_version: any table in a database at 0 is from it.
        if (version !== 0 || tables > 0) throw new SqliteSchemaError(path, version === 0 ? 1 : version);
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })
      .immediate();
  }

  /** Adds an entry to the audit log of rule changes. */
  recordRulesChange(change: RulesChange): void {
    this.db
      .prepare(
        'INSERT INTO rules_audit (at, credential, remote, previous_version, version, digest) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(change.at, change.credential, change.remote, change.previousVersion, change.version, change.digest);
  }

  /** The newest `limit` entries of the audit log of rule changes, newest first. */
  rulesChanges(limit: number): RulesChange[] {
    return selectRulesChanges(this.db, limit);
  }

  async findDecisions(ids: readonly string[]): Promise<Map<string, Decision>> {
    return this.lookupDecisions(ids);
  }

  private lookupDecisions(ids: readonly string[]): Map<string, Decision> {
    const found = new Map<string, Decision>();
    if (this.noneStoredBetween(ids)) return found;
    // One IN (...) query per chunk instead of one lookup per row.
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const chunk = i === 0 && ids.length <= LOOKUP_CHUNK ? ids : ids.slice(i, i + LOOKUP_CHUNK);
      const rows = this.lookupStatement(chunk.length).all(...chunk) as TransactionRow[];
      for (const r of rows) found.set(r.transaction_id as string, decisionFromRow(r));
    }
    return found;
  }

  /**
   * Whether no stored transaction has an id between the least and the greatest of `ids`, which
   * proves none of `ids` is stored with one indexed read instead of a lookup per id. A file's ids
   * usually rise row by row, so a batch's range holds no id stored before it, and the check
   * answers for the whole batch. False (look them up) when the range holds some stored id, or
   * when an id has a UTF-16 code unit from U+D800 up: only below it does JavaScript's order of
   * strings agree with SQLite's (UTF-8 bytes).
   */
  private noneStoredBetween(ids: readonly string[]): boolean {
    if (ids.length < 2) return false;
    let least = ids[0] as string;
    let greatest = least;
    for (const id of ids) {
      if (HIGH_CODE_UNIT.test(id)) return false;
      if (id < least) least = id;
      else if (id > greatest) greatest = id;
    }
    return this.stmt.anyBetween.get(least, greatest) === undefined;
  }

  private readonly lookups = new Map<number, Database.Statement>();
  private readonly existing = new Map<number, Database.Statement>();

  private lookupStatement(n: number): Database.Statement {
    return this.statement(this.lookups, n, LOOKUP_SELECT);
  }

  /** `select` with an `IN` list of `n` parameters appended, prepared once per `n` (`pluck`: first column only). */
  private statement(cache: Map<number, Database.Statement>, n: number, select: string, pluck = false): Database.Statement {
    let st = cache.get(n);
    if (!st) {
      st = this.db.prepare(`${select} (${new Array(n).fill('?').join(',')})`);
      if (pluck) st.pluck();
      cache.set(n, st);
    }
    return st;
  }

  /**
   * Commits a batch and its file checkpoint on this thread, in one transaction, before it returns
   * (nothing is ever pending). A batch holding an id already stored fails whole.
   */
  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    const { batch, alerts } = encodeBatch(items, checkpoint?.fileId ?? null);
    const ids = this.commitEncoded(batch, checkpoint);
    return alerts.map((body, i) => ({ id: ids[i] as number, ...body }));
  }

  /** Nothing is pending: {@link commit} stores a batch before it returns. */
  pending(_id: string): Promise<Decision> | undefined {
    return undefined;
  }

  pendingIds(_ids: readonly string[]): ReadonlySet<string> {
    return new Set();
  }

  /**
   * Stores each decision unless its id already has one (stored, or earlier in `items`), in one
   * transaction that holds the write lock from the check to the insert: the commit worker's
   * connection cannot store one of these ids in between. The check is the insert itself; only a
   * batch that meets a stored id is done again with a lookup first.
   */
  async storeDecisions(items: readonly DecidedItem[]): Promise<StoredDecisions> {
    let result: StoredDecisions;
    try {
      // Every id new, as nearly always (the caller looked them up already): no second lookup. A
      // stored one fails an insert on its UNIQUE id, which rolls the whole transaction back, and
      // the checked store below does it again, skipping the stored ids.
      result = this.storeAllTransaction.immediate(items);
    } catch (e) {
      if (!isUniqueConflict(e)) throw e;
      result = this.storeTransaction.immediate(items);
    }
    this.checkpoints?.committed();
    return result;
  }

  /** Stores every item, inside the caller's transaction; fails on an id already stored. */
  private storeAll(items: readonly DecidedItem[]): StoredDecisions {
    const { batch, alerts } = encodeBatch(items, null);
    const ids = this.insertEncoded(batch);
    return { stored: items.slice(), duplicates: [], alerts: alerts.map((body, i) => ({ id: ids[i] as number, ...body })) };
  }

  /** The body of {@link storeDecisions}, inside its transaction. */
  private storeNew(items: readonly DecidedItem[]): StoredDecisions {
    const existing = this.storedIds(items.map((i) => i.decision.transaction_id));
    const taken = new Set<string>();
    const stored: DecidedItem[] = [];
    const duplicates: string[] = [];
    for (const item of items) {
      const id = item.decision.transaction_id;
      if (existing.has(id) || taken.has(id)) {
        duplicates.push(id);
        continue;
      }
      taken.add(id);
      stored.push(item);
    }
    const { batch, alerts } = encodeBatch(stored, null);
    const ids = this.insertEncoded(batch);
    return { stored, duplicates, alerts: alerts.map((body, i) => ({ id: ids[i] as number, ...body })) };
  }

  /** Which of `ids` have a stored decision: their ids only, without reading the decisions. */
  private storedIds(ids: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += LOOKUP_CHUNK) {
      const chunk = i === 0 && ids.length <= LOOKUP_CHUNK ? ids : ids.slice(i, i + LOOKUP_CHUNK);
      for (const id of this.statement(this.existing, chunk.length, EXISTING_SELECT, true).all(...chunk) as string[]) found.add(id);
    }
    return found;
  }

  /** The alerts stored for these transaction ids, in id order. */
  async findAlerts(ids: readonly string[]): Promise<Alert[]> {
    const distinct = [...new Set(ids)];
    const out: Alert[] = [];
    for (let i = 0; i < distinct.length; i += LOOKUP_CHUNK) {
      const chunk = distinct.slice(i, i + LOOKUP_CHUNK);
      const rows = this.db
        .prepare(`SELECT id, body FROM alerts WHERE transaction_id IN (${chunk.map(() => '?').join(',')})`)
        .all(...chunk) as { id: number; body: string }[];
      for (const r of rows) out.push(alertFromRow(r));
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** Adds to the `rejected` and `duplicates` counters. */
  async count(deltas: StatsDeltas): Promise<void> {
    this.db.transaction(() => {
      this.bump('rejected', deltas.rejected ?? 0);
      this.bump('duplicates', deltas.duplicates ?? 0);
    })();
  }

  /**
   * Stores an encoded batch (see {@link encodeBatch}) and the file checkpoint in one transaction;
   * returns the ids of its alerts, in order. This is the part the commit worker runs.
   */
  commitEncoded(batch: EncodedBatch, checkpoint?: FileCheckpoint): number[] {
    const alertIds = this.commitTransaction(batch, checkpoint);
    this.checkpoints?.committed();
    return alertIds;
  }

  /** The inserts and updates of {@link commitEncoded}, inside the caller's transaction. */
  private insertEncoded(batch: EncodedBatch, checkpoint?: FileCheckpoint): number[] {
    this.insertTransactions(batch);
    const alertIds: number[] = [];
    for (let i = 0; i < batch.alerts.length; i += ALERT_COLUMNS.length) {
      const info = this.stmt.insertAlert.run(batch.alerts.slice(i, i + ALERT_COLUMNS.length));
      alertIds.push(Number(info.lastInsertRowid));
    }
    const outcomes = batch.outcomes;
    this.bump('transactions', batch.size);
    this.bump('alerts', alertIds.length);
    for (const o of ['allow', 'review', 'block'] as const) this.bump(`outcome_${o}`, outcomes[o]);
    if (checkpoint) {
      const file = this.fileById(checkpoint.fileId);
      if (!file) throw new Error(`file ${checkpoint.fileId} is not in the ledger`);
      for (const r of checkpoint.rejections) {
        this.stmt.insertRejection.run(
          checkpoint.fileId,
          r.row,
          r.line,
          r.column,
          r.reason,
          r.errors ? JSON.stringify(r.errors) : null,
        );
      }
      const counts = addBatch(file.counts, {
        decided: batch.size,
        duplicates: checkpoint.duplicates,
        rejected: checkpoint.rejections.length,
        alerts: alertIds.length,
        outcomes,
      });
      this.stmt.checkpoint.run(checkpoint.rowsDone, JSON.stringify(counts), checkpoint.fileId);
      this.bump('rejected', checkpoint.rejections.length);
      this.bump('duplicates', checkpoint.duplicates);
    }
    return alertIds;
  }

  /**
   * Adds `n` to a counter. Zeros are skipped: a counter never bumped reads as 0, and an API commit
   * of one allowed transaction bumps two counters instead of five (one statement each).
   */
  private bump(name: string, n: number): void {
    if (n !== 0) this.stmt.bump.run(name, n);
  }

  /** The values of one multi-row INSERT, reused from one to the next. */
  private readonly insertBuffer: SqlValue[] = [];

  /** The batch's `transactions` rows, {@link INSERT_CHUNK} rows a statement. */
  private insertTransactions(batch: EncodedBatch): void {
    const values = this.insertBuffer;
    let textAt = 0;
    for (let r = 0; r < batch.size; r += INSERT_CHUNK) {
      const n = Math.min(INSERT_CHUNK, batch.size - r);
      textAt = insertValues(batch, r, n, textAt, values);
      // Spread, not one array argument: better-sqlite3 reads an array's elements through V8's
      // generic property lookup, one per value, which cost more than binding them.
      this.insertStatement('transactions', TX_COLUMNS, n).run(...values);
    }
    // The strings are not kept past the batch.
    values.length = 0;
  }

  /** Prepared once per table and row count: a file's batches need two (full chunks and the rest). */
  private readonly inserts = new Map<string, Database.Statement>();

  private insertStatement(table: string, columns: readonly string[], rows: number): Database.Statement {
    const key = `${table}/${rows}`;
    let st = this.inserts.get(key);
    if (!st) {
      const row = `(${columns.map(() => '?').join(',')})`;
      st = this.db.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${new Array(rows).fill(row).join(',')}`);
      this.inserts.set(key, st);
    }
    return st;
  }

  async getTransaction(id: string): Promise<StoredTransaction | undefined> {
    const row = this.stmt.getRow.get(id) as TransactionRow | undefined;
    if (row === undefined) return undefined;
    return { transaction: transactionView(transactionFromRow(row)), decision: decisionFromRow(row) };
  }

  async listAlerts(q: AlertQuery): Promise<Alert[]> {
    const rows = (
      q.since !== undefined
        ? this.stmt.alertsSince.all(q.since, q.limit)
        : this.stmt.alertsAfter.all(q.afterId ?? 0, q.limit)
    ) as { id: number; body: string }[];
    return rows.map(alertFromRow);
  }

  async stats(): Promise<Stats> {
    const n = (name: string): number => (this.stmt.counter.get(name) as number | undefined) ?? 0;
    const files = this.db.prepare('SELECT status, count(*) AS n FROM files GROUP BY status').all() as {
      status: FileStatus;
      n: number;
    }[];
    const byStatus = (s: FileStatus[]): number =>
      files.filter((f) => s.includes(f.status)).reduce((a, f) => a + f.n, 0);
    const transactions = n('transactions');
    return {
      transactions,
      decisions: transactions,
      alerts: n('alerts'),
      rejected: n('rejected'),
      duplicates: n('duplicates'),
      outcomes: { allow: n('outcome_allow'), review: n('outcome_review'), block: n('outcome_block') },
      files: {
        processed: byStatus(['processed']),
        failed: byStatus(['failed']),
        processing: byStatus(['processing', 'finalizing']),
      },
    };
  }

  /** Streams every stored transaction in commit order (rebuilds feature windows after a restart). */
  *replay(fromTs = Number.NEGATIVE_INFINITY): Generator<Transaction> {
    const it = this.db
      .prepare('SELECT * FROM transactions WHERE ts > ? ORDER BY seq')
      .iterate(Number.isFinite(fromTs) ? fromTs : -1e18) as IterableIterator<TransactionRow>;
    for (const row of it) yield transactionFromRow(row);
  }

  /** Newest event time stored, if any. */
  latestTimestamp(): number | undefined {
    const v = this.db.prepare('SELECT max(ts) FROM transactions').pluck().get() as number | null;
    return v ?? undefined;
  }

  /** The stored (masked) transaction itself, for feeding back a label. */
  getTransactionRecord(id: string): Transaction | undefined {
    const row = this.stmt.getRow.get(id) as TransactionRow | undefined;
    return row === undefined ? undefined : transactionFromRow(row);
  }

  /** A label reported later (e.g. a chargeback); the first label of a transaction stands. */
  async putLabel(id: string, label: Label, knownAt: number): Promise<PutLabelResult> {
    const inserted = this.stmt.insertLabel.run(id, label, knownAt, new Date().toISOString()).changes > 0;
    if (inserted) return { status: 'recorded', label, knownAt };
    const r = this.stmt.getLabel.get(id) as { label: Label; known_at: number };
    return { status: r.label === label ? 'unchanged' : 'conflict', label: r.label, knownAt: r.known_at };
  }

  /** The label reported for `id` (not the one it arrived with), if any. */
  async getLabel(id: string): Promise<{ label: Label; knownAt: number } | undefined> {
    const r = this.stmt.getLabel.get(id) as { label: Label; known_at: number } | undefined;
    return r === undefined ? undefined : { label: r.label, knownAt: r.known_at };
  }

  /** Labels reported through the API, in the order they were reported. */
  *reportedLabels(): Generator<{ transaction: Transaction; label: Label; knownAt: number }> {
    const it = this.db
      .prepare(
        'SELECT t.*, l.label AS reported_label, l.known_at AS reported_known_at FROM labels l JOIN transactions t USING (transaction_id) ORDER BY l.created_at',
      )
      .iterate() as IterableIterator<TransactionRow & { reported_label: Label; reported_known_at: number }>;
    for (const r of it) {
      yield { transaction: transactionFromRow(r), label: r.reported_label, knownAt: r.reported_known_at };
    }
  }

  // ---- file ledger ----

  async beginFile(name: string): Promise<FileRecord> {
    const startedAt = new Date().toISOString();
    // One transaction: an entry committed without its work key (the key needs the new id) would
    // point a restart at the data dir itself, and every resume would fail on it.
    const id = this.db.transaction((): number => {
      const info = this.stmt.insertFile.run(name, JSON.stringify(emptyCounts()), startedAt);
      const fileId = Number(info.lastInsertRowid);
      this.stmt.setWorkKey.run(`processing/${fileId}-${name}`, fileId);
      return fileId;
    })();
    return this.fileById(id) as FileRecord;
  }

  async getFile(id: number): Promise<FileRecord | undefined> {
    return this.fileById(id);
  }

  private fileById(id: number): FileRecord | undefined {
    const row = this.stmt.getFile.get(id) as FileRow | undefined;
    return row ? fileRecord(row) : undefined;
  }

  async unfinishedFiles(): Promise<FileRecord[]> {
    return (this.stmt.unfinished.all() as FileRow[]).map(fileRecord);
  }

  async setStatus(id: number, status: FileStatus, fields: { error?: string; rulesVersion?: string } = {}): Promise<void> {
    this.stmt.setStatus.run(status, fields.error ?? null, fields.rulesVersion ?? null, id);
  }

  async rejections(id: number, limit: number): Promise<Rejection[]> {
    return (this.stmt.rejections.all(id, limit) as RejectionRow[]).map((r) => {
      const out: Rejection = { row: r.row, line: r.line, column: r.col, reason: r.reason };
      if (r.errors) out.errors = JSON.parse(r.errors);
      return out;
    });
  }

  async finishFile(id: number, receipt: Receipt): Promise<void> {
    this.stmt.finish.run(
      receipt.status,
      receipt.finished_at,
      JSON.stringify(receipt),
      JSON.stringify(receipt.counts),
      id,
    );
  }

  // ---- alert outbox cursors ----

  /** Id of the last alert a sink has taken. */
  async deliveryCursor(sink: string): Promise<number> {
    return (this.stmt.cursor.get(sink) as number | undefined) ?? 0;
  }

  async setDeliveryCursor(sink: string, cursor: number): Promise<void> {
    this.stmt.setCursor.run(sink, cursor);
  }

  /** The checkpoint thread, when there is one (tests, diagnostics). */
  get checkpointThread(): SqliteWalCheckpointer | undefined {
    return this.checkpoints;
  }

  /** Stops the checkpoint thread, if any, and waits for it to close its connection. */
  async stopCheckpoints(): Promise<void> {
    await this.checkpoints?.close();
  }

  close(): void {
    // The thread closes its own connection after any pass it is running.
    void this.checkpoints?.close();
    this.db.close();
  }
}

interface FileRow {
  id: number;
  name: string;
  work_key: string;
  status: FileStatus;
  rows_done: number;
  counts: string;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  rules_version: string | null;
}

interface RejectionRow {
  row: number;
  line: number;
  col: string;
  reason: string;
  errors: string | null;
}

function alertFromRow(r: { id: number; body: string }): Alert {
  return { id: r.id, ...(JSON.parse(r.body) as Omit<Alert, 'id'>) };
}

function fileRecord(r: FileRow): FileRecord {
  const f: FileRecord = {
    id: r.id,
    name: r.name,
    workKey: r.work_key,
    status: r.status,
    rowsDone: r.rows_done,
    counts: { ...emptyCounts(), ...(JSON.parse(r.counts) as Partial<ReceiptCounts>) },
    startedAt: r.started_at,
  };
  if (r.finished_at) f.finishedAt = r.finished_at;
  if (r.error) f.error = r.error;
  if (r.rules_version) f.rulesVersion = r.rules_version;
  return f;
}

/** A row of `rules_audit`. */
interface RulesAuditRow {
  at: string;
  credential: string;
  remote: string | null;
  previous_version: string | null;
  version: string;
  digest: string;
}

function selectRulesChanges(db: Database.Database, limit: number): RulesChange[] {
  const rows = db
    .prepare('SELECT at, credential, remote, previous_version, version, digest FROM rules_audit ORDER BY id DESC LIMIT ?')
    .all(limit) as RulesAuditRow[];
  return rows.map((r) => ({
    at: r.at,
    credential: r.credential,
    remote: r.remote,
    previousVersion: r.previous_version,
    version: r.version,
    digest: r.digest,
  }));
}

/**
 * The newest `limit` entries of the audit log of rule changes in the database at `path`, newest
 * first, read without writing anything (a running `fraudmini start` may hold the database).
 * Throws {@link SqliteSchemaError} for a database made by another version.
 */
export function readRulesChanges(path: string, limit: number): RulesChange[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    // Version 2 had no audit log: nothing was recorded yet.
    if (version === OLDEST_UPGRADABLE) return [];
    // Later versions added tables, none changed rules_audit.
    if (version < 3 || version > SCHEMA_VERSION) throw new SqliteSchemaError(path, version === 0 ? 1 : version);
    return selectRulesChanges(db, limit);
  } finally {
    db.close();
  }
}
