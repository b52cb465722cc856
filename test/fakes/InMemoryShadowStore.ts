import type { DecisionStore } from '../../src/ports/DecisionStore.js';
import type { LabelStore } from '../../src/ports/LabelStore.js';
import type { ShadowDecision, ShadowDecisionStore, ShadowTally, ShadowVersion } from '../../src/ports/ShadowDecisionStore.js';

/**
 * A {@link ShadowDecisionStore} in memory, over the decisions in force and the labels of another
 * store (as the SQLite adapter joins its own tables): the first shadow decision of a transaction
 * stands, and tallies count only transactions decided in force too.
 *
 * @example
 * const state = new InMemoryStateStore();
 * const shadow = new InMemoryShadowStore(state);
 */
export class InMemoryShadowStore implements ShadowDecisionStore {
  private readonly decisions = new Map<string, ShadowDecision>();
  private latest: ShadowVersion | undefined;

  constructor(private readonly inForce: Pick<DecisionStore, 'getTransaction'> & Pick<LabelStore, 'getLabel'>) {}

  async storeShadowDecisions(decisions: readonly ShadowDecision[]): Promise<void> {
    for (const d of decisions) {
      if (this.decisions.has(d.transactionId)) continue;
      this.decisions.set(d.transactionId, structuredClone(d));
      this.latest = { rulesVersion: d.rulesVersion, modelVersion: d.modelVersion };
    }
  }

  async latestShadowVersion(): Promise<ShadowVersion | undefined> {
    return this.latest && { ...this.latest };
  }

  async shadowTallies(version: ShadowVersion): Promise<ShadowTally[]> {
    const counts = new Map<string, ShadowTally>();
    for (const d of this.decisions.values()) {
      if (d.rulesVersion !== version.rulesVersion || d.modelVersion !== version.modelVersion) continue;
      const stored = await this.inForce.getTransaction(d.transactionId);
      if (!stored) continue;
      const label = stored.transaction.label ?? (await this.inForce.getLabel(d.transactionId))?.label ?? null;
      const key = `${stored.decision.outcome} ${d.outcome} ${label}`;
      const tally = counts.get(key) ?? { primary: stored.decision.outcome, shadow: d.outcome, label, rows: 0 };
      tally.rows++;
      counts.set(key, tally);
    }
    return [...counts.values()];
  }
}
