import { describe, expect, it } from 'vitest';
import type { DecisionStore } from '../../src/ports/DecisionStore.js';
import { batch, decided } from './items.js';

/**
 * The behaviour every {@link DecisionStore} promises, whatever holds the decisions. `makeStore`
 * returns a new, empty store on each call.
 *
 * @example
 * describeDecisionStoreContract('SqliteStateStore', async () => new SqliteStateStore({ path: ':memory:' }));
 */
export function describeDecisionStoreContract(name: string, makeStore: () => Promise<DecisionStore>): void {
  describe(`DecisionStore contract: ${name}`, () => {
    it('stores each decision once and finds it by id, ignoring unknown and repeated ids', async () => {
      // Prepare
      const store = await makeStore();
      const items = batch('find', 6);
      // Act
      const before = await store.findDecisions(['find-0000']);
      const result = await store.storeDecisions(items);
      const found = await store.findDecisions(['find-0001', 'find-0001', 'find-0004', 'nope']);
      // Assess
      expect(before.size).toBe(0);
      expect(result.stored.map((s) => s.decision.transaction_id)).toEqual(items.map((i) => i.decision.transaction_id));
      expect(result.duplicates).toEqual([]);
      expect([...found.keys()].sort()).toEqual(['find-0001', 'find-0004']);
      expect(found.get('find-0001')).toEqual(items[1]?.decision);
    });

    it('treats a re-delivered id as a duplicate: no second decision, alert or count', async () => {
      // Prepare
      const store = await makeStore();
      const first = await store.storeDecisions(batch('again', 4));
      const statsBefore = await store.stats();
      // Act: the same ids again, decided differently
      const again = await store.storeDecisions(batch('again', 4).map((i) => ({ ...i, decision: { ...i.decision, score: 99, outcome: 'block' as const } })));
      // Assess
      expect(first.alerts).toHaveLength(2);
      expect(again.stored).toEqual([]);
      expect([...again.duplicates].sort()).toEqual(['again-0000', 'again-0001', 'again-0002', 'again-0003']);
      expect(again.alerts).toEqual([]);
      expect(await store.stats()).toEqual(statsBefore);
      expect((await store.findDecisions(['again-0000'])).get('again-0000')?.outcome).toBe('allow');
    });

    it('stores the new ids of a batch that also holds stored ones, and only those: decisions, alerts and counts', async () => {
      // Prepare: four stored, then a batch of those four among eight
      const store = await makeStore();
      await store.storeDecisions(batch('mix', 4));
      const statsBefore = await store.stats();
      const eight = batch('mix', 8).map((i) => ({ ...i, decision: { ...i.decision, score: 99, outcome: 'block' as const } }));
      // Act
      const result = await store.storeDecisions(eight);
      // Assess
      expect(result.stored.map((s) => s.decision.transaction_id)).toEqual(['mix-0004', 'mix-0005', 'mix-0006', 'mix-0007']);
      expect([...result.duplicates].sort()).toEqual(['mix-0000', 'mix-0001', 'mix-0002', 'mix-0003']);
      expect(result.alerts.map((a) => a.transaction_id)).toEqual(['mix-0004', 'mix-0005', 'mix-0006', 'mix-0007']);
      const found = await store.findDecisions(eight.map((i) => i.decision.transaction_id));
      expect(found.get('mix-0001')?.outcome).not.toBe('block');
      expect(found.get('mix-0005')?.outcome).toBe('block');
      expect((await store.stats()).decisions).toBe(statsBefore.decisions + 4);
    });

    // Narrowed: which of two items with one id in the same batch is stored is not promised (the
    // DynamoDB adapter writes a batch's items concurrently, each conditional on its id); that
    // exactly one is stored and the other is reported as a duplicate is.
    it('stores exactly one of two items with the same id in one batch', async () => {
      // Prepare
      const store = await makeStore();
      const a = decided('twice', 'review');
      const b = decided('twice', 'block');
      // Act
      const result = await store.storeDecisions([a, b]);
      // Assess
      expect(result.stored).toHaveLength(1);
      expect(result.duplicates).toEqual(['twice']);
      expect(result.alerts).toHaveLength(1);
      expect((await store.findDecisions(['twice'])).get('twice')).toEqual(result.stored[0]?.decision);
      expect((await store.stats()).decisions).toBe(1);
    });

    it('raises alerts for review and block decisions, with ids increasing from one call to the next', async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const first = await store.storeDecisions(batch('al1', 8));
      const second = await store.storeDecisions(batch('al2', 4));
      // Assess
      expect(first.alerts.map((a) => a.transaction_id)).toEqual(['al1-0001', 'al1-0002', 'al1-0005', 'al1-0006']);
      expect(second.alerts.map((a) => a.transaction_id)).toEqual(['al2-0001', 'al2-0002']);
      const ids = [...first.alerts, ...second.alerts].map((a) => a.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(new Set(ids).size).toBe(ids.length);
      expect(first.alerts[0]).toMatchObject({ outcome: 'review', score: 55, account_id: 'acc-al1-0001', card: '411111******1111' });
    });

    it('finds the alerts of given transactions, in id order, skipping those without one', async () => {
      // Prepare
      const store = await makeStore();
      const { alerts } = await store.storeDecisions(batch('fa', 8));
      // Act
      const found = await store.findAlerts(['fa-0006', 'fa-0000', 'fa-0001', 'fa-0001', 'unknown']);
      // Assess
      expect(found).toEqual(alerts.filter((a) => a.transaction_id === 'fa-0001' || a.transaction_id === 'fa-0006'));
    });

    it('lists alerts in id order after a cursor, or from a time, at most a limit', async () => {
      // Prepare
      const store = await makeStore();
      const early = Date.now() - 3_600_000;
      const { alerts: old } = await store.storeDecisions(batch('la-old', 4, early));
      const { alerts: recent } = await store.storeDecisions(batch('la-new', 8));
      const all = [...old, ...recent];
      // Act
      const everything = await store.listAlerts({ afterId: 0, limit: 100 });
      const afterFirst = await store.listAlerts({ afterId: all[0]?.id ?? 0, limit: 100 });
      const limited = await store.listAlerts({ afterId: 0, limit: 3 });
      const since = await store.listAlerts({ since: new Date(early + 60_000).toISOString(), limit: 100 });
      // Assess
      expect(everything).toEqual(all);
      expect(afterFirst).toEqual(all.slice(1));
      expect(limited).toEqual(all.slice(0, 3));
      expect(since).toEqual(recent);
    });

    it('returns a stored transaction as its masked view, with its decision; nothing for an unknown id', async () => {
      // Prepare
      const store = await makeStore();
      const item = decided('view', 'block');
      await store.storeDecisions([item]);
      // Act
      const got = await store.getTransaction('view');
      // Assess
      expect(got?.decision).toEqual(item.decision);
      expect(got?.transaction).toMatchObject({ transaction_id: 'view', account_id: 'acc-view', amount: 123.45, currency: 'USD' });
      expect(got?.transaction.card).toMatchObject({ masked: '411111******1111', last4: '1111' });
      expect(await store.getTransaction('missing')).toBeUndefined();
    });

    it('counts transactions, outcomes and alerts, and adds rejections and duplicates counted elsewhere', async () => {
      // Prepare
      const store = await makeStore();
      // Act
      await store.storeDecisions(batch('st', 8));
      await store.count({ rejected: 3, duplicates: 2 });
      await store.count({ rejected: 1 });
      // Assess
      expect(await store.stats()).toMatchObject({
        transactions: 8,
        decisions: 8,
        alerts: 4,
        rejected: 4,
        duplicates: 2,
        outcomes: { allow: 4, review: 2, block: 2 },
      });
    });
  });
}
