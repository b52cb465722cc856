import { describe, expect, it } from 'vitest';
import type { CaseEvent, CaseStore } from '../../src/ports/CaseStore.js';

const AT = '2026-03-01T10:00:00.000Z';
const LATER = '2026-03-01T11:00:00.000Z';
const account = (value: string) => ({ kind: 'account' as const, value });

/**
 * The behaviour every {@link CaseStore} promises. `make` returns a new, empty store on each call.
 *
 * @example
 * describeCaseStoreContract('SQLite', async () => new SqliteCaseStore({ db: new SqliteStateStore({ path: ':memory:' }).db }));
 */
export function describeCaseStoreContract(name: string, make: () => Promise<CaseStore>): void {
  describe(`CaseStore contract: ${name}`, () => {
    it('opens a case holding an alert, assigned to its creator, and reads it back', async () => {
      // Prepare
      const cases = await make();

      // Act
      const made = await cases.createCase({ subject: account('A1'), user: 'ana', at: AT, alertId: 7 });

      // Assess
      expect(made.created).toBe(true);
      if (!made.created) return;
      const expected = {
        id: made.case.id,
        subject: account('A1'),
        status: 'open',
        assignee: 'ana',
        createdAt: AT,
        createdBy: 'ana',
        updatedAt: AT,
        alertIds: [7],
      };
      expect(made.case).toEqual(expected);
      expect(await cases.getCase(made.case.id)).toEqual(expected);
      expect(await cases.caseOfAlert(7)).toBe(made.case.id);
      expect(await cases.caseOfAlert(8)).toBeUndefined();
      expect(await cases.getCase(made.case.id + 1000)).toBeUndefined();
    });

    it('keeps an alert in one case: a second case for it, or adding it elsewhere, names the case holding it', async () => {
      // Prepare
      const cases = await make();
      const first = await cases.createCase({ subject: account('A1'), user: 'ana', at: AT, alertId: 7 });
      const second = await cases.createCase({ subject: account('A1'), user: 'bo', at: AT, alertId: 9 });
      if (!first.created || !second.created) throw new Error('cases not created');

      // Act
      const again = await cases.createCase({ subject: account('A1'), user: 'bo', at: LATER, alertId: 7 });
      const elsewhere = await cases.addAlert(second.case.id, 7, LATER);
      const added = await cases.addAlert(first.case.id, 3, LATER);
      const twice = await cases.addAlert(first.case.id, 3, LATER);
      const missing = await cases.addAlert(first.case.id + 1000, 4, LATER);

      // Assess
      expect(again).toEqual({ created: false, caseId: first.case.id });
      expect(elsewhere).toEqual({ status: 'in_case', caseId: first.case.id });
      expect(added).toEqual({ status: 'added', caseId: first.case.id });
      expect(twice).toEqual({ status: 'in_case', caseId: first.case.id });
      expect(missing).toEqual({ status: 'not_found' });
      expect(await cases.getCase(first.case.id)).toMatchObject({ alertIds: [3, 7], updatedAt: LATER });
      expect(await cases.getCase(second.case.id)).toMatchObject({ alertIds: [9] });
      expect(await cases.caseOfAlert(4)).toBeUndefined();
    });

    it('changes status and assignee only from the statuses required, and says why it did not', async () => {
      // Prepare
      const cases = await make();
      const made = await cases.createCase({ subject: { kind: 'card', value: '400000******0002' }, user: 'ana', at: AT, alertId: 1 });
      if (!made.created) throw new Error('case not created');
      const id = made.case.id;

      // Act
      const working = await cases.updateCase(id, { status: 'investigating' }, LATER, ['open']);
      const unassigned = await cases.updateCase(id, { assignee: null }, LATER);
      const reassigned = await cases.updateCase(id, { assignee: 'bo' }, LATER);
      const closed = await cases.updateCase(id, { status: 'closed_fraud' }, LATER, ['open', 'investigating']);
      const closedAgain = await cases.updateCase(id, { status: 'closed_legit' }, LATER, ['open', 'investigating']);
      const missing = await cases.updateCase(id + 1000, { status: 'open' }, LATER);

      // Assess
      expect(working).toMatchObject({ status: 'updated', case: { status: 'investigating', assignee: 'ana', updatedAt: LATER } });
      expect(unassigned).toMatchObject({ status: 'updated', case: { assignee: null } });
      expect(reassigned).toMatchObject({ status: 'updated', case: { assignee: 'bo', status: 'investigating' } });
      expect(closed).toMatchObject({ status: 'updated', case: { status: 'closed_fraud', assignee: 'bo' } });
      expect(closedAgain).toMatchObject({ status: 'stale', case: { status: 'closed_fraud' } });
      expect(missing).toEqual({ status: 'not_found' });
      expect(await cases.getCase(id)).toMatchObject({ status: 'closed_fraud', subject: { kind: 'card', value: '400000******0002' } });
    });

    it('lists cases newest first, by status (or the active ones) and subject, a page at a time', async () => {
      // Prepare
      const cases = await make();
      const ids: number[] = [];
      for (const [i, subject] of ['A1', 'A2', 'A1', 'A3'].entries()) {
        const made = await cases.createCase({ subject: account(subject), user: 'ana', at: AT, alertId: 100 + i });
        if (made.created) ids.push(made.case.id);
      }
      const [c1, c2, c3, c4] = ids as [number, number, number, number];
      await cases.updateCase(c2, { status: 'closed_legit' }, LATER);
      await cases.updateCase(c3, { status: 'investigating' }, LATER);

      // Act
      const all = await cases.listCases({ limit: 10 });
      const active = await cases.listCases({ status: 'active', limit: 10 });
      const closed = await cases.listCases({ status: 'closed_legit', limit: 10 });
      const ofA1 = await cases.listCases({ subject: account('A1'), limit: 10 });
      const page1 = await cases.listCases({ limit: 2 });
      const page2 = await cases.listCases({ limit: 2, afterId: page1[1]?.id ?? 0 });

      // Assess
      expect(all.map((c) => c.id)).toEqual([c4, c3, c2, c1]);
      expect(active.map((c) => c.id)).toEqual([c4, c3, c1]);
      expect(closed.map((c) => c.id)).toEqual([c2]);
      expect(ofA1.map((c) => c.id)).toEqual([c3, c1]);
      expect([...page1, ...page2].map((c) => c.id)).toEqual([c4, c3, c2, c1]);
      expect(all[1]).toMatchObject({ status: 'investigating', alertIds: [102] });
    });

    it('assigns an alert to a user and to nobody again', async () => {
      // Prepare
      const cases = await make();

      // Act
      await cases.assignAlert(5, 'ana', AT);
      const first = await cases.alertAssignee(5);
      await cases.assignAlert(5, 'bo', LATER);
      const second = await cases.alertAssignee(5);
      await cases.assignAlert(5, null, LATER);

      // Assess
      expect(first).toEqual({ user: 'ana', at: AT });
      expect(second).toEqual({ user: 'bo', at: LATER });
      expect(await cases.alertAssignee(5)).toBeUndefined();
      expect(await cases.alertAssignee(6)).toBeUndefined();
    });

    it('keeps the audit trail of a case and of an alert outside cases, each oldest first', async () => {
      // Prepare
      const cases = await make();
      const entries: CaseEvent[] = [
        { at: AT, user: 'ana', action: 'assigned', caseId: null, alertId: 5, detail: 'assigned to ana' },
        { at: AT, user: 'ana', action: 'created', caseId: 1, alertId: 5, detail: 'account A1' },
        { at: AT, user: 'ana', action: 'note', caseId: 1, alertId: null, detail: 'called the holder' },
        { at: LATER, user: 'bo', action: 'label', caseId: 1, alertId: 5, detail: 'fraud recorded' },
        { at: LATER, user: 'bo', action: 'assigned', caseId: null, alertId: 6, detail: 'assigned to bo' },
        { at: LATER, user: 'bo', action: 'status', caseId: 2, alertId: null, detail: 'investigating' },
      ];

      // Act
      for (const e of entries) await cases.appendEvent(e);

      // Assess
      expect(await cases.caseEvents(1)).toEqual([entries[1], entries[2], entries[3]]);
      expect(await cases.caseEvents(2)).toEqual([entries[5]]);
      expect(await cases.alertEvents(5)).toEqual([entries[0]]);
      expect(await cases.alertEvents(7)).toEqual([]);
    });
  });
}
