import type Database from 'better-sqlite3';
import {
  ACTIVE_STATUSES,
  type CaseChange,
  type CaseEvent,
  type CaseQuery,
  type CaseRecord,
  type CaseStatus,
  type CaseStore,
  type CaseSubject,
  type CaseUpdate,
} from '../../ports/CaseStore.js';

/**
 * The console's cases in the data dir's database: `cases`, `case_alerts` (an alert's case; its
 * primary key keeps an alert in one case at most), `alert_assignments` and the `case_audit` trail.
 * Each change runs in one transaction, so a case never holds an alert another case holds.
 *
 * @example
 * const cases = new SqliteCaseStore({ db: state.db });
 * const page = await cases.listCases({ status: 'active', limit: 50 });
 */
export class SqliteCaseStore implements CaseStore {
  private readonly db: Database.Database;

  constructor(options: { db: Database.Database }) {
    this.db = options.db;
  }

  async createCase(input: { subject: CaseSubject; user: string; at: string; alertId: number }): Promise<
    { created: true; case: CaseRecord } | { created: false; caseId: number }
  > {
    return this.db
      .transaction((): { created: true; case: CaseRecord } | { created: false; caseId: number } => {
        const held = this.holder(input.alertId);
        if (held !== undefined) return { created: false, caseId: held };
        const id = Number(
          this.db
            .prepare(
              `INSERT INTO cases (subject_kind, subject, status, assignee, created_at, created_by, updated_at)
               VALUES (?, ?, 'open', ?, ?, ?, ?)`,
            )
            .run(input.subject.kind, input.subject.value, input.user, input.at, input.user, input.at).lastInsertRowid,
        );
        this.db.prepare('INSERT INTO case_alerts (alert_id, case_id, added_at) VALUES (?, ?, ?)').run(input.alertId, id, input.at);
        return { created: true, case: this.read(id) as CaseRecord };
      })
      .immediate();
  }

  async addAlert(caseId: number, alertId: number, at: string): Promise<{ status: 'added' | 'in_case'; caseId: number } | { status: 'not_found' }> {
    return this.db
      .transaction((): { status: 'added' | 'in_case'; caseId: number } | { status: 'not_found' } => {
        if (!this.db.prepare('SELECT 1 FROM cases WHERE id = ?').get(caseId)) return { status: 'not_found' };
        const held = this.holder(alertId);
        if (held !== undefined) return { status: 'in_case', caseId: held };
        this.db.prepare('INSERT INTO case_alerts (alert_id, case_id, added_at) VALUES (?, ?, ?)').run(alertId, caseId, at);
        this.db.prepare('UPDATE cases SET updated_at = ? WHERE id = ?').run(at, caseId);
        return { status: 'added', caseId };
      })
      .immediate();
  }

  async getCase(id: number): Promise<CaseRecord | undefined> {
    return this.read(id);
  }

  async caseOfAlert(alertId: number): Promise<number | undefined> {
    return this.holder(alertId);
  }

  async listCases(q: CaseQuery): Promise<CaseRecord[]> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: q.limit };
    if (q.status === 'active') {
      where.push(`status IN (${ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ')})`);
    } else if (q.status !== undefined) {
      where.push('status = @status');
      params.status = q.status;
    }
    if (q.subject) {
      where.push('subject_kind = @kind AND subject = @subject');
      params.kind = q.subject.kind;
      params.subject = q.subject.value;
    }
    if (q.afterId !== undefined) {
      where.push('id < @afterId');
      params.afterId = q.afterId;
    }
    const rows = this.db
      .prepare(`SELECT * FROM cases ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`)
      .all(params) as CaseRow[];
    return rows.map((r) => this.fromRow(r));
  }

  async updateCase(id: number, change: CaseChange, at: string, ifStatus?: readonly CaseStatus[]): Promise<CaseUpdate> {
    return this.db
      .transaction((): CaseUpdate => {
        const current = this.read(id);
        if (!current) return { status: 'not_found' };
        if (ifStatus && !ifStatus.includes(current.status)) return { status: 'stale', case: current };
        this.db
          .prepare('UPDATE cases SET status = ?, assignee = ?, updated_at = ? WHERE id = ?')
          .run(change.status ?? current.status, change.assignee !== undefined ? change.assignee : current.assignee, at, id);
        return { status: 'updated', case: this.read(id) as CaseRecord };
      })
      .immediate();
  }

  async assignAlert(alertId: number, user: string | null, at: string): Promise<void> {
    if (user === null) this.db.prepare('DELETE FROM alert_assignments WHERE alert_id = ?').run(alertId);
    else {
      this.db
        .prepare(
          `INSERT INTO alert_assignments (alert_id, user_name, at) VALUES (?, ?, ?)
           ON CONFLICT (alert_id) DO UPDATE SET user_name = excluded.user_name, at = excluded.at`,
        )
        .run(alertId, user, at);
    }
  }

  async alertAssignee(alertId: number): Promise<{ user: string; at: string } | undefined> {
    const row = this.db.prepare('SELECT user_name, at FROM alert_assignments WHERE alert_id = ?').get(alertId) as
      | { user_name: string; at: string }
      | undefined;
    return row ? { user: row.user_name, at: row.at } : undefined;
  }

  async appendEvent(e: CaseEvent): Promise<void> {
    this.db
      .prepare('INSERT INTO case_audit (at, user_name, action, case_id, alert_id, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.at, e.user, e.action, e.caseId, e.alertId, e.detail);
  }

  async caseEvents(caseId: number): Promise<CaseEvent[]> {
    return (this.db.prepare('SELECT * FROM case_audit WHERE case_id = ? ORDER BY id').all(caseId) as EventRow[]).map(eventFromRow);
  }

  async alertEvents(alertId: number): Promise<CaseEvent[]> {
    const rows = this.db.prepare('SELECT * FROM case_audit WHERE alert_id = ? AND case_id IS NULL ORDER BY id').all(alertId) as EventRow[];
    return rows.map(eventFromRow);
  }

  private holder(alertId: number): number | undefined {
    return this.db.prepare('SELECT case_id FROM case_alerts WHERE alert_id = ?').pluck().get(alertId) as number | undefined;
  }

  private read(id: number): CaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return row ? this.fromRow(row) : undefined;
  }

  private fromRow(r: CaseRow): CaseRecord {
    const alertIds = this.db.prepare('SELECT alert_id FROM case_alerts WHERE case_id = ? ORDER BY alert_id').pluck().all(r.id) as number[];
    return {
      id: r.id,
      subject: { kind: r.subject_kind, value: r.subject },
      status: r.status,
      assignee: r.assignee,
      createdAt: r.created_at,
      createdBy: r.created_by,
      updatedAt: r.updated_at,
      alertIds,
    };
  }
}

interface CaseRow {
  id: number;
  subject_kind: CaseSubject['kind'];
  subject: string;
  status: CaseStatus;
  assignee: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}

interface EventRow {
  at: string;
  user_name: string;
  action: CaseEvent['action'];
  case_id: number | null;
  alert_id: number | null;
  detail: string;
}

function eventFromRow(r: EventRow): CaseEvent {
  return { at: r.at, user: r.user_name, action: r.action, caseId: r.case_id, alertId: r.alert_id, detail: r.detail };
}
