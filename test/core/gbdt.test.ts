import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  contributions,
  type Ensemble,
  explainFlat,
  flatten,
  marginFlat,
  marginsFlat,
  pathMarginsFlat,
  pathMarginsJs,
  predictMargin,
  predictProba,
  rootTotal,
  type TrainingSet,
  trainGbdt,
} from '../../src/core/model/gbdt.js';
import { averagePrecision } from '../../src/core/metrics.js';
import { seededRandom } from '../helpers/random.js';

/**
 * `rows` rows of `features` uniform values; the label is `rule(row)`, flipped with probability
 * `noise`. Weights are all 1.
 */
function dataset(
  rows: number,
  features: number,
  rule: (x: number[]) => boolean,
  options: { seed?: number; noise?: number } = {},
): TrainingSet {
  const rand = seededRandom(options.seed ?? 1);
  const x = new Float64Array(rows * features);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const row: number[] = [];
    for (let f = 0; f < features; f++) row.push(Math.round(rand() * 1000) / 1000);
    x.set(row, r * features);
    const flip = rand() < (options.noise ?? 0);
    y[r] = rule(row) !== flip ? 1 : 0;
  }
  return { x, y, w: new Float64Array(rows).fill(1), rows, features };
}

const firstAboveHalf = (x: number[]): boolean => (x[0] as number) > 0.5;

describe('trainGbdt', () => {
  it('gives identical trees when trained twice on the same data', () => {
    // Prepare
    const data = dataset(2000, 4, (x) => (x[0] as number) + (x[1] as number) > 1, { noise: 0.1 });

    // Act
    const a = trainGbdt(data, { trees: 40 });
    const b = trainGbdt(data, { trees: 40 });

    // Assess
    expect(JSON.stringify(a.model)).toBe(JSON.stringify(b.model));
    expect(a.report).toEqual(b.report);
  });

  it('learns a simple separable rule', () => {
    // Prepare: fraud iff feature 0 > 0.5; features 1 and 2 are noise.
    const data = dataset(1000, 3, firstAboveHalf);

    // Act
    const { model, report } = trainGbdt(data, { trees: 50 });

    // Assess
    let errors = 0;
    for (let r = 0; r < data.rows; r++) {
      const p = predictProba(model, data.x, r * data.features);
      if ((p > 0.5 ? 1 : 0) !== data.y[r]) errors++;
    }
    expect(errors).toBe(0);
    expect(predictProba(model, [0.9, 0.5, 0.5])).toBeGreaterThan(0.9);
    expect(predictProba(model, [0.1, 0.5, 0.5])).toBeLessThan(0.1);
    // The split gain goes to feature 0.
    expect(report.gain[0]).toBeGreaterThan(10 * ((report.gain[1] as number) + (report.gain[2] as number)));
  });

  it('starts from the weighted log-odds of the positives', () => {
    // Prepare: 2 positives of weight 3, 8 negatives of weight 1.
    const y = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const w = Float64Array.from([3, 3, 1, 1, 1, 1, 1, 1, 1, 1]);
    const data: TrainingSet = { x: new Float64Array(10), y, w, rows: 10, features: 1 };

    // Act
    const { model } = trainGbdt(data, { trees: 1 });
    const unweighted = trainGbdt({ ...data, w: new Float64Array(10).fill(1) }, { trees: 1 });

    // Assess: prior = 6 / (6 + 8) = 3/7, base = ln((3/7) / (4/7)) = ln(6/8); unweighted ln(2/8).
    expect(model.base).toBeCloseTo(Math.log(6 / 8), 12);
    expect(unweighted.model.base).toBeCloseTo(Math.log(2 / 8), 12);
  });

  it('stops early and keeps the best iteration', () => {
    // Prepare: a weak signal under heavy noise, so deep trees overfit fast.
    const data = dataset(3000, 5, firstAboveHalf, { seed: 3, noise: 0.4 });

    // Act
    const { model, report } = trainGbdt(data, { trees: 300, learningRate: 0.5, minLeafRows: 5, patience: 5 });

    // Assess
    expect(report.validationLogLoss).not.toBeNull();
    expect(report.treesTrained).toBeLessThan(300);
    expect(report.bestIteration).toBeGreaterThanOrEqual(1);
    expect(report.bestIteration).toBeLessThanOrEqual(report.treesTrained);
    expect(model.trees).toHaveLength(report.bestIteration);
  });

  it('trains every tree it is asked for without a validation tail', () => {
    // Prepare: too few rows for a validation tail of 200.
    const data = dataset(500, 2, firstAboveHalf, { noise: 0.3 });

    // Act
    const { model, report } = trainGbdt(data, { trees: 7 });

    // Assess
    expect(report.validationLogLoss).toBeNull();
    expect(report.treesTrained).toBe(7);
    expect(report.bestIteration).toBe(7);
    expect(model.trees).toHaveLength(7);
  });

  it('finds a rule on the rarest values: split candidates come from the fraud rows too', () => {
    // Prepare: 40,000 rows, fraud exactly when the first feature is above 0.9985 (about 60 rows,
    // far inside the top 1/128 of the values, which holds about 310 rows).
    const rand = seededRandom(11);
    const rows = 40_000;
    const x = new Float64Array(rows * 2);
    const y = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      x[r * 2] = rand();
      x[r * 2 + 1] = rand();
      y[r] = (x[r * 2] as number) > 0.9985 ? 1 : 0;
    }
    const data: TrainingSet = { x, y, w: new Float64Array(rows).fill(1), rows, features: 2 };
    const ap = (model: Ensemble): number => averagePrecision(Array.from({ length: rows }, (_, r) => predictMargin(model, x, r * 2)), y);

    // Act
    const withFraudBins = trainGbdt(data, { trees: 30, validationShare: 0 }).model;
    const allRowsOnly = trainGbdt(data, { trees: 30, validationShare: 0, positiveBins: 0 }).model;

    // Assess: the frauds rank above the legit rows; quantiles of all rows alone cannot cut inside
    // the top bin, where each fraud shares its score with about four legit rows.
    expect(ap(withFraudBins)).toBeGreaterThan(0.9);
    expect(ap(allRowsOnly)).toBeLessThan(0.5);
  });

  it('weighs fraud rows up with positiveWeight: the base moves by its log', () => {
    // Prepare
    const data = dataset(1000, 2, firstAboveHalf, { noise: 0.2 });

    // Act
    const plain = trainGbdt(data, { trees: 1 }).model;
    const weighted = trainGbdt(data, { trees: 1, positiveWeight: 4 }).model;

    // Assess
    expect(weighted.base - plain.base).toBeCloseTo(Math.log(4), 12);
  });

  it('refuses more than 256 bins in all', () => {
    // Assess
    expect(() => trainGbdt(dataset(100, 1, firstAboveHalf), { bins: 200, positiveBins: 100 })).toThrow(/at most 256/);
  });

  it('throws on zero rows', () => {
    // Prepare
    const empty: TrainingSet = { x: new Float64Array(0), y: new Uint8Array(0), w: new Float64Array(0), rows: 0, features: 3 };

    // Act
    const train = (): unknown => trainGbdt(empty);

    // Assess
    expect(train).toThrow(RangeError);
    expect(train).toThrow(/no training rows/);
  });
});

describe('contributions', () => {
  it('add up with rootTotal to the margin', () => {
    // Prepare
    const data = dataset(1500, 4, (x) => (x[0] as number) > 0.3 && (x[2] as number) < 0.6, { noise: 0.05 });
    const { model } = trainGbdt(data, { trees: 30 });

    // Act and Assess, row by row
    for (let r = 0; r < 100; r++) {
      const row = data.x.subarray(r * data.features, (r + 1) * data.features);
      const c = contributions(model, row, data.features);
      const sum = c.reduce((a, b) => a + b, 0);
      expect(Math.abs(sum + rootTotal(model) - predictMargin(model, row))).toBeLessThan(1e-9);
    }
  });
});

describe('flatten', () => {
  it('scores and explains exactly as the tree arrays, whatever the node order in the file', () => {
    // Prepare: a trained ensemble, plus a hand-written tree whose children are far apart
    const data = dataset(1500, 4, (x) => (x[0] as number) > 0.3 && (x[2] as number) < 0.6, { noise: 0.05 });
    const { model } = trainGbdt(data, { trees: 20 });
    const scattered = {
      feature: [1, -1, 0, -1, -1],
      threshold: [0.5, 0, 0.4, 0, 0],
      left: [2, -1, 3, -1, -1],
      right: [1, -1, 4, -1, -1],
      value: [0.01, 0.3, -0.1, -0.2, 0.05],
    };
    const ensemble = { base: model.base, trees: [...model.trees, scattered] };
    const flat = flatten(ensemble);
    const out = new Float64Array(data.features);

    // Act and Assess, row by row (the margin to the bit)
    for (let r = 0; r < 200; r++) {
      const row = data.x.subarray(r * data.features, (r + 1) * data.features);
      expect(marginFlat(flat, row)).toBe(predictMargin(ensemble, row));
      const margin = explainFlat(flat, row, out);
      const reference = contributions(ensemble, row, data.features);
      out.forEach((c, f) => expect(Math.abs(c - (reference[f] as number))).toBeLessThan(1e-12));
      expect(Math.abs(margin - predictMargin(ensemble, row))).toBeLessThan(1e-9);
    }
  });

  it('places the two children of every split side by side', () => {
    // Prepare
    const tree = {
      feature: [0, -1, 1, -1, -1],
      threshold: [0.5, 0, 0.2, 0, 0],
      left: [2, -1, 3, -1, -1],
      right: [1, -1, 4, -1, -1],
      value: [0, 1, 2, 3, 4],
    };

    // Act
    const flat = flatten({ base: 0, trees: [tree] });

    // Assess: breadth first, left child then right child
    expect([...flat.value]).toEqual([0, 2, 1, 3, 4]);
    expect([...flat.left]).toEqual([1, 3, -1, -1, -1]);
    expect([...flat.delta]).toEqual([0, 2, 1, 1, 2]);
  });
});

/**
 * A random ensemble over `features` inputs: trees of random shape (children after their parent,
 * as training writes them; some a lone leaf) with thresholds and values of every sign.
 */
function randomEnsemble(rand: () => number, features: number): Ensemble {
  const trees: Ensemble['trees'] = [];
  const count = 1 + Math.floor(rand() * 40);
  for (let k = 0; k < count; k++) {
    const t = { feature: [] as number[], threshold: [] as number[], left: [] as number[], right: [] as number[], value: [] as number[] };
    const grow = (depth: number): number => {
      const node = t.feature.length;
      t.feature.push(-1);
      t.threshold.push(0);
      t.left.push(-1);
      t.right.push(-1);
      t.value.push((rand() - 0.5) * 2 * 10 ** Math.floor(rand() * 4 - 2));
      if (depth < 7 && rand() < 0.75 - depth * 0.08) {
        t.feature[node] = Math.floor(rand() * features);
        // Thresholds on the grid of the inputs below, so that ties (x === threshold) happen.
        t.threshold[node] = Math.floor(rand() * 8) / 4 - 1;
        t.left[node] = grow(depth + 1);
        t.right[node] = grow(depth + 1);
      }
      return node;
    };
    grow(0);
    trees.push(t);
  }
  return { base: (rand() - 0.5) * 6, trees };
}

/** `rows` rows of `features` inputs, half on the thresholds' grid, half anywhere in [-1.5, 1.5). */
function randomRows(rand: () => number, rows: number, features: number): Float64Array {
  const x = new Float64Array(rows * features);
  for (let i = 0; i < x.length; i++) x[i] = rand() < 0.5 ? Math.floor(rand() * 8) / 4 - 1 : rand() * 3 - 1.5;
  return x;
}

describe('margins of a block of rows, tree at a time', () => {
  it('equal the row-by-row margins to the bit, for random models and rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 80 }), (seed, rows, features) => {
        // Prepare: the matrix holds more rows than are scored, which must stay unread
        const rand = seededRandom(seed);
        const flat = flatten(randomEnsemble(rand, features));
        const x = randomRows(rand, rows + 3, features);
        const margins = new Float64Array(rows + 3).fill(Number.NaN);
        const pathMargins = new Float64Array(rows + 3).fill(Number.NaN);
        const out = new Float64Array(features);

        // Act
        marginsFlat(flat, x, features, rows, margins);
        pathMarginsFlat(flat, x, features, rows, pathMargins);

        // Assess: each kernel reproduces its per-row walk exactly; rows past `rows` untouched
        for (let r = 0; r < rows; r++) {
          const row = x.subarray(r * features, (r + 1) * features);
          expect(Object.is(margins[r], marginFlat(flat, row))).toBe(true);
          expect(Object.is(pathMargins[r], explainFlat(flat, row, out))).toBe(true);
        }
        expect([...margins.subarray(rows)]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
        expect([...pathMargins.subarray(rows)]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
      }),
      { numRuns: 200 },
    );
  });

  it('agree with each other up to rounding: both are base plus the leaves reached', () => {
    // Prepare
    const rand = seededRandom(11);
    const features = 5;
    const ensemble = randomEnsemble(rand, features);
    const flat = flatten(ensemble);
    const rows = 500;
    const x = randomRows(rand, rows, features);
    const margins = new Float64Array(rows);
    const pathMargins = new Float64Array(rows);

    // Act
    marginsFlat(flat, x, features, rows, margins);
    pathMarginsFlat(flat, x, features, rows, pathMargins);

    // Assess: against the nested-array reference
    for (let r = 0; r < rows; r++) {
      const reference = predictMargin(ensemble, x, r * features);
      expect(margins[r]).toBe(reference);
      expect(Math.abs((pathMargins[r] as number) - reference)).toBeLessThan(1e-9);
    }
  });
});

describe('the WebAssembly lockstep walk', () => {
  it('gives every margin the JavaScript walk gives, to the bit, NaN and signed zeros included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 3 }),
        (seed, rows, features, pad) => {
          // Prepare: rows wider than the features read (a stride with padding), some inputs NaN,
          // -0 or infinite, and room after the rows that must stay untouched
          const rand = seededRandom(seed);
          const flat = flatten(randomEnsemble(rand, features));
          const stride = features + pad;
          const x = randomRows(rand, rows + 2, stride);
          const odd = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
          for (let i = 0; i < x.length; i += 1 + Math.floor(rand() * 7)) x[i] = odd[Math.floor(rand() * odd.length)] as number;
          const wasm = new Float64Array(rows + 2).fill(7);
          const js = new Float64Array(rows + 2).fill(7);

          // Act
          pathMarginsFlat(flat, x, stride, rows, wasm);
          pathMarginsJs(flat, x, stride, rows, js);

          // Assess
          for (let r = 0; r < rows + 2; r++) expect(Object.is(wasm[r], js[r])).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows its memory for a block larger than the last, and gives the same margins after', () => {
    // Prepare: a small block first, then one of several megabytes, then the small one again
    const rand = seededRandom(5);
    const features = 60;
    const flat = flatten(randomEnsemble(rand, features));
    const small = randomRows(rand, 16, features);
    const large = randomRows(rand, 20_000, features);
    const before = new Float64Array(16);
    const after = new Float64Array(16);
    const big = new Float64Array(20_000);
    const bigJs = new Float64Array(20_000);

    // Act
    pathMarginsFlat(flat, small, features, 16, before);
    pathMarginsFlat(flat, large, features, 20_000, big);
    pathMarginsFlat(flat, small, features, 16, after);
    pathMarginsJs(flat, large, features, 20_000, bigJs);

    // Assess
    expect([...after]).toEqual([...before]);
    expect(big.every((m, r) => Object.is(m, bigJs[r]))).toBe(true);
  });
});
