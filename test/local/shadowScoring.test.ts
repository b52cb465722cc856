import { Readable } from 'node:stream';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteShadowStore } from '../../src/adapters/local/SqliteShadowStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { scoreBatches } from '../../src/app/scoreBatches.js';
import { compareLatestShadow } from '../../src/app/shadowCompare.js';
import { ShadowScoring } from '../../src/app/shadowScoring.js';
import { groupCommit } from '../../src/app/submitTransaction.js';
import { FeatureWindows } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import { loadModel, type Model } from '../../src/core/model/model.js';
import type { DecidedItem } from '../../src/core/records.js';
import { compileRuleSet, type RuleSet } from '../../src/core/rules.js';
import type { Alert } from '../../src/core/views.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import { trainModel } from '../../src/pipeline/train.js';
import type { BatchCommitter } from '../../src/ports/BatchCommitter.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';
import { chunked, labelledCsv, labelledHistory, labelledTransaction } from '../helpers/labelledHistory.js';
import { T0, testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;
const RULES = loadRulesFile(BUNDLED_RULES);
/** A challenger's rules: the bundled ones with the review threshold lowered, so outcomes differ. */
const CANDIDATE: RuleSet = compileRuleSet({ ...(RULES.document as object), version: 'candidate-1', thresholds: { review: 20, block: 80 } });
const history = labelledHistory({ days: 30, perDay: 60 });
const csv = labelledCsv(history.rows);

/** Decisions by id, as a committer got them. */
class Recording implements BatchCommitter {
  readonly decisions = new Map<string, { score: number; outcome: string }>();
  alerts = 0;
  async commit(items: readonly DecidedItem[]): Promise<Alert[]> {
    for (const i of items) {
      this.decisions.set(i.transaction.transactionId, { score: i.decision.score, outcome: i.decision.outcome });
      if (i.decision.outcome !== 'allow') this.alerts++;
    }
    return [];
  }
  pending(): undefined {
    return undefined;
  }

  pendingIds(): ReadonlySet<string> {
    return new Set();
  }
}

const windows = (): FeatureWindows => new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });

/** Scores the whole history once, as the inbox does, through `commits` and `features`. */
async function scoreAll(deps: {
  commits: BatchCommitter;
  features: ReturnType<typeof windows> | ShadowScoring['features'];
  rules: RuleSet;
  model?: Model;
  /** The ledger's file, when the committer keeps one. */
  fileId?: number;
}): Promise<void> {
  await scoreBatches({ id: deps.fileId ?? 0, name: 'h.csv' }, ingestCsv(Readable.from([csv]), { fileKey: 'h.csv', tokenizer: testTokenizer(), batchSize: 97 }), {
    decided: () => new Set<string>(),
    commits: deps.commits,
    features: deps.features,
    rules: () => deps.rules,
    model: deps.model,
    now: () => new Date(T0),
  });
}

describe('ShadowScoring: a challenger beside the scorer in force, over SQLite', () => {
  let model: Model;
  let cleanup = () => {};
  let state: SqliteStateStore | undefined;

  beforeAll(async () => {
    const file = await trainModel(chunked(csv), {
      fileKey: 'h.csv',
      tokenizer: testTokenizer(),
      rules: RULES,
      labelDelayMs: DAY,
      to: history.start + 20 * DAY,
      gbdt: { trees: 20 },
      now: () => new Date(T0),
    });
    model = loadModel(JSON.parse(JSON.stringify(file)));
  });

  afterEach(() => {
    state?.close();
    state = undefined;
    cleanup();
  });

  const open = (): { state: SqliteStateStore; shadowStore: SqliteShadowStore } => {
    const t = tempDir();
    cleanup = t.cleanup;
    state = new SqliteStateStore({ path: join(t.dir, 'fraudmini.db') });
    return { state, shadowStore: new SqliteShadowStore({ db: state.db }) };
  };

  it('decides as the challenger would in force, and leaves the decisions in force as they were without it', async () => {
    // Prepare: the challenger brings a model and other rules; the rules in force have no model
    const { state, shadowStore } = open();
    const features = windows();
    const shadow = new ShadowScoring({ features, challenger: { rules: CANDIDATE, model }, rules: () => RULES, store: shadowStore, logger: silentLogger, now: () => new Date(T0) });
    const asPrimary = new Recording();
    const alone = new Recording();

    // Act: in force with the challenger in shadow; the challenger in force alone; the one in force alone
    await scoreAll({ commits: shadow.committer(state), features: shadow.features, rules: RULES, fileId: (await state.beginFile('h.csv')).id });
    await shadow.flush();
    await scoreAll({ commits: asPrimary, features: windows(), rules: CANDIDATE, model });
    await scoreAll({ commits: alone, features: windows(), rules: RULES });

    // Assess: the same decisions as each made in force, to the bit
    const stored = state.db.prepare('SELECT transaction_id AS id, score, outcome FROM transactions').all() as { id: string; score: number; outcome: string }[];
    const shadowed = state.db.prepare('SELECT transaction_id AS id, score, outcome, model_version, rules_version FROM shadow_decisions').all() as {
      id: string;
      score: number;
      outcome: string;
      model_version: string;
      rules_version: string;
    }[];
    expect(stored.length).toBe(history.rows.length);
    expect(new Map(stored.map((r) => [r.id, { score: r.score, outcome: r.outcome }]))).toEqual(alone.decisions);
    expect(new Map(shadowed.map((r) => [r.id, { score: r.score, outcome: r.outcome }]))).toEqual(asPrimary.decisions);
    expect(new Set(shadowed.map((r) => `${r.rules_version} ${r.model_version}`))).toEqual(new Set([`candidate-1 ${model.version}`]));
    // the challenger raises no alert: only the decisions in force did
    const alerts = state.db.prepare('SELECT count(*) FROM alerts').pluck().get() as number;
    expect(alerts).toBe(alone.alerts);
    // and they differ, or this test would show nothing
    expect([...asPrimary.decisions.values()].filter((d) => d.outcome !== 'allow').length).not.toBe(alone.alerts);
  });

  it('compares the challenger with the decisions in force on the labels stored', async () => {
    // Prepare
    const { state, shadowStore } = open();
    const features = windows();
    const shadow = new ShadowScoring({ features, challenger: { rules: CANDIDATE, model }, rules: () => RULES, store: shadowStore, logger: silentLogger });
    await scoreAll({ commits: shadow.committer(state), features: shadow.features, rules: RULES, fileId: (await state.beginFile('h.csv')).id });
    await shadow.flush();
    const labelled = history.rows.filter((r) => r.label !== undefined);
    const frauds = labelled.filter((r) => r.label === 1).length;

    // Act
    const c = await compareLatestShadow(shadowStore);

    // Assess
    const flaggedInForce = state.db.prepare(`SELECT count(*) FROM transactions WHERE outcome != 'allow'`).pluck().get() as number;
    const flaggedShadow = state.db.prepare(`SELECT count(*) FROM shadow_decisions WHERE outcome != 'allow'`).pluck().get() as number;
    const fraudFlaggedShadow = state.db
      .prepare(`SELECT count(*) FROM shadow_decisions s JOIN transactions t USING (transaction_id) WHERE s.outcome != 'allow' AND t.label = 1`)
      .pluck()
      .get() as number;
    expect(c.challenger).toEqual({ rulesVersion: 'candidate-1', modelVersion: model.version });
    expect(c.rows).toBe(history.rows.length);
    expect(c.labelled).toBe(labelled.length);
    expect(c.frauds).toBe(frauds);
    expect(c.inForce.flagged).toBe(flaggedInForce);
    expect(c.shadow.flagged).toBe(flaggedShadow);
    expect(c.shadow.fraudFlagged).toBe(fraudFlaggedShadow);
    expect(c.shadow.recall).toBeCloseTo(fraudFlaggedShadow / frauds, 12);
    // a model trained on this history finds more of its frauds than the rules do
    expect(c.shadow.recall as number).toBeGreaterThan(c.inForce.recall as number);
  });

  it('scores POST /transactions groups in shadow too, each stored transaction once', async () => {
    // Prepare
    const { state, shadowStore } = open();
    const shadow = new ShadowScoring({ features: windows(), challenger: { rules: CANDIDATE }, rules: () => RULES, store: shadowStore, logger: silentLogger });
    const groups = groupCommit({ decisions: shadow.decisionStore(state), features: shadow.features, rules: () => RULES });
    const txs = history.rows.slice(0, 30).map(labelledTransaction);

    // Act: every transaction twice, in two rounds
    await Promise.all(txs.map((tx) => groups.submit(tx)));
    const again = await Promise.all(txs.map((tx) => groups.submit(tx)));
    await shadow.flush();

    // Assess
    expect(again.every((s) => s.duplicate)).toBe(true);
    const ids = state.db.prepare('SELECT transaction_id FROM shadow_decisions ORDER BY seq').pluck().all();
    expect(ids).toEqual(txs.map((t) => t.transactionId));
    const c = await compareLatestShadow(shadowStore);
    expect(c.rows).toBe(30);
    expect(c.challenger?.rulesVersion).toBe('candidate-1');
  });
});
