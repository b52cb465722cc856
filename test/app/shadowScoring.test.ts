import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { scoreBatches } from '../../src/app/scoreBatches.js';
import { ShadowScoring } from '../../src/app/shadowScoring.js';
import { FeatureWindows } from '../../src/core/features.js';
import { compileRuleSet } from '../../src/core/rules.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import type { ShadowDecision, ShadowDecisionStore } from '../../src/ports/ShadowDecisionStore.js';
import { InMemoryShadowStore } from '../fakes/InMemoryShadowStore.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { RecordingLogger } from '../fakes/RecordingLogger.js';
import { scenarioFile } from '../helpers/fixtures.js';
import { testTokenizer } from '../helpers/transactions.js';

const RULES = compileRuleSet(JSON.parse(readFileSync(new URL('../../rules/default.json', import.meta.url), 'utf8')));
const CANDIDATE = compileRuleSet({ ...(RULES.document as object), version: 'candidate-1', thresholds: { review: 20, block: 80 } });

async function run(state: InMemoryStateStore, shadow: ShadowScoring, csv: string): Promise<void> {
  const file = await state.beginFile('f.csv');
  await scoreBatches(file, ingestCsv(Readable.from([csv]), { fileKey: 'f.csv', tokenizer: testTokenizer(), batchSize: 37 }), {
    decided: (ids) => state.findDecisions(ids),
    commits: shadow.committer(state),
    features: shadow.features,
    rules: () => RULES,
  });
  await shadow.flush();
}

describe('ShadowScoring over fakes', () => {
  it('never lets the challenger change what is in force: a failing shadow store is logged, every decision stored', async () => {
    // Prepare
    const f = scenarioFile(200, 0);
    const failing: ShadowDecisionStore = {
      storeShadowDecisions: async () => {
        throw new Error('disk full');
      },
      latestShadowVersion: async () => undefined,
      shadowTallies: async () => [],
    };
    const state = new InMemoryStateStore();
    const logger = new RecordingLogger();
    const shadow = new ShadowScoring({ features: new FeatureWindows(), challenger: { rules: CANDIDATE }, rules: () => RULES, store: failing, logger });
    const plain = new InMemoryStateStore();

    // Act: with the failing challenger, and without any
    await run(state, shadow, f.csv);
    await run(plain, new ShadowScoring({ features: new FeatureWindows(), challenger: {}, rules: () => RULES, store: new InMemoryShadowStore(plain), logger }), f.csv);

    // Assess
    const stats = await state.stats();
    expect(stats.decisions).toBe(200);
    expect(stats).toEqual(await plain.stats());
    expect(logger.lines.filter((l) => l.level === 'error' && l.message.includes('shadow: decisions not stored: disk full')).length).toBeGreaterThan(0);
  });

  it('stores a shadow decision only for batches the scorer in force committed', async () => {
    // Prepare: the store in force fails its third batch
    const f = scenarioFile(200, 0);
    const state = new InMemoryStateStore();
    const decisions: ShadowDecision[] = [];
    const recorded: ShadowDecisionStore = {
      storeShadowDecisions: async (d) => void decisions.push(...d),
      latestShadowVersion: async () => undefined,
      shadowTallies: async () => [],
    };
    let commits = 0;
    const inner = state.commit.bind(state);
    state.commit = async (items, checkpoint) => {
      if (++commits === 3) throw new Error('disk full');
      return inner(items, checkpoint);
    };
    const shadow = new ShadowScoring({ features: new FeatureWindows(), challenger: { rules: CANDIDATE }, rules: () => RULES, store: recorded, logger: new RecordingLogger() });

    // Act
    const failed = await run(state, shadow, f.csv).then(
      () => undefined,
      (e: unknown) => e,
    );
    await shadow.flush();

    // Assess: the shadow decisions are those of the stored transactions, each once
    expect(failed).toBeInstanceOf(Error);
    const stored = new Set<string>();
    for (const d of decisions) if ((await state.findDecisions([d.transactionId])).has(d.transactionId)) stored.add(d.transactionId);
    const inForce = (await state.stats()).decisions;
    expect(inForce).toBeGreaterThan(0);
    expect(inForce).toBeLessThan(200);
    expect(decisions.length).toBe(inForce);
    expect(stored.size).toBe(inForce);
  });
});
