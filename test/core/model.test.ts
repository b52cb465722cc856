import { describe, expect, it } from 'vitest';
import { type Features, FeatureWindows, featureValue, hasEntity, labelCounts, previousOf, type Stat } from '../../src/core/features.js';
import { LabelFeedback } from '../../src/core/labels.js';
import { trainGbdt } from '../../src/core/model/gbdt.js';
import {
  loadModel,
  MODEL_FORMAT,
  type Model,
  ModelError,
  type ModelFile,
  modelFile,
  scoreWithModel,
  type TrainingInfo,
} from '../../src/core/model/model.js';
import { FEATURE_COUNT, MISSING, MODEL_FEATURES, modelVector } from '../../src/core/model/vector.js';
import type { Transaction } from '../../src/core/transaction.js';
import type { WindowName } from '../../src/core/windows.js';
import { labelledHistory, labelledTransaction } from '../helpers/labelledHistory.js';
import { firstSeen, makeTx, money, T0 } from '../helpers/transactions.js';

const DAY = 86_400_000;

/** Index of a model feature by name (fails loudly on a typo). */
function at(name: (typeof MODEL_FEATURES)[number]): number {
  return MODEL_FEATURES.indexOf(name);
}

const TRAINING: TrainingInfo = {
  rows: 0,
  positives: 0,
  negatives_kept: 0,
  negative_weight: 1,
  from: null,
  to: null,
  label_delay_ms: DAY,
  trees_trained: 0,
  best_iteration: 0,
  validation_logloss: null,
  seconds: 0,
};

/** Vectors of a generated history with label feedback, as training computes them. */
function historyVectors(): { txs: Transaction[]; x: Float64Array; y: Uint8Array; rows: number } {
  const txs = labelledHistory({ days: 40 })
    .rows.map(labelledTransaction)
    .filter((t) => t.label !== undefined);
  const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
  const x = new Float64Array(txs.length * FEATURE_COUNT);
  const y = new Uint8Array(txs.length);
  txs.forEach((t, i) => {
    modelVector(t, store.observe(t), x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
    y[i] = t.label ?? 0;
  });
  return { txs, x, y, rows: txs.length };
}

/** A model file trained on the generated history (built once: training takes a moment). */
const trained = ((): { file: ModelFile; data: ReturnType<typeof historyVectors> } => {
  const data = historyVectors();
  const { model, report } = trainGbdt(
    { x: data.x, y: data.y, w: new Float64Array(data.rows).fill(1), rows: data.rows, features: FEATURE_COUNT },
    { trees: 40 },
  );
  return { file: modelFile(model, { ...TRAINING, rows: data.rows }, report.gain, new Date(T0)), data };
})();

describe('modelVector', () => {
  it('writes exactly FEATURE_COUNT finite values, with and without optional fields', () => {
    // Prepare: a full transaction and a minimal one, each with history and label feedback.
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: 0 }) });
    const full = (i: number): Transaction =>
      makeTx({
        transactionId: `full-${i}`,
        timestamp: T0 + i * 3_600_000,
        card: { token: 'card-1', masked: '411111******1111' },
        terminalId: 'term-1',
        merchant: 'merch-1',
        country: i % 2 === 0 ? 'FR' : 'DE',
        originCountry: 'FR',
        destinationCountry: 'GB',
        accountBalance: i === 3 ? 0 : money('1000.00'),
        channel: ['POS', 'ecom', 'ATM', 'transfer'][i % 4],
        amount: money(i === 2 ? '50.00' : '0.01'),
        label: i % 2 === 0 ? 1 : 0,
      });
    const minimal = (i: number): Transaction => makeTx({ transactionId: `min-${i}`, accountId: 'acc-2', timestamp: T0 + i });
    const txs = [full(0), minimal(0), full(1), minimal(1), full(2), full(3), minimal(2)];

    // Act
    const vectors = txs.map((t) => {
      const out = new Float64Array(FEATURE_COUNT + 2).fill(Number.NaN);
      out[FEATURE_COUNT] = 12345;
      out[FEATURE_COUNT + 1] = 12345;
      modelVector(t, store.observe(t), out);
      return out;
    });

    // Assess: every model slot overwritten with a finite value, nothing written past the end.
    for (const [i, v] of vectors.entries()) {
      const bad = Array.from(v.subarray(0, FEATURE_COUNT)).flatMap((value, k) =>
        Number.isFinite(value) ? [] : [`${MODEL_FEATURES[k] ?? k}=${value}`],
      );
      expect(bad, `transaction ${txs[i]?.transactionId}`).toEqual([]);
      expect(Array.from(v.subarray(FEATURE_COUNT))).toEqual([12345, 12345]);
    }
    expect(modelVector(makeTx(), firstSeen(makeTx()))).toHaveLength(FEATURE_COUNT);
  });

  it('marks absent history and absent fields as MISSING', () => {
    // Prepare: the first transaction of an account, no card, terminal, balance or countries.
    const store = new FeatureWindows({ labels: new LabelFeedback() });
    const tx = makeTx();

    // Act
    const v = modelVector(tx, store.observe(tx));

    // Assess
    for (const name of [
      'acct_amount_vs_24h',
      'acct_amount_vs_7d',
      'acct_amount_vs_30d',
      'acct_avg_30d_log',
      'acct_minutes_since_prev_log',
      'acct_country_changed',
      'card_amount_vs_7d',
      'card_sum_24h_log',
      'term_amount_vs_7d',
      'term_fraud_rate_1d',
      'term_fraud_rate_7d',
      'term_fraud_rate_30d',
      'merch_fraud_rate_7d',
      'merch_fraud_rate_30d',
      'cross_border',
      'balance_ratio',
    ] as const) {
      expect(v[at(name)], name).toBe(MISSING);
    }
    expect(v[at('acct_count_24h')]).toBe(1);
    expect(v[at('card_count_1h')]).toBe(0);
    expect(v[at('term_frauds_7d')]).toBe(0);
  });

  it('reads history once there is some', () => {
    // Prepare: 100.00 then 300.00 on the same account an hour apart.
    const store = new FeatureWindows();
    store.observe(makeTx({ transactionId: 'a', amount: money('100.00'), country: 'FR' }));
    const second = makeTx({ transactionId: 'b', amount: money('300.00'), timestamp: T0 + 3_600_000, country: 'DE' });

    // Act
    const v = modelVector(second, store.observe(second));

    // Assess: 300 / 100 = 3; ln(1 + 60 minutes); the country changed.
    expect(v[at('acct_amount_vs_24h')]).toBeCloseTo(3, 12);
    expect(v[at('acct_minutes_since_prev_log')]).toBeCloseTo(Math.log1p(60), 12);
    expect(v[at('acct_country_changed')]).toBe(1);
  });
});

describe('loadModel', () => {
  it('rejects a document that is not a model', () => {
    // Prepare
    const docs: unknown[] = [null, 'model', { ...trained.file, format: 'fraudmini-gbdt/0' }, {}];

    // Act and Assess
    for (const doc of docs) {
      expect(() => loadModel(doc)).toThrow(ModelError);
      expect(() => loadModel(doc)).toThrow(`not a fraudmini model (expected format ${MODEL_FORMAT})`);
    }
  });

  it('rejects a model trained on another feature list', () => {
    // Prepare
    const reordered = { ...trained.file, features: [...MODEL_FEATURES].reverse() };
    const fewer = { ...trained.file, features: MODEL_FEATURES.slice(1) };

    // Act and Assess
    for (const doc of [reordered, fewer, { ...trained.file, features: undefined }]) {
      expect(() => loadModel(doc)).toThrow(/different feature set.*retrain it with `fraudmini train`/);
    }
  });

  it('rejects a file without trees, base or version', () => {
    // Prepare
    const { base: _base, ...noBase } = trained.file;

    // Act and Assess
    expect(() => loadModel(noBase)).toThrow(/incomplete \(trees, base or version missing\)/);
    expect(() => loadModel({ ...trained.file, trees: {} })).toThrow(/incomplete/);
  });

  it('rejects malformed trees, naming the tree', () => {
    // Prepare
    const leaf = { feature: [-1], threshold: [0], left: [-1], right: [-1], value: [0.1] };
    const split = { feature: [0, -1, -1], threshold: [1, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 1, 2] };
    const broken: [string, unknown][] = [
      ['no arrays', {}],
      ['null', null],
      ['empty', { ...leaf, feature: [], threshold: [], left: [], right: [], value: [] }],
      ['length mismatch', { ...leaf, value: [0.1, 0.2] }],
      ['feature out of range', { ...split, feature: [FEATURE_COUNT, -1, -1] }],
      ['negative feature', { ...split, feature: [-2, -1, -1] }],
      ['child out of range', { ...split, right: [3, -1, -1] }],
      ['child pointing back (a cycle)', { ...split, left: [0, -1, -1] }],
      ['non-numeric value', { ...split, value: [0, 'x', 2] }],
      ['non-numeric threshold', { ...split, threshold: [null, 0, 0] }],
      ['a node with two parents', { ...split, right: [1, -1, -1] }],
    ];

    // Act and Assess
    for (const [what, tree] of broken) {
      const doc = { ...trained.file, trees: [leaf, split, tree] };
      expect(() => loadModel(doc), what).toThrow(/^tree 2 of the model is malformed/);
    }
    expect(loadModel({ ...trained.file, trees: [leaf, split] }).ensemble.trees).toHaveLength(2);
  });

  it('round-trips through JSON and scores identically', () => {
    // Prepare
    const direct = loadModel(trained.file);
    const parsed: unknown = JSON.parse(JSON.stringify(trained.file));

    // Act
    const loaded = loadModel(parsed);

    // Assess
    expect(loaded.version).toBe(trained.file.version);
    expect(loaded.labelDelayMs).toBe(DAY);
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    for (const tx of trained.data.txs.slice(0, 300)) {
      const f = store.observe(tx);
      expect(scoreWithModel(loaded, tx, f, { top: 5 })).toEqual(scoreWithModel(direct, tx, f, { top: 5 }));
    }
  });

  it('versions the model by its trees', () => {
    // Prepare
    const again = modelFile(
      { base: trained.file.base, trees: trained.file.trees },
      TRAINING,
      new Float64Array(FEATURE_COUNT),
      new Date(0),
    );
    const other = modelFile({ base: trained.file.base + 0.1, trees: trained.file.trees }, TRAINING, new Float64Array(FEATURE_COUNT), new Date(0));

    // Act and Assess: training info and dates do not change the version; the trees and base do.
    expect(again.version).toBe(trained.file.version);
    expect(other.version).not.toBe(trained.file.version);
    expect(trained.file.version).toMatch(/^gbdt-[0-9a-f]{12}$/);
  });
});

describe('scoreWithModel', () => {
  it('returns a 0–100 score and top contributions sorted, positive and named', () => {
    // Prepare
    const model: Model = loadModel(trained.file);
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    let withTop = 0;

    // Act and Assess
    for (const tx of trained.data.txs) {
      const s = scoreWithModel(model, tx, store.observe(tx), { top: 4 });
      expect(s.score).toBeGreaterThanOrEqual(0);
      expect(s.score).toBeLessThanOrEqual(100);
      expect(s.top.length).toBeLessThanOrEqual(4);
      for (const [i, c] of s.top.entries()) {
        expect(c.weight).toBeGreaterThan(0);
        expect(MODEL_FEATURES).toContain(c.feature);
        if (i > 0) expect(c.weight).toBeLessThanOrEqual((s.top[i - 1] as { weight: number }).weight);
      }
      if (s.top.length > 0) withTop++;
    }
    expect(withTop).toBeGreaterThan(0);
  });

  it('names exactly the largest contributions, earlier feature first on a tie', () => {
    // Prepare: the reference is a full sort of the contributions the walk wrote
    const model = loadModel(trained.file);
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    const contributions = new Float64Array(FEATURE_COUNT);

    // Act and Assess
    for (const tx of trained.data.txs) {
      const s = scoreWithModel(model, tx, store.observe(tx), { top: 3, contributions });
      const expected = [...contributions.keys()]
        .filter((i) => (contributions[i] as number) >= 1e-4)
        .sort((i, j) => (contributions[j] as number) - (contributions[i] as number) || i - j)
        .slice(0, 3)
        .map((i) => MODEL_FEATURES[i]);
      expect(s.top.map((c) => c.feature)).toEqual(expected);
    }
  });

  it('breaks ties between equal contributions by feature order', () => {
    // Prepare: a model of two stumps on features 5 and 2 that add the same amount
    const stump = (feature: number) => ({
      feature: [feature, -1, -1],
      threshold: [0.5, 0, 0],
      left: [1, -1, -1],
      right: [2, -1, -1],
      value: [0, 0, 0.25],
    });
    const model = loadModel({ ...trained.file, trees: [stump(5), stump(2)] });
    const tx = makeTx();
    const f = firstSeen(tx);
    const x = modelVector(tx, f);

    // Act
    const s = scoreWithModel(model, tx, f, { top: 3 });

    // Assess: both go right (weekday 5, one transaction in 7 days), each adding 0.25
    expect([x[2], x[5]]).toEqual([5, 1]);
    expect(s.top.map((c) => [c.feature, c.weight])).toEqual([
      ['weekday', 0.25],
      ['acct_count_7d', 0.25],
    ]);
  });

  it('skips contributions when top is 0', () => {
    // Prepare
    const model = loadModel(trained.file);
    const tx = makeTx();

    // Act
    const s = scoreWithModel(model, tx, firstSeen(tx), { top: 0 });

    // Assess
    expect(s.top).toEqual([]);
    expect(Number.isFinite(s.score)).toBe(true);
  });
});

describe('modelVector against the public feature accessors', () => {
  /** The vector as the accessors define it: the reference the direct reads must equal. */
  function reference(tx: Transaction, f: Features): number[] {
    const a = tx.amount;
    const v = (e: 'account' | 'card' | 'terminal', w: WindowName, s: Stat) => featureValue(f, e, w, s, a);
    const ratio = (avg: number) => (avg > 0 ? a / avg : MISSING);
    const rate = (c: { known: number; frauds: number }) => (c.known > 0 ? c.frauds / c.known : MISSING);
    const prev = previousOf(f, 'account');
    const d = new Date(tx.timestamp);
    const avg30 = v('account', '30d', 'prior_avg');
    const from = tx.originCountry ?? tx.country;
    const ch = tx.channel?.toLowerCase();
    return [
      Math.log1p(a / 10_000),
      d.getUTCHours() + d.getUTCMinutes() / 60 + d.getUTCSeconds() / 3600 + d.getUTCMilliseconds() / 3_600_000,
      d.getUTCDay(),
      v('account', '1h', 'count'),
      v('account', '24h', 'count'),
      v('account', '7d', 'count'),
      v('account', '30d', 'count'),
      ratio(v('account', '24h', 'prior_avg')),
      ratio(v('account', '7d', 'prior_avg')),
      ratio(avg30),
      avg30 > 0 ? Math.log1p(avg30 / 10_000) : MISSING,
      v('account', '24h', 'countries'),
      v('account', '30d', 'countries'),
      prev ? Math.log1p(Math.max(0, tx.timestamp - prev.timestamp) / 60_000) : MISSING,
      prev && prev.country !== undefined && tx.country !== undefined ? (prev.country === tx.country ? 0 : 1) : MISSING,
      v('card', '1m', 'count'),
      v('card', '1h', 'count'),
      v('card', '24h', 'count'),
      hasEntity(f, 'card') ? ratio(v('card', '7d', 'prior_avg')) : MISSING,
      hasEntity(f, 'card') ? Math.log1p(v('card', '24h', 'sum') / 10_000) : MISSING,
      v('terminal', '1h', 'count'),
      v('terminal', '24h', 'count'),
      v('terminal', '7d', 'count'),
      hasEntity(f, 'terminal') ? ratio(v('terminal', '7d', 'prior_avg')) : MISSING,
      rate(labelCounts(f, 'terminal', '1d')),
      rate(labelCounts(f, 'terminal', '7d')),
      rate(labelCounts(f, 'terminal', '30d')),
      labelCounts(f, 'terminal', '7d').frauds,
      rate(labelCounts(f, 'merchant', '7d')),
      rate(labelCounts(f, 'merchant', '30d')),
      labelCounts(f, 'card', '30d').frauds,
      labelCounts(f, 'account', '30d').frauds,
      from !== undefined && tx.destinationCountry !== undefined ? (from === tx.destinationCountry ? 0 : 1) : MISSING,
      tx.accountBalance !== undefined ? (tx.accountBalance > 0 ? Math.min(a / tx.accountBalance, 100) : 100) : MISSING,
      a % 10_000 === 0 ? 1 : 0,
      ch === 'pos' ? 1 : 0,
      ch === 'ecom' || ch === 'online' || ch === 'web' ? 1 : 0,
      ch === 'atm' ? 1 : 0,
      ch === 'transfer' ? 1 : 0,
    ];
  }

  it('reads the same values as featureValue, previousOf and labelCounts on a labelled history', () => {
    // Prepare
    const history = labelledHistory();
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    let compared = 0;

    // Act and Assess
    for (const row of history.rows) {
      const tx = labelledTransaction(row);
      const f = store.observe(tx);
      const direct = Array.from(modelVector(tx, f));
      const expected = reference(tx, f);
      expect(direct).toHaveLength(expected.length);
      for (let i = 0; i < expected.length; i++) {
        expect(direct[i], `${MODEL_FEATURES[i]} of ${tx.transactionId}`).toBeCloseTo(expected[i] as number, 9);
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('scoreWithModel without attributions', () => {
  it('gives the score to the bit that scoring with attributions gives, as evaluate and score must agree', () => {
    // Prepare
    const model = loadModel(trained.file);
    const store = new FeatureWindows({ labels: new LabelFeedback({ delayMs: DAY }) });
    const txs = trained.data.txs.slice(0, 2000);

    // Act
    const pairs = txs.map((t) => {
      const f = store.observe(t);
      return [scoreWithModel(model, t, f, { top: 0 }).score, scoreWithModel(model, t, f, { top: 3 }).score];
    });

    // Assess
    expect(pairs.filter(([plain, explained]) => !Object.is(plain, explained))).toEqual([]);
  });
});
