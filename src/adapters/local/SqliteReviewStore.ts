import type Database from 'better-sqlite3';
import { toUnits } from '../../core/decimal.js';
import type { Alert } from '../../core/views.js';
import { transactionView } from '../../core/views.js';
import type { LabelledAlertPoint, LiveChartSource } from '../../ports/LiveChartSource.js';
import type { HistoryEntry, ReviewAuditEntry, ReviewDetail, ReviewQuery, ReviewStore } from '../../ports/ReviewStore.js';
import { decisionFromRow, type TransactionRow, transactionFromRow } from './encodeBatch.js';

/**
 * An alert is open while its transaction has no label: none in its input row (`transactions.label`)
 * and none reported since (`labels`). Both are primary-key lookups per alert.
 */
const OPEN = `NOT EXISTS (SELECT 1 FROM transactions t WHERE t.transaction_id = a.transaction_id AND t.label IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.transaction_id = a.transaction_id)`;
/**
 * How many stored transactions around an alert's own (by `seq`, half before, half after) its
 * account history is looked for in. `transactions` has no index on the account (it would slow
 * every commit down), so the history is bounded to keep opening an alert fast at any size.
 */
export const HISTORY_WINDOW = 100_000;
/** The alert body's fields, spelled as the indexes of the schema spell them so that SQLite uses them. */
const SCORE = `json_extract(a.body, '$.score')`;
const ACCOUNT = `json_extract(a.body, '$.account_id')`;
const CARD = `json_extract(a.body, '$.card')`;

/**
 * The review queue over the alerts of the data dir's database, and the review audit trail. Pages
 * are keyset pages (after an id, or a score and an id), which cost the same at any depth; the
 * schema indexes the alert fields the queue sorts and filters by.
 *
 * @example
 * const reviews = new SqliteReviewStore({ db: state.db });
 * const page = await reviews.openAlerts({ order: 'newest', limit: 50 });
 */
export class SqliteReviewStore implements ReviewStore, LiveChartSource {
  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async openAlerts(q: ReviewQuery): Promise<Alert[]> {
    const where = [OPEN];
    const params: Record<string, string | number> = { limit: q.limit };
    if (q.outcome !== undefined) {
      where.push(`json_extract(a.body, '$.outcome') = @outcome`);
      params.outcome = q.outcome;
    }
    if (q.minScore !== undefined) {
      where.push(`${SCORE} >= @minScore`);
      params.minScore = q.minScore;
    }
    if (q.maxScore !== undefined) {
      where.push(`${SCORE} <= @maxScore`);
      params.maxScore = q.maxScore;
    }
    if (q.account !== undefined) {
      where.push(`${ACCOUNT} = @account`);
      params.account = q.account;
    }
    if (q.rule !== undefined) {
      where.push(`EXISTS (SELECT 1 FROM json_each(a.body, '$.reasons') r WHERE json_extract(r.value, '$.rule') = @rule)`);
      params.rule = q.rule;
    }
    let order: string;
    if (q.order === 'riskiest') {
      order = `${SCORE} DESC, a.id DESC`;
      if (q.after) {
        where.push(`(${SCORE} < @afterScore OR (${SCORE} = @afterScore AND a.id < @afterId))`);
        params.afterScore = q.after.score ?? Number.POSITIVE_INFINITY;
        params.afterId = q.after.id;
      }
    } else {
      order = 'a.id DESC';
      if (q.after) {
        where.push('a.id < @afterId');
        params.afterId = q.after.id;
      }
    }
    const rows = this.db
      .prepare(`SELECT a.id, a.body FROM alerts a WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT @limit`)
      .all(params) as AlertRow[];
    return rows.map(alertFromRow);
  }

  async alertDetail(id: number, historyLimit: number): Promise<ReviewDetail | undefined> {
    const row = this.db.prepare('SELECT id, body FROM alerts WHERE id = ?').get(id) as AlertRow | undefined;
    if (!row) return undefined;
    const alert = alertFromRow(row);
    const tx = this.db
      .prepare('SELECT t.*, l.label AS reported_label FROM transactions t LEFT JOIN labels l USING (transaction_id) WHERE t.transaction_id = ?')
      .get(alert.transaction_id) as (TransactionRow & { seq: number; reported_label: number | null }) | undefined;
    if (!tx) return undefined;
    const detail: ReviewDetail = {
      alert,
      stored: { transaction: transactionView(transactionFromRow(tx)), decision: decisionFromRow(tx) },
      history: historyLimit > 0 ? this.history(tx.account_id as string, tx.seq, historyLimit) : [],
      related: historyLimit > 0 ? this.related(alert, tx.card_token as string | null) : [],
      audit: this.auditRows('SELECT * FROM review_audit WHERE alert_id = ? ORDER BY id', id),
    };
    const label = labelWord(tx.label as number | null, tx.reported_label);
    if (label) detail.label = label;
    return detail;
  }

  /**
   * The account's newest transactions with their decisions and labels, among the
   * {@link HISTORY_WINDOW} stored around `seq` (a range of the primary key: no index needed).
   */
  private history(account: string, seq: number, limit: number): HistoryEntry[] {
    const half = HISTORY_WINDOW / 2;
    const rows = this.db
      .prepare(
        `SELECT t.transaction_id, t.ts, t.amount, t.currency, t.merchant, t.card_masked, t.outcome, t.score, t.label,
                l.label AS reported_label
         FROM transactions t LEFT JOIN labels l USING (transaction_id)
         WHERE t.seq BETWEEN ? AND ? AND t.account_id = ? ORDER BY t.seq DESC LIMIT ?`,
      )
      .all(seq - half, seq + half, account, limit) as HistoryRow[];
    return rows.map((r) => {
      const e: HistoryEntry = {
        transaction_id: r.transaction_id,
        timestamp: new Date(r.ts).toISOString(),
        amount: toUnits(r.amount),
        currency: r.currency,
        outcome: r.outcome,
        score: r.score,
      };
      if (r.merchant !== null) e.merchant = r.merchant;
      if (r.card_masked !== null) e.card = r.card_masked;
      const label = labelWord(r.label, r.reported_label);
      if (label) e.label = label;
      return e;
    });
  }

  /** Other open alerts of the same account, or of the same card (same masked form, then same token). */
  private related(alert: Alert, cardToken: string | null): Alert[] {
    const rows = this.db
      .prepare(
        `SELECT a.id, a.body FROM alerts a
         WHERE a.id != @id AND ${OPEN}
           AND (${ACCOUNT} = @account
                OR (${CARD} = @card AND EXISTS (
                      SELECT 1 FROM transactions t WHERE t.transaction_id = a.transaction_id AND t.card_token = @token)))
         ORDER BY a.id DESC LIMIT 20`,
      )
      .all({ id: alert.id, account: alert.account_id, card: alert.card ?? null, token: cardToken }) as AlertRow[];
    return rows.map(alertFromRow);
  }

  async recordReview(e: ReviewAuditEntry): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO review_audit (at, user_name, action, alert_id, transaction_id, label, result, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(e.at, e.user, e.action, e.alertId, e.transactionId, e.label, e.result, e.note ?? null);
  }

  async reviewAudit(limit: number): Promise<ReviewAuditEntry[]> {
    return this.auditRows('SELECT * FROM review_audit ORDER BY id DESC LIMIT ?', limit);
  }

  private auditRows(sql: string, param: number): ReviewAuditEntry[] {
    const rows = this.db.prepare(sql).all(param) as AuditRow[];
    return rows.map((r) => {
      const e: ReviewAuditEntry = {
        at: r.at,
        user: r.user_name,
        action: r.action,
        alertId: r.alert_id,
        transactionId: r.transaction_id,
        label: r.label,
        result: r.result,
      };
      if (r.note !== null) e.note = r.note;
      return e;
    });
  }

  /** A range of the primary key (`seq`) bounds the rows read. */
  async scoreHistogram(recent: number): Promise<number[]> {
    const rows = this.db
      .prepare(
        `SELECT min(CAST(score / 10 AS INTEGER), 9) AS bucket, count(*) AS n FROM transactions
         WHERE seq > (SELECT coalesce(max(seq), 0) FROM transactions) - ? GROUP BY bucket`,
      )
      .all(recent) as { bucket: number; n: number }[];
    const counts = new Array<number>(10).fill(0);
    for (const r of rows) counts[Math.max(0, r.bucket)] = r.n;
    return counts;
  }

  /** A range of the alerts' primary key bounds the rows read; each joins its transaction by its unique id. */
  async labelledAlerts(recent: number): Promise<LabelledAlertPoint[]> {
    const rows = this.db
      .prepare(
        `SELECT t.ts AS ts, coalesce(t.label, l.label) AS label
         FROM alerts a JOIN transactions t ON t.transaction_id = a.transaction_id
         LEFT JOIN labels l ON l.transaction_id = a.transaction_id
         WHERE a.id > (SELECT coalesce(max(id), 0) FROM alerts) - ? AND coalesce(t.label, l.label) IS NOT NULL
         ORDER BY t.ts`,
      )
      .all(recent) as { ts: number; label: number }[];
    return rows.map((r) => ({ ts: r.ts, fraud: r.label === 1 }));
  }

  async latestAlertId(): Promise<number> {
    return (this.db.prepare('SELECT max(id) FROM alerts').pluck().get() as number | null) ?? 0;
  }
}

interface AlertRow {
  id: number;
  body: string;
}

interface HistoryRow {
  transaction_id: string;
  ts: number;
  amount: number;
  currency: string;
  merchant: string | null;
  card_masked: string | null;
  outcome: 'allow' | 'review' | 'block';
  score: number;
  label: number | null;
  reported_label: number | null;
}

interface AuditRow {
  at: string;
  user_name: string;
  action: 'label';
  alert_id: number;
  transaction_id: string;
  label: 'fraud' | 'legit';
  result: 'recorded' | 'unchanged' | 'conflict';
  note: string | null;
}

function alertFromRow(r: AlertRow): Alert {
  return { id: r.id, ...(JSON.parse(r.body) as Omit<Alert, 'id'>) };
}

/** The label in force: the one the transaction arrived with, else the one reported later. */
function labelWord(own: number | null, reported: number | null): 'fraud' | 'legit' | undefined {
  const l = own ?? reported;
  return l === null ? undefined : l === 1 ? 'fraud' : 'legit';
}
