import { describe, expect, it } from 'vitest';
import { brierScore, calibrateEnsemble, fitPlatt, reliabilityCurve } from '../../src/core/model/calibration.js';
import { type Ensemble, predictMargin, sigmoid, trainGbdt } from '../../src/core/model/gbdt.js';
import { loadModel, modelFile, scoreWithModel, type TrainingInfo } from '../../src/core/model/model.js';
import { FEATURE_COUNT, modelVector } from '../../src/core/model/vector.js';
import { seededRandom } from '../helpers/random.js';
import { labelledHistory, labelledTransaction } from '../helpers/labelledHistory.js';
import { FeatureWindows } from '../../src/core/features.js';

const TRAINING: TrainingInfo = {
  rows: 0,
  positives: 0,
  negatives_kept: 0,
  negative_weight: 1,
  from: null,
  to: null,
  label_delay_ms: 86_400_000,
  trees_trained: 0,
  best_iteration: 0,
  validation_logloss: null,
  seconds: 0,
};

/** Rows whose label is drawn with probability sigmoid(a·m + b): the map that calibrates m is (a, b). */
function drawn(n: number, a: number, b: number, seed: number): { m: Float64Array; y: Uint8Array; p: Float64Array } {
  const rand = seededRandom(seed);
  const m = new Float64Array(n);
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    m[i] = -6 + 8 * rand();
    p[i] = sigmoid(a * (m[i] as number) + b);
    y[i] = rand() < (p[i] as number) ? 1 : 0;
  }
  return { m, y, p };
}

/** A small trained ensemble over random rows (for what calibration does to real trees). */
function smallEnsemble(): { model: Ensemble; x: Float64Array; rows: number } {
  const rand = seededRandom(3);
  const rows = 600;
  const x = new Float64Array(rows * FEATURE_COUNT);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let f = 0; f < FEATURE_COUNT; f++) x[r * FEATURE_COUNT + f] = rand();
    y[r] = rand() < 0.1 + 0.6 * (x[r * FEATURE_COUNT] as number) ** 4 ? 1 : 0;
  }
  const { model } = trainGbdt({ x, y, w: new Float64Array(rows).fill(1), rows, features: FEATURE_COUNT }, { trees: 20, minLeafRows: 10 });
  return { model, x, rows };
}

describe('fitPlatt', () => {
  it('recovers the map that generated the labels', () => {
    // Prepare
    const { m, y } = drawn(40_000, 0.6, -1.5, 11);

    // Act
    const map = fitPlatt(m, y);

    // Assess
    expect(map).toBeDefined();
    expect(map?.a).toBeCloseTo(0.6, 1);
    expect(map?.b).toBeCloseTo(-1.5, 1);
  });

  it('gives no map when the scores rank fraud below legit, or with one class only', () => {
    // Prepare: fraud more likely the lower the margin
    const { m, y } = drawn(5_000, -1, 0, 5);

    // Act, Assess
    expect(fitPlatt(m, y)).toBeUndefined();
    expect(fitPlatt(m, new Uint8Array(m.length))).toBeUndefined();
  });

  it('counts weights as repeated rows', () => {
    // Prepare: every legit row twice, or once with weight 2
    const { m, y } = drawn(4_000, 1, -2, 8);
    const legit = [...m].filter((_, i) => y[i] === 0);
    const twiceM = Float64Array.from([...m, ...legit]);
    const twiceY = Uint8Array.from([...y, ...legit.map(() => 0)]);
    const w = Float64Array.from(y, (v) => (v === 1 ? 1 : 2));

    // Act
    const repeated = fitPlatt(twiceM, twiceY);
    const weighted = fitPlatt(m, y, w);

    // Assess
    expect(weighted?.a).toBeCloseTo(repeated?.a as number, 6);
    expect(weighted?.b).toBeCloseTo(repeated?.b as number, 6);
  });
});

describe('calibrateEnsemble', () => {
  it('is a monotone map: margins become a·margin + b and the ranking stays the same', () => {
    // Prepare
    const { model, x, rows } = smallEnsemble();
    const map = { a: 0.7, b: -0.9 };

    // Act
    const calibrated = calibrateEnsemble(model, map);

    // Assess
    const raw: number[] = [];
    const cal: number[] = [];
    for (let r = 0; r < rows; r++) {
      raw.push(predictMargin(model, x, r * FEATURE_COUNT));
      cal.push(predictMargin(calibrated, x, r * FEATURE_COUNT));
      expect(cal[r]).toBeCloseTo(map.a * (raw[r] as number) + map.b, 9);
    }
    expect(new Set(raw).size).toBeGreaterThan(10);
    const order = (v: number[]): number[] => v.map((_, i) => i).sort((i, j) => (v[i] as number) - (v[j] as number) || i - j);
    expect(order(cal)).toEqual(order(raw));
    // The input is not changed.
    expect(calibrated.trees[0]?.value).not.toEqual(model.trees[0]?.value);
    expect(predictMargin(model, x, 0)).toBe(raw[0]);
  });
});

describe('brierScore', () => {
  it('of a perfectly calibrated set is about its variance, and worse for a miscalibrated one', () => {
    // Prepare: labels drawn with the predicted probability
    const { y, p } = drawn(100_000, 0.8, -1, 21);
    const variance = p.reduce((s, v) => s + v * (1 - v), 0) / p.length;
    const overconfident = p.map((v) => Math.min(1, v * 1.8));

    // Act
    const brier = brierScore(p, y);

    // Assess
    expect(Math.abs(brier - variance)).toBeLessThan(0.01 * variance + 0.002);
    expect(brierScore(overconfident, y)).toBeGreaterThan(brier);
    expect(brierScore(Float64Array.of(1, 0), Uint8Array.of(1, 0))).toBe(0);
    expect(brierScore(Float64Array.of(0, 1), Uint8Array.of(1, 0))).toBe(1);
  });
});

describe('reliabilityCurve', () => {
  it('puts observed beside predicted per band, and they agree on a calibrated set', () => {
    // Prepare
    const { y, p } = drawn(200_000, 0.8, -1, 4);

    // Act
    const curve = reliabilityCurve(p, y);

    // Assess
    expect(curve.reduce((n, b) => n + b.rows, 0)).toBe(p.length);
    for (const b of curve) {
      expect(b.predicted).toBeGreaterThanOrEqual(b.from);
      expect(b.predicted).toBeLessThanOrEqual(b.to);
      if (b.rows > 2_000) expect(Math.abs(b.observed - b.predicted)).toBeLessThan(0.05);
    }
  });
});

describe('a model file without calibration', () => {
  it('scores with the margin its trees give, as before calibration existed', () => {
    // Prepare: the same trees, once with a calibration record, once as an older file without it
    const { model } = smallEnsemble();
    const old = JSON.parse(JSON.stringify(modelFile(model, TRAINING, new Float64Array(FEATURE_COUNT), new Date(0)))) as object;
    expect('calibration' in old).toBe(false);
    const loaded = loadModel(old);
    const withInfo = loadModel({
      ...old,
      calibration: { method: 'platt', a: 2, b: 1, rows: 1, frauds: 1, from: '', to: '', brier_before: 0, brier_after: 0 },
    });
    const history = labelledHistory({ days: 5 });
    const windows = new FeatureWindows();

    // Act, Assess: the score is the sigmoid of the ensemble's margin, and the record alone changes nothing
    for (const row of history.rows.slice(0, 200)) {
      const tx = labelledTransaction(row);
      const f = windows.observe(tx);
      const a = scoreWithModel(loaded, tx, f, { top: 0 });
      const b = scoreWithModel(withInfo, tx, f, { top: 0 });
      expect(b.score).toBe(a.score);
      expect(a.score).toBeCloseTo(100 * sigmoid(predictMargin(model, modelVector(tx, f))), 9);
    }
  });
});
