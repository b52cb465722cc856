import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../src/core/scoring.js';
import type { DecisionStore } from '../../src/ports/DecisionStore.js';
import type { LabelStore } from '../../src/ports/LabelStore.js';
import type { ShadowDecision, ShadowDecisionStore, ShadowTally } from '../../src/ports/ShadowDecisionStore.js';
import { decided, uniquePrefix } from './items.js';

/** A shadow store with the store of decisions in force and labels it compares against. */
export interface ShadowFixture {
  shadow: ShadowDecisionStore;
  state: DecisionStore & LabelStore;
}

function shadowDecision(id: string, outcome: Outcome, rulesVersion = 'cand-1', modelVersion: string | null = 'gbdt-1'): ShadowDecision {
  return {
    transactionId: id,
    timestamp: 1_700_000_000_000,
    score: outcome === 'allow' ? 3 : 70,
    outcome,
    modelScore: modelVersion === null ? null : 3,
    rules: outcome === 'allow' ? [] : ['high_value'],
    rulesVersion,
    modelVersion,
    decidedAt: '2026-01-01T00:00:00.000Z',
  };
}

const byKey = (t: ShadowTally[]): ShadowTally[] =>
  [...t].sort((a, b) => `${a.primary}${a.shadow}${a.label}`.localeCompare(`${b.primary}${b.shadow}${b.label}`));

/**
 * The behaviour every {@link ShadowDecisionStore} promises. `make` returns new, empty stores.
 *
 * @example
 * describeShadowDecisionStoreContract('fake', async () => { const s = new InMemoryStateStore(); return { state: s, shadow: new InMemoryShadowStore(s) }; });
 */
export function describeShadowDecisionStoreContract(name: string, make: () => Promise<ShadowFixture>): void {
  describe(`ShadowDecisionStore contract: ${name}`, () => {
    it('counts each transaction once, by outcome in force, challenger outcome and the label in force', async () => {
      // Prepare: 4 decided in force; one arrived labelled, one labelled later, two unknown
      const { shadow, state } = await make();
      const p = uniquePrefix('sh');
      const inForce = [decided(`${p}-a`, 'allow'), decided(`${p}-b`, 'review'), decided(`${p}-c`, 'allow'), decided(`${p}-d`, 'allow')];
      (inForce[0] as (typeof inForce)[number]).transaction.label = 1;
      await state.storeDecisions(inForce);
      await state.putLabel(`${p}-b`, 0, 1000);

      // Act: the first shadow decision of an id stands
      await shadow.storeShadowDecisions([shadowDecision(`${p}-a`, 'review'), shadowDecision(`${p}-b`, 'allow'), shadowDecision(`${p}-c`, 'allow')]);
      await shadow.storeShadowDecisions([shadowDecision(`${p}-a`, 'allow'), shadowDecision(`${p}-d`, 'allow')]);
      const version = await shadow.latestShadowVersion();
      const tallies = await shadow.shadowTallies({ rulesVersion: 'cand-1', modelVersion: 'gbdt-1' });

      // Assess
      expect(version).toEqual({ rulesVersion: 'cand-1', modelVersion: 'gbdt-1' });
      expect(byKey(tallies)).toEqual(
        byKey([
          { primary: 'allow', shadow: 'review', label: 1, rows: 1 },
          { primary: 'review', shadow: 'allow', label: 0, rows: 1 },
          { primary: 'allow', shadow: 'allow', label: null, rows: 2 },
        ]),
      );
    });

    it('keeps challengers apart by their rules and model versions, and names the latest', async () => {
      // Prepare
      const { shadow, state } = await make();
      const p = uniquePrefix('v');
      await state.storeDecisions([decided(`${p}-1`, 'allow'), decided(`${p}-2`, 'block')]);

      // Act
      const before = await shadow.latestShadowVersion();
      await shadow.storeShadowDecisions([shadowDecision(`${p}-1`, 'allow', 'cand-1', 'gbdt-1')]);
      await shadow.storeShadowDecisions([shadowDecision(`${p}-2`, 'block', 'cand-2', null)]);

      // Assess
      expect(before).toBeUndefined();
      expect(await shadow.latestShadowVersion()).toEqual({ rulesVersion: 'cand-2', modelVersion: null });
      expect(await shadow.shadowTallies({ rulesVersion: 'cand-2', modelVersion: null })).toEqual([{ primary: 'block', shadow: 'block', label: null, rows: 1 }]);
      expect(await shadow.shadowTallies({ rulesVersion: 'cand-1', modelVersion: 'gbdt-1' })).toEqual([{ primary: 'allow', shadow: 'allow', label: null, rows: 1 }]);
      expect(await shadow.shadowTallies({ rulesVersion: 'cand-1', modelVersion: null })).toEqual([]);
    });
  });
}
