import { describe, expect, it } from 'vitest';
import { scoreAndStore } from '../../src/app/scoreRemote.js';
import { withRemoteShadow } from '../../src/app/shadowRemote.js';
import { compileRuleSet } from '../../src/core/rules.js';
import type { ShadowDecisionStore } from '../../src/ports/ShadowDecisionStore.js';
import { InMemoryFeatureHistory } from '../fakes/InMemoryFeatureHistory.js';
import { InMemoryShadowStore } from '../fakes/InMemoryShadowStore.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { RecordingAlertSink } from '../fakes/RecordingAlertSink.js';
import { RecordingLogger } from '../fakes/RecordingLogger.js';
import { makeTx, money, T0 } from '../helpers/transactions.js';

const MINUTE = 60_000;
/** In force: a burst on one account (velocity) is reviewed. */
const RULES = compileRuleSet({
  version: 'in-force-1',
  thresholds: { review: 50, block: 80 },
  rules: [{ id: 'burst', when: 'count(account, 1h) > 3', weight: 60 }],
});
/** The challenger: the same rule, a lower threshold, so the same features give other outcomes. */
const CANDIDATE = compileRuleSet({ ...(RULES.document as object), version: 'candidate-1', thresholds: { review: 20, block: 55 } });

/** Six transactions of one account, a minute apart, starting at `from`. */
const burst = (prefix: string, from: number) =>
  Array.from({ length: 6 }, (_, i) => ({
    transaction: makeTx({ transactionId: `${prefix}${i}`, accountId: 'acct-1', amount: money('10.00'), timestamp: from + i * MINUTE }),
  }));

function deps() {
  const state = new InMemoryStateStore();
  return { state, shadow: new InMemoryShadowStore(state), history: new InMemoryFeatureHistory(), alerts: new RecordingAlertSink(), logger: new RecordingLogger() };
}

describe('withRemoteShadow: a challenger beside scoreAndStore', () => {
  it('decides each stored transaction over the features in force, history included, and changes nothing in force', async () => {
    // Prepare: the same two batches (the second reads the first's history) with and without the challenger
    const withIt = deps();
    const without = deps();
    const batches = [burst('A', T0), burst('B', T0 + 10 * MINUTE)];
    const run = (d: ReturnType<typeof deps>, shadow: boolean) => async (items: ReturnType<typeof burst>) => {
      const base = { decisions: d.state, history: d.history, rules: RULES, alerts: d.alerts, labelDelayMs: 0, now: () => new Date(T0) };
      return scoreAndStore(items, shadow ? withRemoteShadow(base, { challenger: { rules: CANDIDATE }, store: d.shadow, logger: d.logger }) : base);
    };

    // Act
    for (const b of batches) await run(withIt, true)(b);
    for (const b of batches) await run(without, false)(b);
    const asInForce = deps();
    const promoted = { decisions: asInForce.state, history: asInForce.history, rules: CANDIDATE, alerts: asInForce.alerts, labelDelayMs: 0, now: () => new Date(T0) };
    for (const b of batches) await scoreAndStore(b, promoted);

    // Assess: in force, exactly as without the challenger (decisions, alerts)
    const ids = batches.flat().map((i) => i.transaction.transactionId);
    const decided = async (s: InMemoryStateStore) => [...(await s.findDecisions(ids))].map(([id, d]) => [id, d.score, d.outcome]);
    expect(await decided(withIt.state)).toEqual(await decided(without.state));
    expect(withIt.alerts.delivered.map((a) => a.transaction_id)).toEqual(without.alerts.delivered.map((a) => a.transaction_id));
    // Assess: in shadow, what the challenger decides in force (the second batch's burst counts the first's)
    const tallies = await withIt.shadow.shadowTallies({ rulesVersion: 'candidate-1', modelVersion: null });
    const inForceAsChallenger = [...(await asInForce.state.findDecisions(ids)).values()];
    expect(tallies.reduce((n, t) => n + t.rows, 0)).toBe(ids.length);
    const byOutcome = (outcomes: string[]) => outcomes.reduce<Record<string, number>>((m, o) => ({ ...m, [o]: (m[o] ?? 0) + 1 }), {});
    expect(byOutcome(tallies.flatMap((t) => Array.from({ length: t.rows }, () => t.shadow)))).toEqual(byOutcome(inForceAsChallenger.map((d) => d.outcome)));
    expect(inForceAsChallenger.filter((d) => d.outcome === 'block').length).toBeGreaterThan(0);
    expect(withIt.logger.lines).toEqual([]);
  });

  it('logs a shadow store that fails, and the batch in force still succeeds', async () => {
    // Prepare
    const d = deps();
    const failing: ShadowDecisionStore = {
      storeShadowDecisions: async () => {
        throw new Error('throttled');
      },
      latestShadowVersion: async () => undefined,
      shadowTallies: async () => [],
    };
    const base = { decisions: d.state, history: d.history, rules: RULES, alerts: d.alerts };

    // Act
    const result = await scoreAndStore(burst('F', T0), withRemoteShadow(base, { challenger: { rules: CANDIDATE }, store: failing, logger: d.logger }));

    // Assess
    expect(result.decided).toHaveLength(6);
    expect(d.logger.lines.map((l) => `${l.level} ${l.message}`)).toEqual(['error shadow: decisions not stored: throttled']);
  });

  it('leaves deps as they are without a challenger, and decides nothing in shadow for a redelivered batch', async () => {
    // Prepare
    const d = deps();
    const base = { decisions: d.state, history: d.history, rules: RULES, alerts: d.alerts };
    const shadowed = () => withRemoteShadow(base, { challenger: { rules: CANDIDATE }, store: d.shadow, logger: d.logger });
    const batch = burst('R', T0);

    // Act
    await scoreAndStore(batch, shadowed());
    await scoreAndStore(batch, shadowed());

    // Assess
    expect(withRemoteShadow(base, undefined)).toBe(base);
    const tallies = await d.shadow.shadowTallies({ rulesVersion: 'candidate-1', modelVersion: null });
    expect(tallies.reduce((n, t) => n + t.rows, 0)).toBe(batch.length);
  });
});
