import { LockstepKernel, wasmAvailable } from './lockstepWasm.js';
import { averagePrecision } from '../metrics.js';

/**
 * Gradient-boosted decision trees for binary classification (logistic loss), in plain
 * TypeScript: histogram split finding over quantile bins, leaf-wise growth with the histogram
 * subtraction trick, L2-regularised leaf values, sample weights, and early stopping on a held-out
 * tail. Pure and deterministic: the same data and parameters give the same trees.
 */

/** One tree as parallel arrays; a node with `feature[i] === -1` is a leaf. */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  /** Output of the node (leaves) or what it would output as a leaf (inner nodes; for attributions). */
  value: number[];
}

/** A trained ensemble. `predict = sigmoid(base + Σ tree(x))`. */
export interface Ensemble {
  base: number;
  trees: Tree[];
}

/** Training parameters, each with a default. */
export interface GbdtParams {
  /** Trees grown at most: also bounds what scoring a row costs. @default 100 */
  trees: number;
  /** @default 0.05 */
  learningRate: number;
  /** @default 31 */
  maxLeaves: number;
  /** @default 8 */
  maxDepth: number;
  /** Rows (unweighted) a leaf needs. @default 40 */
  minLeafRows: number;
  /** Sum of hessians a leaf needs. @default 1 */
  minLeafHessian: number;
  /** L2 regularisation of leaf values. @default 2 */
  lambda: number;
  /** Quantile bins per feature over all training rows (bins + positiveBins ≤ 256). @default 128 */
  bins: number;
  /** More bins per feature from quantiles of the fraud rows alone, 0 for none. @default 64 */
  positiveBins: number;
  /**
   * Weight of a fraud row relative to a legit one (class weighting). Scores then overstate the
   * fraud probability by about this factor in odds. @default 1
   */
  positiveWeight: number;
  /** Share of the rows, the latest, held out to choose the number of trees. @default 0.15 */
  validationShare: number;
  /** Stop after this many trees without a better validation average precision. @default 80 */
  patience: number;
  /** Trees always grown before early stopping may stop. @default 60 */
  minTrees: number;
}

/** Defaults of {@link GbdtParams}. */
export const GBDT_DEFAULTS: GbdtParams = {
  trees: 100,
  learningRate: 0.05,
  maxLeaves: 31,
  maxDepth: 8,
  minLeafRows: 40,
  minLeafHessian: 1,
  lambda: 2,
  bins: 128,
  positiveBins: 64,
  positiveWeight: 1,
  validationShare: 0.15,
  patience: 80,
  minTrees: 60,
};

/** Training data: `x` row-major (`rows × features`), labels 0/1, weights > 0, rows in time order. */
export interface TrainingSet {
  x: Float64Array;
  y: Uint8Array;
  w: Float64Array;
  rows: number;
  features: number;
}

/** What training reports besides the model. */
export interface TrainingReport {
  treesTrained: number;
  bestIteration: number;
  validationLogLoss: number | null;
  /** Rows at the end of the training set held out for early stopping (0 when none were). */
  validationRows: number;
  /** Total split gain per feature (importance). */
  gain: Float64Array;
}

/** Trains an ensemble. */
export function trainGbdt(data: TrainingSet, options: Partial<GbdtParams> = {}): { model: Ensemble; report: TrainingReport } {
  const p: GbdtParams = { ...GBDT_DEFAULTS, ...options };
  const { rows, features: F } = data;
  if (rows === 0) throw new RangeError('no training rows');
  const nValid = Math.floor(rows * p.validationShare);
  const useValid = nValid >= 200 && hasBothClasses(data.y, rows - nValid, rows);
  const nTrain = useValid ? rows - nValid : rows;
  if (p.bins + p.positiveBins > 256) throw new RangeError(`bins + positiveBins must be at most 256, got ${p.bins} + ${p.positiveBins}`);
  const edges = quantileEdges(data, nTrain, p.bins, p.positiveBins);
  const binned = binColumns(data, edges);
  const B = p.bins + p.positiveBins + 1;

  // Class weighting: fraud rows weigh `positiveWeight` times their sample weight.
  let w = data.w;
  if (p.positiveWeight !== 1) {
    w = Float64Array.from(data.w, (v, r) => (data.y[r] === 1 ? v * p.positiveWeight : v));
  }
  // Base score: weighted log-odds of the training positives.
  let wp = 0;
  let wt = 0;
  for (let r = 0; r < nTrain; r++) {
    wt += w[r] as number;
    if (data.y[r] === 1) wp += w[r] as number;
  }
  const prior = Math.min(Math.max(wp / wt, 1e-6), 1 - 1e-6);
  const base = Math.log(prior / (1 - prior));

  const score = new Float64Array(rows).fill(base);
  const g = new Float64Array(nTrain);
  const h = new Float64Array(nTrain);
  const idx = new Uint32Array(nTrain);
  const gain = new Float64Array(F);
  const trees: Tree[] = [];
  let best = { ap: Number.NEGATIVE_INFINITY, iteration: 0, loss: Number.NaN };
  let since = 0;

  for (let t = 0; t < p.trees; t++) {
    for (let r = 0; r < nTrain; r++) {
      const pr = sigmoid(score[r] as number);
      const wr = w[r] as number;
      g[r] = (pr - (data.y[r] as number)) * wr;
      h[r] = Math.max(pr * (1 - pr), 1e-12) * wr;
      idx[r] = r;
    }
    const tree = growTree(binned, edges, g, h, idx, nTrain, F, B, p, gain);
    trees.push(tree);
    // Training rows: add leaf values; validation rows: evaluate the tree on raw values.
    for (let r = 0; r < rows; r++) score[r] = (score[r] as number) + treeOutput(tree, data.x, r * F);
    // Early stopping on the ranking quality of the held-out (latest) rows: average precision is
    // what fraud teams live by, and validation log-loss stopped far too early on drifting data.
    if (useValid && ((t + 1) % 5 === 0 || t + 1 === p.trees)) {
      const ap = averagePrecision(score.subarray(nTrain, rows), data.y.subarray(nTrain, rows));
      if (ap > best.ap + 1e-6 || t + 1 <= p.minTrees) {
        best = { ap, iteration: t + 1, loss: logLoss(score, data.y, w, nTrain, rows) };
        since = 0;
      } else if ((since += 5) >= p.patience) break;
    }
  }
  const keep = useValid ? best.iteration : trees.length;
  return {
    model: { base, trees: trees.slice(0, keep) },
    report: {
      treesTrained: trees.length,
      bestIteration: keep,
      validationLogLoss: useValid ? best.loss : null,
      validationRows: useValid ? nValid : 0,
      gain,
    },
  };
}

/** Raw margin (log-odds) of one row of `x` starting at `offset`. */
export function predictMargin(model: Ensemble, x: ArrayLike<number>, offset = 0): number {
  let s = model.base;
  for (const t of model.trees) s += treeOutput(t, x, offset);
  return s;
}

/** Probability of fraud (0–1). */
export function predictProba(model: Ensemble, x: ArrayLike<number>, offset = 0): number {
  return sigmoid(predictMargin(model, x, offset));
}

/**
 * Per-feature contributions to the margin (path attribution): along each tree's path, the change
 * of the node value is credited to the feature that split. `Σ contributions + base = margin`.
 */
export function contributions(model: Ensemble, x: ArrayLike<number>, features: number): Float64Array {
  const out = new Float64Array(features);
  for (const t of model.trees) {
    let n = 0;
    while ((t.feature[n] as number) >= 0) {
      const f = t.feature[n] as number;
      const next = (x[f] as number) <= (t.threshold[n] as number) ? (t.left[n] as number) : (t.right[n] as number);
      out[f] = (out[f] as number) + (t.value[next] as number) - (t.value[n] as number);
      n = next;
    }
    // the root value is part of the prediction too: credit it to no feature (kept in `base`)
  }
  return out;
}

/** Root values of all trees: with `base`, what {@link contributions} does not credit to a feature. */
export function rootTotal(model: Ensemble): number {
  let s = model.base;
  for (const t of model.trees) s += t.value[0] as number;
  return s;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function treeOutput(t: Tree, x: ArrayLike<number>, offset: number): number {
  let n = 0;
  while ((t.feature[n] as number) >= 0) {
    n = (x[offset + (t.feature[n] as number)] as number) <= (t.threshold[n] as number) ? (t.left[n] as number) : (t.right[n] as number);
  }
  return t.value[n] as number;
}

function hasBothClasses(y: Uint8Array, from: number, to: number): boolean {
  let pos = 0;
  for (let r = from; r < to; r++) pos += y[r] as number;
  return pos > 0 && pos < to - from;
}

function logLoss(score: Float64Array, y: Uint8Array, w: Float64Array, from: number, to: number): number {
  let s = 0;
  let tw = 0;
  for (let r = from; r < to; r++) {
    const pr = Math.min(Math.max(sigmoid(score[r] as number), 1e-12), 1 - 1e-12);
    const wr = w[r] as number;
    s -= wr * (y[r] === 1 ? Math.log(pr) : Math.log(1 - pr));
    tw += wr;
  }
  return s / tw;
}

/**
 * Per feature, ascending split candidates: quantiles of the training rows (all distinct values if
 * few), merged with quantiles of the fraud rows alone. With a few hundred frauds among tens of
 * thousands of rows, quantiles of all rows put almost no candidate where the frauds are (the top
 * bin of an amount holds every large one): the fraud quantiles put candidates there.
 */
function quantileEdges(data: TrainingSet, nTrain: number, bins: number, positiveBins: number): Float64Array[] {
  const { x, y, features: F } = data;
  const step = Math.max(1, Math.floor(nTrain / 200_000));
  const positives: number[] = [];
  for (let r = 0; r < nTrain; r++) if (y[r] === 1) positives.push(r);
  const edges: Float64Array[] = [];
  for (let f = 0; f < F; f++) {
    const sample: number[] = [];
    for (let r = 0; r < nTrain; r += step) sample.push(x[r * F + f] as number);
    // Sorts `sample` in place.
    const cut = quantileCuts(sample, bins);
    if (positiveBins > 1 && cut.length > 0) {
      const fraud = quantileCuts(positives.map((r) => x[r * F + f] as number), positiveBins);
      // Only inside the range of all rows: a candidate at or above the largest value splits nothing.
      const top = sample[sample.length - 1] as number;
      for (const v of fraud) if (v < top) cut.push(v);
    }
    const sorted = Float64Array.from(cut).sort();
    edges.push(sorted.filter((v, i) => i === 0 || v !== sorted[i - 1]));
  }
  return edges;
}

/** Ascending cut points between `bins` quantiles of `values` (all distinct values but the largest when few). */
function quantileCuts(values: number[], bins: number): number[] {
  const sample = values.sort((a, b) => a - b);
  const distinct: number[] = [];
  for (const v of sample) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  if (distinct.length <= bins) return distinct.slice(0, -1);
  const cut: number[] = [];
  for (let q = 1; q < bins; q++) {
    const v = sample[Math.floor((q * sample.length) / bins)] as number;
    if (cut.length === 0 || v > (cut[cut.length - 1] as number)) cut.push(v);
  }
  if (cut.length > 0 && cut[cut.length - 1] === sample[sample.length - 1]) cut.pop();
  return cut;
}

/** Column-major bin indices: bin = number of edges below the value (x <= edges[b] ⇔ bin <= b). */
function binColumns(data: TrainingSet, edges: Float64Array[]): Uint8Array[] {
  const { x, rows, features: F } = data;
  const cols: Uint8Array[] = [];
  for (let f = 0; f < F; f++) {
    const e = edges[f] as Float64Array;
    const col = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      const v = x[r * F + f] as number;
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((e[mid] as number) < v) lo = mid + 1;
        else hi = mid;
      }
      col[r] = lo;
    }
    cols.push(col);
  }
  return cols;
}

interface Leaf {
  node: number;
  start: number;
  end: number;
  depth: number;
  hist: Float64Array;
  G: number;
  H: number;
  split: { gain: number; feature: number; bin: number } | undefined;
}

function growTree(
  bins: Uint8Array[],
  edges: Float64Array[],
  g: Float64Array,
  h: Float64Array,
  idx: Uint32Array,
  n: number,
  F: number,
  B: number,
  p: GbdtParams,
  gainOut: Float64Array,
): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const newNode = (G: number, H: number): number => {
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push((-G / (H + p.lambda)) * p.learningRate);
    return tree.feature.length - 1;
  };
  const rootHist = buildHist(bins, g, h, idx, 0, n, F, B);
  let G = 0;
  let H = 0;
  for (let r = 0; r < n; r++) {
    G += g[r] as number;
    H += h[r] as number;
  }
  const root: Leaf = { node: newNode(G, H), start: 0, end: n, depth: 0, hist: rootHist, G, H, split: undefined };
  root.split = bestSplit(root, F, B, edges, p);
  const leaves: Leaf[] = [root];
  while (leaves.length < p.maxLeaves) {
    let bi = -1;
    for (let i = 0; i < leaves.length; i++) {
      const s = (leaves[i] as Leaf).split;
      if (s && (bi === -1 || s.gain > ((leaves[bi] as Leaf).split?.gain ?? 0))) bi = i;
    }
    if (bi === -1) break;
    const leaf = leaves[bi] as Leaf;
    const s = leaf.split as NonNullable<Leaf['split']>;
    gainOut[s.feature] = (gainOut[s.feature] as number) + s.gain;
    // Partition rows of the leaf: left (bin <= s.bin) first.
    const col = bins[s.feature] as Uint8Array;
    let i = leaf.start;
    let j = leaf.end - 1;
    while (i <= j) {
      if ((col[idx[i] as number] as number) <= s.bin) i++;
      else {
        const tmp = idx[i] as number;
        idx[i] = idx[j] as number;
        idx[j] = tmp;
        j--;
      }
    }
    const mid = i;
    let GL = 0;
    let HL = 0;
    for (let k = leaf.start; k < mid; k++) {
      GL += g[idx[k] as number] as number;
      HL += h[idx[k] as number] as number;
    }
    const GR = leaf.G - GL;
    const HR = leaf.H - HL;
    const leftSmaller = mid - leaf.start <= leaf.end - mid;
    const small = leftSmaller
      ? buildHist(bins, g, h, idx, leaf.start, mid, F, B)
      : buildHist(bins, g, h, idx, mid, leaf.end, F, B);
    const large = leaf.hist;
    for (let k = 0; k < large.length; k++) large[k] = (large[k] as number) - (small[k] as number);
    const leftNode = newNode(GL, HL);
    const rightNode = newNode(GR, HR);
    tree.feature[leaf.node] = s.feature;
    tree.threshold[leaf.node] = (edges[s.feature] as Float64Array)[s.bin] as number;
    tree.left[leaf.node] = leftNode;
    tree.right[leaf.node] = rightNode;
    const left: Leaf = {
      node: leftNode,
      start: leaf.start,
      end: mid,
      depth: leaf.depth + 1,
      hist: leftSmaller ? small : large,
      G: GL,
      H: HL,
      split: undefined,
    };
    const right: Leaf = {
      node: rightNode,
      start: mid,
      end: leaf.end,
      depth: leaf.depth + 1,
      hist: leftSmaller ? large : small,
      G: GR,
      H: HR,
      split: undefined,
    };
    left.split = bestSplit(left, F, B, edges, p);
    right.split = bestSplit(right, F, B, edges, p);
    leaves.splice(bi, 1, left, right);
  }
  return tree;
}

/** Histogram of [grad, hess, count] per feature and bin over idx[start, end). */
function buildHist(
  bins: Uint8Array[],
  g: Float64Array,
  h: Float64Array,
  idx: Uint32Array,
  start: number,
  end: number,
  F: number,
  B: number,
): Float64Array {
  const hist = new Float64Array(F * B * 3);
  for (let f = 0; f < F; f++) {
    const col = bins[f] as Uint8Array;
    const off = f * B * 3;
    for (let k = start; k < end; k++) {
      const r = idx[k] as number;
      const o = off + (col[r] as number) * 3;
      hist[o] = (hist[o] as number) + (g[r] as number);
      hist[o + 1] = (hist[o + 1] as number) + (h[r] as number);
      hist[o + 2] = (hist[o + 2] as number) + 1;
    }
  }
  return hist;
}

function bestSplit(leaf: Leaf, F: number, B: number, edges: Float64Array[], p: GbdtParams): Leaf['split'] {
  if (leaf.depth >= p.maxDepth || leaf.end - leaf.start < 2 * p.minLeafRows) return undefined;
  const parent = (leaf.G * leaf.G) / (leaf.H + p.lambda);
  let best: Leaf['split'];
  for (let f = 0; f < F; f++) {
    const nEdges = (edges[f] as Float64Array).length;
    if (nEdges === 0) continue;
    const off = f * B * 3;
    let GL = 0;
    let HL = 0;
    let NL = 0;
    for (let b = 0; b < nEdges; b++) {
      GL += leaf.hist[off + b * 3] as number;
      HL += leaf.hist[off + b * 3 + 1] as number;
      NL += leaf.hist[off + b * 3 + 2] as number;
      const NR = leaf.end - leaf.start - NL;
      if (NL < p.minLeafRows || HL < p.minLeafHessian) continue;
      if (NR < p.minLeafRows) break;
      const HR = leaf.H - HL;
      if (HR < p.minLeafHessian) break;
      const GR = leaf.G - GL;
      const gain = (GL * GL) / (HL + p.lambda) + (GR * GR) / (HR + p.lambda) - parent;
      if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: f, bin: b };
    }
  }
  return best;
}

/**
 * An ensemble flattened into typed arrays (all trees' nodes back to back), built once when a
 * model is loaded: scoring then walks contiguous memory instead of nested JS arrays. Nodes are
 * laid out so that the two children of a split are neighbours (`right = left + 1`), and each
 * node carries its change from its parent (`delta`): the attribution walk is then one
 * root-to-leaf pass of additions, with no second lookup of the parent's value.
 */
export interface FlatEnsemble {
  base: number;
  /** Node index of each tree's root. */
  roots: Int32Array;
  /** Feature a node splits on; -1 for a leaf. */
  feature: Int32Array;
  threshold: Float64Array;
  /** Left child of a split (`x[feature] <= threshold`); the right child is the next node. */
  left: Int32Array;
  /** Output of the node (leaves) or what it would output as a leaf (splits). */
  value: Float64Array;
  /** `value[node] − value[parent]` (0 for a root): what the split into this node credits to the parent's feature. */
  delta: Float64Array;
  /** base + Σ root values: the part of every margin no feature is credited with. */
  rootTotal: number;
  /** The same trees for {@link pathMarginsFlat}'s lockstep walk. */
  lockstep: LockstepTrees;
}

/**
 * The nodes of a {@link FlatEnsemble} laid out so that every walk from a root takes exactly its
 * tree's `depth` steps: two sink nodes follow the trees, every leaf leads into them and they lead
 * into themselves, and their `delta` is −0, which leaves every sum unchanged (−0 is the identity
 * of IEEE addition; +0 would turn a −0 into +0). Walks of equal length need no test for a leaf, so
 * several rows can go down a tree side by side.
 */
export interface LockstepTrees {
  /** Per tree: the number of splits on its longest root-to-leaf path. */
  depth: Int32Array;
  /**
   * Per node, its left child and the feature it splits on in one number, `left << shift | feature`
   * (one load per step instead of two), as in the ensemble, with leaves and sinks splitting on
   * feature 0 (either way leads to a sink).
   */
  step: Int32Array;
  /** Bits of `step` that hold the feature: `feature = step & (2^shift − 1)`, `left = step >> shift`. */
  shift: number;
  threshold: Float64Array;
  delta: Float64Array;
}

/** Flattens an ensemble for scoring (children of every split placed side by side, breadth first). */
export function flatten(model: Ensemble): FlatEnsemble {
  const layouts = model.trees.map(breadthFirst);
  const total = layouts.reduce((n, l) => n + l.order.length, 0);
  const flat: FlatEnsemble = {
    base: model.base,
    roots: new Int32Array(model.trees.length),
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total),
    value: new Float64Array(total),
    delta: new Float64Array(total),
    rootTotal: rootTotal(model),
    lockstep: { depth: new Int32Array(0), step: new Int32Array(0), shift: 0, threshold: new Float64Array(0), delta: new Float64Array(0) },
  };
  let at = 0;
  model.trees.forEach((t, k) => {
    const { order, parent, left } = layouts[k] as ReturnType<typeof breadthFirst>;
    flat.roots[k] = at;
    for (let i = 0; i < order.length; i++) {
      const node = order[i] as number;
      const up = parent[i] as number;
      flat.feature[at + i] = t.feature[node] as number;
      flat.threshold[at + i] = t.threshold[node] as number;
      flat.left[at + i] = (left[i] as number) < 0 ? -1 : at + (left[i] as number);
      flat.value[at + i] = t.value[node] as number;
      flat.delta[at + i] = up < 0 ? 0 : (t.value[node] as number) - (t.value[up] as number);
    }
    at += order.length;
  });
  flat.lockstep = lockstepTrees(flat);
  return flat;
}

/** The lockstep layout of a flattened ensemble (see {@link LockstepTrees}). */
function lockstepTrees(flat: FlatEnsemble): LockstepTrees {
  const nodes = flat.feature.length;
  const sink = nodes;
  let shift = 1;
  for (let n = 0; n < nodes; n++) while ((flat.feature[n] as number) >= 1 << shift) shift++;
  // Two sinks after the nodes; a left child shifted past the features must stay an Int32.
  if ((nodes + 2) * 2 ** shift > 2 ** 31) throw new RangeError(`${nodes} nodes on ${2 ** shift} features do not fit the lockstep layout`);
  const feature = new Int32Array(nodes + 2);
  const threshold = new Float64Array(nodes + 2);
  const left = new Int32Array(nodes + 2);
  const delta = new Float64Array(nodes + 2);
  const depth = new Int32Array(flat.roots.length);
  for (let n = 0; n < nodes; n++) {
    const leaf = (flat.feature[n] as number) < 0;
    feature[n] = leaf ? 0 : (flat.feature[n] as number);
    threshold[n] = flat.threshold[n] as number;
    left[n] = leaf ? sink : (flat.left[n] as number);
    delta[n] = flat.delta[n] as number;
  }
  left[sink] = sink;
  left[sink + 1] = sink;
  delta[sink] = -0;
  delta[sink + 1] = -0;
  // Depth of every node from its tree's root: children come after their parent in the layout.
  const level = new Int32Array(nodes);
  for (let k = 0; k < flat.roots.length; k++) level[flat.roots[k] as number] = 0;
  let tree = -1;
  for (let n = 0; n < nodes; n++) {
    while (tree + 1 < flat.roots.length && (flat.roots[tree + 1] as number) <= n) tree++;
    const l = flat.left[n] as number;
    if ((flat.feature[n] as number) >= 0) {
      level[l] = (level[n] as number) + 1;
      level[l + 1] = (level[n] as number) + 1;
    } else if ((level[n] as number) > (depth[tree] as number)) {
      depth[tree] = level[n] as number;
    }
  }
  const step = new Int32Array(nodes + 2);
  for (let n = 0; n < nodes + 2; n++) step[n] = ((left[n] as number) << shift) | (feature[n] as number);
  return { depth, step, shift, threshold, delta };
}

/**
 * A tree's nodes in breadth-first order, which puts the two children of every split side by
 * side: `order[i]` is the tree node at position i, `parent[i]` its parent node (-1 for the
 * root) and `left[i]` the position of its left child (-1 for a leaf).
 */
function breadthFirst(t: Tree): { order: number[]; parent: number[]; left: number[] } {
  const order = [0];
  const parent = [-1];
  const left: number[] = [];
  for (let i = 0; i < order.length; i++) {
    const node = order[i] as number;
    if ((t.feature[node] as number) < 0) {
      left.push(-1);
      continue;
    }
    left.push(order.length);
    order.push(t.left[node] as number, t.right[node] as number);
    parent.push(node, node);
  }
  return { order, parent, left };
}

/**
 * Margin and per-feature contributions in one walk of a flattened ensemble: writes the
 * contributions into `out` (zeroed first) and returns the margin.
 */
export function explainFlat(flat: FlatEnsemble, x: Float64Array, out: Float64Array): number {
  out.fill(0);
  const { feature, threshold, left, delta, roots } = flat;
  let margin = flat.rootTotal;
  for (let k = 0; k < roots.length; k++) {
    let n = roots[k] as number;
    let f = feature[n] as number;
    while (f >= 0) {
      n = (left[n] as number) + ((x[f] as number) <= (threshold[n] as number) ? 0 : 1);
      const d = delta[n] as number;
      out[f] = (out[f] as number) + d;
      margin += d;
      f = feature[n] as number;
    }
  }
  return margin;
}

/** Margin of one row over a flattened ensemble (no attributions: the cheap walk). */
export function marginFlat(flat: FlatEnsemble, x: Float64Array): number {
  const { feature, threshold, left, value, roots } = flat;
  let margin = flat.base;
  for (let k = 0; k < roots.length; k++) {
    let n = roots[k] as number;
    let f = feature[n] as number;
    while (f >= 0) {
      n = (left[n] as number) + ((x[f] as number) <= (threshold[n] as number) ? 0 : 1);
      f = feature[n] as number;
    }
    margin += value[n] as number;
  }
  return margin;
}

/**
 * Margins of many rows, tree at a time: `x` holds `rows` rows of `stride` values back to back
 * (row-major), and `out[r]` receives the margin of row r. Each tree's nodes are walked for every
 * row before the next tree, so one tree's nodes stay in cache across the rows, and a row's walks
 * do not wait on one another. Each row sums `base` and its trees' leaf values in tree order:
 * the result equals {@link marginFlat} of that row to the bit.
 *
 * @example
 * const margins = new Float64Array(rows);
 * marginsFlat(model.flat, matrix, FEATURE_COUNT, rows, margins);
 */
export function marginsFlat(flat: FlatEnsemble, x: Float64Array, stride: number, rows: number, out: Float64Array): void {
  const { feature, threshold, left, value, roots } = flat;
  out.fill(flat.base, 0, rows);
  for (let k = 0; k < roots.length; k++) {
    const root = roots[k] as number;
    const rootFeature = feature[root] as number;
    for (let r = 0, o = 0; r < rows; r++, o += stride) {
      let n = root;
      let f = rootFeature;
      while (f >= 0) {
        n = (left[n] as number) + ((x[o + f] as number) <= (threshold[n] as number) ? 0 : 1);
        f = feature[n] as number;
      }
      out[r] = (out[r] as number) + (value[n] as number);
    }
  }
}

/**
 * Margins of many rows as {@link explainFlat} computes them, tree at a time (layout of `x` as in
 * {@link marginsFlat}): `rootTotal` plus each split's `delta` along every tree's path, added in
 * the same order. The result equals the margin {@link explainFlat} returns for that row to the
 * bit, so a row scored here and explained later gets the same score. (Mathematically it is the
 * {@link marginFlat} margin too; in floating point the two sums may differ in the last bits.)
 *
 * @example
 * pathMarginsFlat(model.flat, matrix, FEATURE_COUNT, rows, margins);
 * explainFlat(model.flat, matrix.subarray(0, FEATURE_COUNT), contributions) === margins[0]; // true
 */
export function pathMarginsFlat(flat: FlatEnsemble, x: Float64Array, stride: number, rows: number, out: Float64Array): void {
  const kernel = rows >= WASM_MIN_ROWS ? kernelOf(flat) : undefined;
  if (kernel) kernel.margins(flat.rootTotal, x, stride, rows, out);
  else pathMarginsJs(flat, x, stride, rows, out);
}

/** Blocks smaller than this take the JavaScript walk: copying them in and out would cost more. */
const WASM_MIN_ROWS = 8;

/** The WebAssembly walk of each ensemble's trees, made on first use (per thread). */
const kernels = new WeakMap<LockstepTrees, LockstepKernel>();

function kernelOf(flat: FlatEnsemble): LockstepKernel | undefined {
  if (!wasmAvailable()) return undefined;
  let k = kernels.get(flat.lockstep);
  if (!k) {
    k = new LockstepKernel(flat.lockstep, flat.roots);
    kernels.set(flat.lockstep, k);
  }
  return k;
}

/**
 * {@link pathMarginsFlat} in JavaScript: the walk the WebAssembly kernel repeats step for step
 * (the reference its tests compare with, and the path of blocks of a few rows).
 */
export function pathMarginsJs(flat: FlatEnsemble, x: Float64Array, stride: number, rows: number, out: Float64Array): void {
  // Eight rows go down each tree side by side, a fixed number of steps (see LockstepTrees): their
  // loads overlap instead of waiting on each other, and no branch depends on the data. A step
  // past a leaf adds −0, so each sum is the one explainFlat makes.
  const { depth, step, shift, threshold, delta } = flat.lockstep;
  const mask = (1 << shift) - 1;
  const roots = flat.roots;
  out.fill(flat.rootTotal, 0, rows);
  const lanes = rows - (rows % 8);
  for (let k = 0; k < roots.length; k++) {
    const root = roots[k] as number;
    const steps = depth[k] as number;
    for (let r = 0; r < lanes; r += 8) {
      const o0 = r * stride;
      const o1 = o0 + stride;
      const o2 = o1 + stride;
      const o3 = o2 + stride;
      const o4 = o3 + stride;
      const o5 = o4 + stride;
      const o6 = o5 + stride;
      const o7 = o6 + stride;
      let m0 = out[r] as number;
      let m1 = out[r + 1] as number;
      let m2 = out[r + 2] as number;
      let m3 = out[r + 3] as number;
      let m4 = out[r + 4] as number;
      let m5 = out[r + 5] as number;
      let m6 = out[r + 6] as number;
      let m7 = out[r + 7] as number;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let n4 = root;
      let n5 = root;
      let n6 = root;
      let n7 = root;
      for (let s = 0; s < steps; s++) {
        const p0 = step[n0] as number;
        const p1 = step[n1] as number;
        const p2 = step[n2] as number;
        const p3 = step[n3] as number;
        const p4 = step[n4] as number;
        const p5 = step[n5] as number;
        const p6 = step[n6] as number;
        const p7 = step[n7] as number;
        // `1 − (x <= threshold)` as a number, not a branch: right (1) also for a NaN input.
        n0 = (p0 >> shift) + 1 - +((x[o0 + (p0 & mask)] as number) <= (threshold[n0] as number));
        n1 = (p1 >> shift) + 1 - +((x[o1 + (p1 & mask)] as number) <= (threshold[n1] as number));
        n2 = (p2 >> shift) + 1 - +((x[o2 + (p2 & mask)] as number) <= (threshold[n2] as number));
        n3 = (p3 >> shift) + 1 - +((x[o3 + (p3 & mask)] as number) <= (threshold[n3] as number));
        n4 = (p4 >> shift) + 1 - +((x[o4 + (p4 & mask)] as number) <= (threshold[n4] as number));
        n5 = (p5 >> shift) + 1 - +((x[o5 + (p5 & mask)] as number) <= (threshold[n5] as number));
        n6 = (p6 >> shift) + 1 - +((x[o6 + (p6 & mask)] as number) <= (threshold[n6] as number));
        n7 = (p7 >> shift) + 1 - +((x[o7 + (p7 & mask)] as number) <= (threshold[n7] as number));
        m0 += delta[n0] as number;
        m1 += delta[n1] as number;
        m2 += delta[n2] as number;
        m3 += delta[n3] as number;
        m4 += delta[n4] as number;
        m5 += delta[n5] as number;
        m6 += delta[n6] as number;
        m7 += delta[n7] as number;
      }
      out[r] = m0;
      out[r + 1] = m1;
      out[r + 2] = m2;
      out[r + 3] = m3;
      out[r + 4] = m4;
      out[r + 5] = m5;
      out[r + 6] = m6;
      out[r + 7] = m7;
    }
    for (let r = lanes, o = lanes * stride; r < rows; r++, o += stride) {
      let m = out[r] as number;
      let n = root;
      for (let s = 0; s < steps; s++) {
        const p = step[n] as number;
        n = (p >> shift) + 1 - +((x[o + (p & mask)] as number) <= (threshold[n] as number));
        m += delta[n] as number;
      }
      out[r] = m;
    }
  }
}

/**
 * Rows whose margins {@link blockMargins} computes together: a block's vectors (rows × stride
 * doubles) and one tree's nodes stay in the CPU cache together.
 */
export const MARGIN_BLOCK_ROWS = 512;

/**
 * The margins of the first `rows` vectors of `matrix` (`stride` numbers each) into `out`,
 * {@link MARGIN_BLOCK_ROWS} rows at a time: each the margin {@link pathMarginsFlat} gives its
 * row, to the bit.
 */
export function blockMargins(flat: FlatEnsemble, matrix: Float64Array, stride: number, rows: number, out: Float64Array): void {
  for (let from = 0; from < rows; from += MARGIN_BLOCK_ROWS) {
    const n = Math.min(MARGIN_BLOCK_ROWS, rows - from);
    pathMarginsFlat(flat, matrix.subarray(from * stride), stride, n, out.subarray(from, from + n));
  }
}
