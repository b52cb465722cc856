import { describe, expect, it } from 'vitest';
import type { RulesStore } from '../../src/ports/RulesStore.js';

const ADMIN = { credential: 'admin-key sha256:1a2b3c4d', remote: '127.0.0.1' };
const OTHER = { credential: 'iam arn:aws:iam::123456789012:user/rules-admin', remote: '198.51.100.4' };

/** A valid rules document of `version`. */
export function rulesDoc(version: string, weight = 60): Record<string, unknown> {
  return {
    version,
    description: 'contract',
    thresholds: { review: 50, block: 80 },
    rules: [{ id: 'high_value', when: 'amount > 10000', weight, detail: 'amount {amount} over 10000' }],
  };
}

/**
 * The behaviour every {@link RulesStore} promises. `makeStore` returns a new store on each call.
 * Narrowed: before the first activation a store may have no document (the rules table) or the one
 * it started from (the rules file always holds one), so the suite only reads what it activated.
 *
 * @example
 * describeRulesStoreContract('InMemoryRulesStore', async () => new InMemoryRulesStore());
 */
export function describeRulesStoreContract(name: string, makeStore: () => Promise<RulesStore>): void {
  describe(`RulesStore contract: ${name}`, () => {
    it('makes the document activated last the active one', async () => {
      // Prepare
      const store = await makeStore();
      // Act
      await store.activate('c1', rulesDoc('c1'), ADMIN);
      const first = await store.active();
      await store.activate('c2', rulesDoc('c2', 70), ADMIN);
      const second = await store.active();
      // Assess
      expect(first?.version).toBe('c1');
      expect(first?.document).toMatchObject({ version: 'c1', rules: [{ id: 'high_value', weight: 60 }] });
      expect(second?.version).toBe('c2');
      expect(second?.document).toMatchObject({ version: 'c2', rules: [{ id: 'high_value', weight: 70 }] });
    });

    it('records every change with its caller and the version it replaced, newest first', async () => {
      // Prepare
      const store = await makeStore();
      // Act
      await store.activate('a1', rulesDoc('a1'), ADMIN);
      await store.activate('a2', rulesDoc('a2', 70), OTHER);
      await store.activate('a3', rulesDoc('a3', 80), ADMIN);
      const changes = await store.changes(2);
      // Assess
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatchObject({ version: 'a3', previousVersion: 'a2', credential: ADMIN.credential, remote: ADMIN.remote });
      expect(changes[1]).toMatchObject({ version: 'a2', previousVersion: 'a1', credential: OTHER.credential, remote: OTHER.remote });
      expect(changes[0]?.digest).not.toBe(changes[1]?.digest);
      expect(Number.isNaN(Date.parse(changes[0]?.at ?? ''))).toBe(false);
    });
  });
}
