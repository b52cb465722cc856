import { describe, expect, it } from 'vitest';
import type { LabelStore } from '../../src/ports/LabelStore.js';
import { uniquePrefix } from './items.js';

/**
 * The behaviour every {@link LabelStore} promises: one label per transaction, never silently
 * changed. `makeStore` returns a new, empty store on each call.
 *
 * @example
 * describeLabelStoreContract('InMemoryStateStore', async () => new InMemoryStateStore());
 */
export function describeLabelStoreContract(name: string, makeStore: () => Promise<LabelStore>): void {
  describe(`LabelStore contract: ${name}`, () => {
    it('records the first label, keeps it, and reports a different one as a conflict', async () => {
      // Prepare
      const store = await makeStore();
      const id = uniquePrefix('lbl');
      // Act
      const first = await store.putLabel(id, 1, 1000);
      const same = await store.putLabel(id, 1, 2000);
      const other = await store.putLabel(id, 0, 3000);
      const second = await store.putLabel(`${id}-b`, 0, 4000);
      // Assess
      expect(first).toEqual({ status: 'recorded', label: 1, knownAt: 1000 });
      expect(same).toEqual({ status: 'unchanged', label: 1, knownAt: 1000 });
      expect(other).toEqual({ status: 'conflict', label: 1, knownAt: 1000 });
      expect(second).toEqual({ status: 'recorded', label: 0, knownAt: 4000 });
    });

    it('reads back the label that stands, and nothing for an id without one', async () => {
      // Prepare
      const store = await makeStore();
      const id = uniquePrefix('get');
      await store.putLabel(id, 0, 5000);
      await store.putLabel(id, 1, 6000);
      // Act
      const got = await store.getLabel(id);
      const none = await store.getLabel(`${id}-none`);
      // Assess
      expect(got).toEqual({ label: 0, knownAt: 5000 });
      expect(none).toBeUndefined();
    });

    it('lets exactly one of concurrent writers record, and tells the others what stands', async () => {
      // Prepare
      const store = await makeStore();
      const id = uniquePrefix('race');
      // Act
      const results = await Promise.all([1, 0, 1, 0, 1].map((l, i) => store.putLabel(id, l as 0 | 1, i)));
      // Assess
      const recorded = results.filter((r) => r.status === 'recorded');
      expect(recorded).toHaveLength(1);
      for (const r of results) expect({ label: r.label, knownAt: r.knownAt }).toEqual({ label: recorded[0]?.label, knownAt: recorded[0]?.knownAt });
    });
  });
}
