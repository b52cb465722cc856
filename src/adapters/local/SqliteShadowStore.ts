import Database from 'better-sqlite3';
import type { Outcome } from '../../core/scoring.js';
import type { ShadowDecision, ShadowDecisionStore, ShadowTally, ShadowVersion } from '../../ports/ShadowDecisionStore.js';
import { INSERT_CHUNK, SCHEMA_VERSION, SqliteSchemaError } from './SqliteStateStore.js';

/** The first schema version with the `shadow_decisions` table. */
const SHADOW_SCHEMA = 6;

const COLUMNS = ['transaction_id', 'ts', 'score', 'outcome', 'model_score', 'rules', 'rules_version', 'model_version', 'decided_at'];

/**
 * Shadow decisions in the data dir's database (`shadow_decisions`), compared with the decisions in
 * force and the labels by a join on the transaction id: the table holds only the challenger's side.
 *
 * @example
 * const shadow = new SqliteShadowStore({ db: state.db });
 * await shadow.storeShadowDecisions(decisions);
 */
export class SqliteShadowStore implements ShadowDecisionStore {
  private readonly db: Database.Database;
  private readonly inserts = new Map<number, Database.Statement>();

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async storeShadowDecisions(decisions: readonly ShadowDecision[]): Promise<void> {
    this.db.transaction(() => {
      for (let i = 0; i < decisions.length; i += INSERT_CHUNK) {
        const chunk = decisions.slice(i, i + INSERT_CHUNK);
        const values: (string | number | null)[] = [];
        for (const d of chunk) {
          values.push(d.transactionId, d.timestamp, d.score, d.outcome, d.modelScore, JSON.stringify(d.rules), d.rulesVersion, d.modelVersion, d.decidedAt);
        }
        this.insert(chunk.length).run(values);
      }
    })();
  }

  async latestShadowVersion(): Promise<ShadowVersion | undefined> {
    const r = this.db.prepare('SELECT rules_version, model_version FROM shadow_decisions ORDER BY seq DESC LIMIT 1').get() as
      | { rules_version: string; model_version: string | null }
      | undefined;
    return r && { rulesVersion: r.rules_version, modelVersion: r.model_version };
  }

  async shadowTallies(version: ShadowVersion): Promise<ShadowTally[]> {
    // The label in force: the one the transaction arrived with, else one reported since.
    const rows = this.db
      .prepare(
        `SELECT t.outcome AS p, s.outcome AS s, coalesce(t.label, l.label) AS label, count(*) AS n
         FROM shadow_decisions s
         JOIN transactions t ON t.transaction_id = s.transaction_id
         LEFT JOIN labels l ON l.transaction_id = s.transaction_id
         WHERE s.rules_version = ? AND s.model_version IS ?
         GROUP BY 1, 2, 3`,
      )
      .all(version.rulesVersion, version.modelVersion) as { p: Outcome; s: Outcome; label: 0 | 1 | null; n: number }[];
    return rows.map((r) => ({ primary: r.p, shadow: r.s, label: r.label, rows: r.n }));
  }

  private insert(rows: number): Database.Statement {
    let stmt = this.inserts.get(rows);
    if (!stmt) {
      const one = `(${COLUMNS.map(() => '?').join(', ')})`;
      stmt = this.db.prepare(
        `INSERT OR IGNORE INTO shadow_decisions (${COLUMNS.join(', ')}) VALUES ${Array.from({ length: rows }, () => one).join(', ')}`,
      );
      this.inserts.set(rows, stmt);
    }
    return stmt;
  }
}

/**
 * Opens the database at `path` to read shadow decisions without writing anything (a running
 * `fraudmini start` may hold it). Throws {@link SqliteSchemaError} for a database made by another
 * version; one from before shadow decisions were kept reads as empty.
 */
export function openShadowReader(path: string): { store: ShadowDecisionStore; close(): void } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 2 || version > SCHEMA_VERSION) {
    db.close();
    throw new SqliteSchemaError(path, version === 0 ? 1 : version);
  }
  if (version < SHADOW_SCHEMA) {
    db.close();
    const none: ShadowDecisionStore = {
      storeShadowDecisions: async () => {
        throw new Error(`${path} is read only here`);
      },
      latestShadowVersion: async () => undefined,
      shadowTallies: async () => [],
    };
    return { store: none, close: () => {} };
  }
  return { store: new SqliteShadowStore({ db }), close: () => db.close() };
}
