/**
 * The console's cases: alerts of one account or card grouped into a case an analyst works, with a
 * status (open, investigating, closed as fraud or as legit), notes, an assignee, and an audit
 * trail of every change (who, what, when). Closing a case records the label of each of its
 * alerts' transactions through the label path every runtime shares.
 *
 * Who may do what, checked here whatever the page sends: anyone signed in may open a case, add an
 * alert to an active case, write a note and take an alert or a case for themselves; only the
 * case's assignee or an admin may change its status (close it included); only an admin may assign
 * to someone else or take over a case assigned to someone else. A closed case stays closed.
 */
import type { Label } from '../core/transaction.js';
import type { Alert } from '../core/views.js';
import { ACTIVE_STATUSES, type CaseEvent, type CaseQuery, type CaseRecord, type CaseStatus, type CaseStore } from '../ports/CaseStore.js';
import type { ReviewStore } from '../ports/ReviewStore.js';
import type { Role } from '../ports/UserStore.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, NotImplementedError } from './errors.js';
import type { LabelResult } from './recordLabel.js';

/** Longest note kept, in characters. */
export const MAX_CASE_NOTE = 2000;

/** The signed-in user acting. */
export interface Actor {
  user: string;
  role: Role;
}

/** What the case use cases need. */
export interface CaseDeps {
  cases: CaseStore;
  reviews: ReviewStore;
  /** The label use case ({@link recordLabel} wired to the runtime's stores); absent: closing answers 501. */
  label?: (transactionId: string, label: Label) => Promise<LabelResult>;
  /** Whether a console user of that name exists (an admin assigning to someone else). */
  userExists: (name: string) => Promise<boolean>;
  now?: () => Date;
}

/** A case with its alerts and its audit trail. */
export interface CaseDetail {
  case: CaseRecord;
  alerts: (Alert & { label: 'fraud' | 'legit' | null })[];
  audit: CaseEvent[];
}

/** What closing a case did to the label of each of its alerts' transactions. */
export interface CaseLabelOutcome {
  alert_id: number;
  transaction_id: string;
  status: 'recorded' | 'unchanged' | 'conflict' | 'not_found';
}

const isClosed = (s: CaseStatus): boolean => !ACTIVE_STATUSES.includes(s);
const at = (deps: CaseDeps): string => (deps.now?.() ?? new Date()).toISOString();

/** The alert `id`, or {@link NotFoundError}. */
async function alertOf(deps: CaseDeps, id: number): Promise<{ alert: Alert; label: 'fraud' | 'legit' | null }> {
  const d = await deps.reviews.alertDetail(id, 0);
  if (!d) throw new NotFoundError(`no alert ${id}`);
  return { alert: d.alert, label: d.label ?? null };
}

/** The case `id`, or {@link NotFoundError}. */
async function caseOf(deps: CaseDeps, id: number): Promise<CaseRecord> {
  const c = await deps.cases.getCase(id);
  if (!c) throw new NotFoundError(`no case ${id}`);
  return c;
}

/** Who an assignment goes to, checked against the actor's role. */
async function assignee(deps: CaseDeps, actor: Actor, to: string | null, current: string | null, what: string): Promise<string | null> {
  if (to === actor.user) {
    if (current !== null && current !== actor.user && actor.role !== 'admin') {
      throw new ForbiddenError(`${what} is assigned to ${current}: only an admin may take it over`);
    }
    return to;
  }
  if (actor.role !== 'admin') {
    if (to === null && current === actor.user) return null;
    throw new ForbiddenError(`${actor.user} is an ${actor.role}: an analyst may assign ${what} only to themselves`);
  }
  if (to !== null && !(await deps.userExists(to))) throw new BadRequestError(`no console user ${to.slice(0, 64)}`);
  return to;
}

/**
 * Assigns an alert to a user (the actor by default), or to nobody (`null`), audited.
 *
 * @example
 * await assignAlert(deps, { user: 'ana', role: 'analyst' }, 12);
 */
export async function assignAlert(deps: CaseDeps, actor: Actor, alertId: number, to: string | null = actor.user): Promise<{ alert_id: number; assignee: string | null }> {
  await alertOf(deps, alertId);
  const current = (await deps.cases.alertAssignee(alertId))?.user ?? null;
  const who = await assignee(deps, actor, to, current, `alert ${alertId}`);
  const now = at(deps);
  await deps.cases.assignAlert(alertId, who, now);
  await deps.cases.appendEvent({ at: now, user: actor.user, action: 'assigned', caseId: null, alertId, detail: who === null ? 'unassigned' : `assigned to ${who}` });
  return { alert_id: alertId, assignee: who };
}

/**
 * Opens a case holding an alert, for its account (or, with `by: 'card'`, its card), assigned to
 * the actor, audited. An alert already in a case is refused with {@link ConflictError} naming it.
 */
export async function openCase(deps: CaseDeps, actor: Actor, input: { alertId: number; by?: 'account' | 'card' }): Promise<CaseRecord> {
  const { alert } = await alertOf(deps, input.alertId);
  const by = input.by ?? 'account';
  if (by === 'card' && alert.card === undefined) throw new BadRequestError(`alert ${input.alertId} has no card: open its case by account`);
  const subject = { kind: by, value: by === 'card' ? (alert.card as string) : alert.account_id };
  const now = at(deps);
  const made = await deps.cases.createCase({ subject, user: actor.user, at: now, alertId: input.alertId });
  if (!made.created) throw new ConflictError(`alert ${input.alertId} is in case ${made.caseId} already`, { case_id: made.caseId });
  await deps.cases.appendEvent({
    at: now,
    user: actor.user,
    action: 'created',
    caseId: made.case.id,
    alertId: input.alertId,
    detail: `opened for ${subject.kind} ${subject.value} with alert ${input.alertId}, assigned to ${actor.user}`,
  });
  return made.case;
}

/**
 * Adds an alert of the case's account or card to an active case, audited. Refused: an alert of
 * another account or card (400), a closed case or an alert in another case (409).
 */
export async function addAlertToCase(deps: CaseDeps, actor: Actor, caseId: number, alertId: number): Promise<CaseRecord> {
  const c = await caseOf(deps, caseId);
  if (isClosed(c.status)) throw new ConflictError(`case ${caseId} is closed`, { case_id: caseId, status: c.status });
  const { alert } = await alertOf(deps, alertId);
  const matches = c.subject.kind === 'account' ? alert.account_id === c.subject.value : alert.card === c.subject.value;
  if (!matches) {
    throw new BadRequestError(`alert ${alertId} is not of ${c.subject.kind} ${c.subject.value}: a case holds the alerts of one ${c.subject.kind}`);
  }
  const now = at(deps);
  const added = await deps.cases.addAlert(caseId, alertId, now);
  if (added.status === 'not_found') throw new NotFoundError(`no case ${caseId}`);
  if (added.status === 'in_case' && added.caseId !== caseId) {
    throw new ConflictError(`alert ${alertId} is in case ${added.caseId} already`, { case_id: added.caseId });
  }
  if (added.status === 'added') {
    await deps.cases.appendEvent({ at: now, user: actor.user, action: 'alert_added', caseId, alertId, detail: `alert ${alertId} added` });
  }
  return caseOf(deps, caseId);
}

/** Adds a note to a case (closed or not), audited; refuses an empty note or one over {@link MAX_CASE_NOTE}. */
export async function noteCase(deps: CaseDeps, actor: Actor, caseId: number, note: string): Promise<CaseEvent> {
  await caseOf(deps, caseId);
  const text = note.trim();
  if (text === '' || text.length > MAX_CASE_NOTE) throw new BadRequestError(`a note is text of 1–${MAX_CASE_NOTE} characters`);
  const event: CaseEvent = { at: at(deps), user: actor.user, action: 'note', caseId, alertId: null, detail: text };
  await deps.cases.appendEvent(event);
  return event;
}

/** Assigns an active case to a user (the actor by default) or to nobody, audited. */
export async function assignCase(deps: CaseDeps, actor: Actor, caseId: number, to: string | null = actor.user): Promise<CaseRecord> {
  const c = await caseOf(deps, caseId);
  if (isClosed(c.status)) throw new ConflictError(`case ${caseId} is closed`, { case_id: caseId, status: c.status });
  const who = await assignee(deps, actor, to, c.assignee, `case ${caseId}`);
  const now = at(deps);
  const updated = await deps.cases.updateCase(caseId, { assignee: who }, now, ACTIVE_STATUSES);
  if (updated.status === 'not_found') throw new NotFoundError(`no case ${caseId}`);
  if (updated.status === 'stale') throw new ConflictError(`case ${caseId} was closed meanwhile`, { case_id: caseId, status: updated.case.status });
  await deps.cases.appendEvent({ at: now, user: actor.user, action: 'assigned', caseId, alertId: null, detail: who === null ? 'unassigned' : `assigned to ${who}` });
  return updated.case;
}

/**
 * Changes the status of a case (its assignee or an admin only), audited. Closing it as fraud or
 * legit first records that label for every one of its alerts' transactions (the first label of a
 * transaction wins: one labelled otherwise before is reported as a conflict, and the case closes
 * all the same), each audited; a closed case cannot change again.
 */
export async function setCaseStatus(
  deps: CaseDeps,
  actor: Actor,
  caseId: number,
  status: CaseStatus,
): Promise<{ case: CaseRecord; labels: CaseLabelOutcome[] }> {
  const c = await caseOf(deps, caseId);
  if (isClosed(c.status)) throw new ConflictError(`case ${caseId} is closed`, { case_id: caseId, status: c.status });
  if (actor.role !== 'admin' && c.assignee !== actor.user) {
    throw new ForbiddenError(
      c.assignee === null
        ? `case ${caseId} is not assigned: assign it to yourself first`
        : `case ${caseId} is assigned to ${c.assignee}: only they or an admin may change its status`,
    );
  }
  const labels: CaseLabelOutcome[] = [];
  if (isClosed(status)) {
    const label = deps.label;
    if (!label) throw new NotImplementedError('labels are not enabled');
    const value: Label = status === 'closed_fraud' ? 1 : 0;
    const word = value === 1 ? 'fraud' : 'legit';
    for (const alertId of c.alertIds) {
      const { alert } = await alertOf(deps, alertId);
      const result = await label(alert.transaction_id, value);
      labels.push({ alert_id: alertId, transaction_id: alert.transaction_id, status: result.status });
      const detail =
        result.status === 'conflict'
          ? `${word} not recorded for transaction ${alert.transaction_id}: it is labelled ${result.label === 1 ? 'fraud' : 'legit'}`
          : `${word} ${result.status} for transaction ${alert.transaction_id}`;
      await deps.cases.appendEvent({ at: at(deps), user: actor.user, action: 'label', caseId, alertId, detail });
    }
  }
  const now = at(deps);
  const updated = await deps.cases.updateCase(caseId, { status }, now, ACTIVE_STATUSES);
  if (updated.status === 'not_found') throw new NotFoundError(`no case ${caseId}`);
  if (updated.status === 'stale') throw new ConflictError(`case ${caseId} was closed meanwhile`, { case_id: caseId, status: updated.case.status });
  await deps.cases.appendEvent({ at: now, user: actor.user, action: 'status', caseId, alertId: null, detail: `${c.status} → ${status}` });
  return { case: updated.case, labels };
}

/** A case with its alerts (each with its label in force) and its audit trail, oldest first. */
export async function caseDetail(deps: CaseDeps, caseId: number): Promise<CaseDetail> {
  const c = await caseOf(deps, caseId);
  const alerts: CaseDetail['alerts'] = [];
  for (const id of c.alertIds) {
    const d = await deps.reviews.alertDetail(id, 0);
    if (d) alerts.push({ ...d.alert, label: d.label ?? null });
  }
  return { case: c, alerts, audit: await deps.cases.caseEvents(caseId) };
}

/** A page of cases, newest first. */
export function listCases(deps: CaseDeps, q: CaseQuery): Promise<CaseRecord[]> {
  return deps.cases.listCases(q);
}

/** Who an alert is assigned to, the case holding it, and its own audit trail (outside cases). */
export async function alertCaseInfo(deps: CaseDeps, alertId: number): Promise<{ assignee: string | null; caseId: number | null; audit: CaseEvent[] }> {
  const [who, caseId, audit] = await Promise.all([
    deps.cases.alertAssignee(alertId),
    deps.cases.caseOfAlert(alertId),
    deps.cases.alertEvents(alertId),
  ]);
  return { assignee: who?.user ?? null, caseId: caseId ?? null, audit };
}
