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
} from '../../src/ports/CaseStore.js';

/** {@link CaseStore} in memory: copies in and out, so callers never share its objects. */
export class InMemoryCaseStore implements CaseStore {
  private readonly cases = new Map<number, CaseRecord>();
  private readonly holders = new Map<number, number>();
  private readonly assignees = new Map<number, { user: string; at: string }>();
  private readonly events: CaseEvent[] = [];
  private lastId = 0;

  async createCase(input: { subject: CaseSubject; user: string; at: string; alertId: number }): Promise<
    { created: true; case: CaseRecord } | { created: false; caseId: number }
  > {
    const held = this.holders.get(input.alertId);
    if (held !== undefined) return { created: false, caseId: held };
    const c: CaseRecord = {
      id: ++this.lastId,
      subject: { ...input.subject },
      status: 'open',
      assignee: input.user,
      createdAt: input.at,
      createdBy: input.user,
      updatedAt: input.at,
      alertIds: [input.alertId],
    };
    this.cases.set(c.id, c);
    this.holders.set(input.alertId, c.id);
    return { created: true, case: copy(c) };
  }

  async addAlert(caseId: number, alertId: number, at: string): Promise<{ status: 'added' | 'in_case'; caseId: number } | { status: 'not_found' }> {
    const c = this.cases.get(caseId);
    if (!c) return { status: 'not_found' };
    const held = this.holders.get(alertId);
    if (held !== undefined) return { status: 'in_case', caseId: held };
    this.holders.set(alertId, caseId);
    c.alertIds = [...c.alertIds, alertId].sort((a, b) => a - b);
    c.updatedAt = at;
    return { status: 'added', caseId };
  }

  async getCase(id: number): Promise<CaseRecord | undefined> {
    const c = this.cases.get(id);
    return c && copy(c);
  }

  async caseOfAlert(alertId: number): Promise<number | undefined> {
    return this.holders.get(alertId);
  }

  async listCases(q: CaseQuery): Promise<CaseRecord[]> {
    const statuses: readonly CaseStatus[] | undefined = q.status === 'active' ? ACTIVE_STATUSES : q.status ? [q.status] : undefined;
    return [...this.cases.values()]
      .filter((c) => !statuses || statuses.includes(c.status))
      .filter((c) => !q.subject || (c.subject.kind === q.subject.kind && c.subject.value === q.subject.value))
      .filter((c) => q.afterId === undefined || c.id < q.afterId)
      .sort((a, b) => b.id - a.id)
      .slice(0, q.limit)
      .map(copy);
  }

  async updateCase(id: number, change: CaseChange, at: string, ifStatus?: readonly CaseStatus[]): Promise<CaseUpdate> {
    const c = this.cases.get(id);
    if (!c) return { status: 'not_found' };
    if (ifStatus && !ifStatus.includes(c.status)) return { status: 'stale', case: copy(c) };
    if (change.status !== undefined) c.status = change.status;
    if (change.assignee !== undefined) c.assignee = change.assignee;
    c.updatedAt = at;
    return { status: 'updated', case: copy(c) };
  }

  async assignAlert(alertId: number, user: string | null, at: string): Promise<void> {
    if (user === null) this.assignees.delete(alertId);
    else this.assignees.set(alertId, { user, at });
  }

  async alertAssignee(alertId: number): Promise<{ user: string; at: string } | undefined> {
    const a = this.assignees.get(alertId);
    return a && { ...a };
  }

  async appendEvent(event: CaseEvent): Promise<void> {
    this.events.push({ ...event });
  }

  async caseEvents(caseId: number): Promise<CaseEvent[]> {
    return this.events.filter((e) => e.caseId === caseId).map((e) => ({ ...e }));
  }

  async alertEvents(alertId: number): Promise<CaseEvent[]> {
    return this.events.filter((e) => e.caseId === null && e.alertId === alertId).map((e) => ({ ...e }));
  }
}

function copy(c: CaseRecord): CaseRecord {
  return { ...c, subject: { ...c.subject }, alertIds: [...c.alertIds] };
}
