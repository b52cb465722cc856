/** Where a case stands: open, being investigated, or closed with its outcome. */
export const CASE_STATUSES = ['open', 'investigating', 'closed_fraud', 'closed_legit'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** The statuses of a case still being worked. */
export const ACTIVE_STATUSES: readonly CaseStatus[] = ['open', 'investigating'];

/** What a case groups alerts of: one account, or one card (by its masked form). */
export interface CaseSubject {
  kind: 'account' | 'card';
  value: string;
}

/** A case: alerts of one account or card, worked together. */
export interface CaseRecord {
  id: number;
  subject: CaseSubject;
  status: CaseStatus;
  /** The user working it; null while nobody is. */
  assignee: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  /** Its alerts, by id. */
  alertIds: number[];
}

/** What an audit entry records. */
export type CaseAction = 'created' | 'alert_added' | 'assigned' | 'status' | 'note' | 'label';

/** One entry of the audit trail of cases and assignments: who did what, to which case or alert, when. */
export interface CaseEvent {
  at: string;
  user: string;
  action: CaseAction;
  /** The case it concerns; null for an alert's own entry (its assignment outside a case). */
  caseId: number | null;
  alertId: number | null;
  /** What changed, for a person: the new status, the assignee, the note, the label and its result. */
  detail: string;
}

/** Filters and paging of the list of cases, newest first. */
export interface CaseQuery {
  /** One status, or `active` (open or investigating); absent: every case. */
  status?: CaseStatus | 'active';
  subject?: CaseSubject;
  /** Resume after this case id (the `next` of the previous page). */
  afterId?: number;
  limit: number;
}

/** A change of a case's status or assignee (absent fields stay as they are). */
export interface CaseChange {
  status?: CaseStatus;
  assignee?: string | null;
}

/** What an update did: `stale` when the case's status was not one of those required. */
export type CaseUpdate = { status: 'updated'; case: CaseRecord } | { status: 'not_found' } | { status: 'stale'; case: CaseRecord };

/**
 * Cases, the alerts each groups (an alert belongs to one case at most), who is assigned to an
 * alert, and the audit trail of every change (SQLite locally, DynamoDB on AWS).
 *
 * @example
 * const made = await cases.createCase({ subject: { kind: 'account', value: 'A1' }, user: 'ana', at, alertId: 12 });
 * if (made.created) await cases.appendEvent({ at, user: 'ana', action: 'created', caseId: made.case.id, alertId: 12, detail: 'account A1' });
 */
export interface CaseStore {
  /**
   * Opens a case (status `open`, assigned to `user`) holding `alertId`, unless that alert is in a
   * case already: then nothing is created and that case's id is returned.
   */
  createCase(input: { subject: CaseSubject; user: string; at: string; alertId: number }): Promise<
    { created: true; case: CaseRecord } | { created: false; caseId: number }
  >;
  /**
   * Adds an alert to a case. `in_case` (nothing changed) names the case that already holds it
   * (this one or another); `not_found` when the case does not exist.
   */
  addAlert(caseId: number, alertId: number, at: string): Promise<{ status: 'added' | 'in_case'; caseId: number } | { status: 'not_found' }>;
  getCase(id: number): Promise<CaseRecord | undefined>;
  /** The id of the case that holds an alert, if any. */
  caseOfAlert(alertId: number): Promise<number | undefined>;
  listCases(q: CaseQuery): Promise<CaseRecord[]>;
  /** Changes a case, only while its status is one of `ifStatus` when given. */
  updateCase(id: number, change: CaseChange, at: string, ifStatus?: readonly CaseStatus[]): Promise<CaseUpdate>;
  /** Assigns an alert to a user, or (null) to nobody. */
  assignAlert(alertId: number, user: string | null, at: string): Promise<void>;
  alertAssignee(alertId: number): Promise<{ user: string; at: string } | undefined>;
  appendEvent(event: CaseEvent): Promise<void>;
  /** A case's audit trail, oldest first. */
  caseEvents(caseId: number): Promise<CaseEvent[]>;
  /** The audit entries of an alert recorded outside any case, oldest first. */
  alertEvents(alertId: number): Promise<CaseEvent[]>;
}
