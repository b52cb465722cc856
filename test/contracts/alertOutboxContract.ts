import { describe, expect, it } from 'vitest';
import type { AlertOutbox } from '../../src/ports/AlertOutbox.js';
import type { DecisionStore } from '../../src/ports/DecisionStore.js';
import { batch } from './items.js';

/**
 * The behaviour every {@link AlertOutbox} promises. `make` returns a new, empty store on each call,
 * with the {@link DecisionStore} whose decisions put alerts in the outbox.
 *
 * @example
 * describeAlertOutboxContract('SqliteStateStore', async () => { const s = new SqliteStateStore({ path: ':memory:' }); return { outbox: s, decisions: s }; });
 */
export function describeAlertOutboxContract(
  name: string,
  make: () => Promise<{ outbox: AlertOutbox; decisions: DecisionStore }>,
): void {
  describe(`AlertOutbox contract: ${name}`, () => {
    it('hands out stored alerts oldest first from a cursor, at most a limit', async () => {
      // Prepare
      const { outbox, decisions } = await make();
      const { alerts } = await decisions.storeDecisions(batch('ob', 12));
      // Act
      const firstPage = await outbox.listAlerts({ afterId: 0, limit: 4 });
      const rest = await outbox.listAlerts({ afterId: firstPage[firstPage.length - 1]?.id ?? 0, limit: 100 });
      // Assess
      expect(alerts).toHaveLength(6);
      expect(firstPage).toEqual(alerts.slice(0, 4));
      expect(rest).toEqual(alerts.slice(4));
    });

    it('keeps one cursor per sink, 0 before its first delivery', async () => {
      // Prepare
      const { outbox } = await make();
      // Act
      const initial = await outbox.deliveryCursor('webhook');
      await outbox.setDeliveryCursor('webhook', 7);
      await outbox.setDeliveryCursor('jsonl', 3);
      await outbox.setDeliveryCursor('webhook', 9);
      // Assess
      expect(initial).toBe(0);
      expect(await outbox.deliveryCursor('webhook')).toBe(9);
      expect(await outbox.deliveryCursor('jsonl')).toBe(3);
      expect(await outbox.deliveryCursor('console')).toBe(0);
    });
  });
}
