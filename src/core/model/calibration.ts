import { type Ensemble, sigmoid } from './gbdt.js';

/**
 * Calibration of a model's scores into fraud probabilities, and the measures of how well a score
 * estimates one (Brier score, reliability curve).
 *
 * The map is Platt's: `p = sigmoid(a · margin + b)` with `a > 0`, fitted on the time-respecting
 * validation rows training holds out. Why Platt and not isotonic regression: a fraud validation
 * fold holds tens to a few hundred frauds, and isotonic regression on so few positives is a
 * staircase fitted to noise; its flat steps also tie scores, which reorders the top of the
 * ranking (the cards a team checks first). Platt's two parameters are stable on that little data,
 * strictly increasing (the ranking stays exactly the same) and fold into the trees: multiplying
 * every tree value by `a` and setting the base to `a · base + b` gives a model whose ordinary
 * score already is the calibrated probability × 100, at no cost per scored row.
 */

/** A fitted Platt map on the margin (log-odds) of a model. */
export interface PlattMap {
  /** Slope on the margin; always > 0 (the map keeps the ranking). */
  a: number;
  /** Offset. */
  b: number;
}

/**
 * Fits `p = sigmoid(a · margin + b)` to labelled rows by weighted maximum likelihood (Newton's
 * method), with Platt's smoothed targets (`(N+ + 1)/(N+ + 2)` for fraud, `1/(N− + 2)` for legit)
 * so that a fold the model separates perfectly still gives a finite map.
 *
 * @returns the map, or `undefined` when it would not keep the ranking (a ≤ 0: the model ranks the
 *   validation rows no better than chance) or the rows hold only one class
 * @example
 * const map = fitPlatt(Float64Array.of(-3, -1, 2), Uint8Array.of(0, 0, 1), Float64Array.of(1, 1, 1));
 */
export function fitPlatt(margins: ArrayLike<number>, labels: ArrayLike<number>, weights?: ArrayLike<number>): PlattMap | undefined {
  const n = margins.length;
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? (weights[i] as number) : 1;
    if (labels[i] === 1) nPos += w;
    else nNeg += w;
  }
  if (nPos === 0 || nNeg === 0) return undefined;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  let a = 1;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    // Gradient and Hessian of the weighted log-loss in (a, b).
    let ga = 0;
    let gb = 0;
    let haa = 1e-12;
    let hab = 0;
    let hbb = 1e-12;
    for (let i = 0; i < n; i++) {
      const m = margins[i] as number;
      const w = weights ? (weights[i] as number) : 1;
      const p = sigmoid(a * m + b);
      const d = (p - (labels[i] === 1 ? hi : lo)) * w;
      const s = Math.max(p * (1 - p), 1e-12) * w;
      ga += d * m;
      gb += d;
      haa += s * m * m;
      hab += s * m;
      hbb += s;
    }
    const det = haa * hbb - hab * hab;
    if (!(Math.abs(det) > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) < 1e-10 && Math.abs(db) < 1e-10) break;
  }
  if (!(a > 0) || !Number.isFinite(b)) return undefined;
  return { a, b };
}

/**
 * The ensemble whose margin is `a · margin + b` of the given one: every tree value (leaves and the
 * inner values attributions use) times `a`, the base `a · base + b`. Its probabilities are the
 * calibrated ones; its ranking is the same.
 */
export function calibrateEnsemble(ensemble: Ensemble, map: PlattMap): Ensemble {
  return {
    base: map.a * ensemble.base + map.b,
    trees: ensemble.trees.map((t) => ({ ...t, value: t.value.map((v) => map.a * v) })),
  };
}

/**
 * Brier score: the mean squared difference between the predicted probability and the outcome
 * (0 or 1). For predictions that are the true probabilities it equals, in expectation, the mean
 * Bernoulli variance `p(1 − p)`; lower is better.
 */
export function brierScore(probabilities: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = probabilities.length;
  if (n === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += ((probabilities[i] as number) - (labels[i] as number)) ** 2;
  return s / n;
}

/** One band of a reliability curve. */
export interface ReliabilityBin {
  /** Lower and upper predicted probability of the band ([from, to); the last band includes 1). */
  from: number;
  to: number;
  rows: number;
  /** Mean predicted probability of its rows. */
  predicted: number;
  /** Share of its rows that were fraud. */
  observed: number;
}

/**
 * Band edges of the reliability curve: fine where fraud probabilities mostly are (below 0.1, with
 * a base rate around 1%) and even above.
 */
export const RELIABILITY_EDGES = [0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 1] as const;

/**
 * The reliability curve: predictions grouped into probability bands, with each band's mean
 * prediction beside the fraud rate observed in it. A calibrated model has the two equal. Empty
 * bands are left out.
 */
export function reliabilityCurve(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  edges: readonly number[] = RELIABILITY_EDGES,
): ReliabilityBin[] {
  const bands = edges.length - 1;
  const rows = new Float64Array(bands);
  const sumP = new Float64Array(bands);
  const frauds = new Float64Array(bands);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i] as number;
    let b = 0;
    while (b < bands - 1 && p >= (edges[b + 1] as number)) b++;
    rows[b] = (rows[b] as number) + 1;
    sumP[b] = (sumP[b] as number) + p;
    frauds[b] = (frauds[b] as number) + (labels[i] === 1 ? 1 : 0);
  }
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bands; b++) {
    const n = rows[b] as number;
    if (n === 0) continue;
    out.push({
      from: edges[b] as number,
      to: edges[b + 1] as number,
      rows: n,
      predicted: (sumP[b] as number) / n,
      observed: (frauds[b] as number) / n,
    });
  }
  return out;
}
