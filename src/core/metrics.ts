/**
 * Detection metrics over scores and labels (pure). Higher score = more likely fraud.
 * Ties are handled as scikit-learn does: tied scores move together along the curves.
 */

/** Indices sorted by descending score. */
function byScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => (scores[b] as number) - (scores[a] as number));
}

/**
 * Area under the ROC curve: the probability that a random fraud scores above a random legit
 * transaction (ties count half). NaN when one class is absent.
 * @example rocAuc([0.9, 0.1, 0.8, 0.3], [1, 0, 1, 0]) // 1
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byScoreDesc(scores);
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) pos++;
    else neg++;
  }
  if (pos === 0 || neg === 0) return Number.NaN;
  // Walk down the ranking; each group of tied scores adds a trapezoid.
  let tp = 0;
  let area = 0;
  let i = 0;
  while (i < idx.length) {
    const s = scores[idx[i] as number] as number;
    let dtp = 0;
    let dfp = 0;
    while (i < idx.length && scores[idx[i] as number] === s) {
      if (labels[idx[i] as number] === 1) dtp++;
      else dfp++;
      i++;
    }
    // each legit in the group is outranked by every fraud above it, and ties count half
    area += dfp * (tp + dtp / 2);
    tp += dtp;
  }
  return area / (pos * neg);
}

/**
 * Average precision: Σ (recall_k − recall_{k−1}) × precision_k over the ranking, thresholds at
 * distinct scores (scikit-learn's definition). NaN without frauds.
 * @example averagePrecision([0.9, 0.8, 0.7], [1, 0, 1]) // (1 + 2/3) / 2
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] === 1 ? 1 : 0;
  if (pos === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  let i = 0;
  while (i < idx.length) {
    const s = scores[idx[i] as number] as number;
    let dtp = 0;
    while (i < idx.length && scores[idx[i] as number] === s) {
      if (labels[idx[i] as number] === 1) dtp++;
      seen++;
      i++;
    }
    tp += dtp;
    if (dtp > 0) ap += (dtp / pos) * (tp / seen);
  }
  return ap;
}

/** Precision and recall of "score ≥ threshold". */
export function precisionRecallAt(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { precision: number; recall: number; flagged: number } {
  let tp = 0;
  let flagged = 0;
  let pos = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i] === 1;
    if (y) pos++;
    if ((scores[i] as number) >= threshold) {
      flagged++;
      if (y) tp++;
    }
  }
  return { precision: flagged > 0 ? tp / flagged : Number.NaN, recall: pos > 0 ? tp / pos : Number.NaN, flagged };
}

/** One transaction as card precision@k needs it. */
export interface CardScore {
  /** Day index (e.g. floor(epoch ms / 86,400,000)). */
  day: number;
  card: string;
  score: number;
  label: number;
}

/**
 * Card precision@k: for each day, rank cards by their highest score that day, take the top k,
 * and count the share that had a fraudulent transaction that day; average over days. This is what
 * an investigation team checking k cards a day would find.
 *
 * With `removeDetected`, as the fraud-detection handbook measures it, a fraudulent card found in
 * a day's top k is blocked: it leaves the ranking of the later days (so a card caught once does
 * not count again). The denominator stays k either way.
 */
export function cardPrecisionAtK(rows: Iterable<CardScore>, k = 100, options: { removeDetected?: boolean } = {}): number {
  const days = new Map<number, Map<string, { card: string; score: number; fraud: boolean }>>();
  for (const r of rows) {
    let cards = days.get(r.day);
    if (!cards) {
      cards = new Map();
      days.set(r.day, cards);
    }
    const c = cards.get(r.card);
    if (!c) cards.set(r.card, { card: r.card, score: r.score, fraud: r.label === 1 });
    else {
      if (r.score > c.score) c.score = r.score;
      if (r.label === 1) c.fraud = true;
    }
  }
  if (days.size === 0) return Number.NaN;
  const detected = new Set<string>();
  let sum = 0;
  for (const day of [...days.keys()].sort((a, b) => a - b)) {
    const cards = [...(days.get(day) as Map<string, { card: string; score: number; fraud: boolean }>).values()];
    const top = cards.filter((c) => !detected.has(c.card)).sort((a, b) => b.score - a.score).slice(0, k);
    const found = top.filter((c) => c.fraud);
    if (options.removeDetected) for (const c of found) detected.add(c.card);
    sum += found.length / k;
  }
  return sum / days.size;
}

/** A point of a curve. */
export interface Point {
  x: number;
  y: number;
}

/** ROC curve points (false positive rate, true positive rate) at each distinct score. */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Point[] {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] === 1 ? 1 : 0;
  const neg = labels.length - pos;
  const pts: Point[] = [{ x: 0, y: 0 }];
  let tp = 0;
  let fp = 0;
  let i = 0;
  while (i < idx.length) {
    const s = scores[idx[i] as number] as number;
    while (i < idx.length && scores[idx[i] as number] === s) {
      if (labels[idx[i] as number] === 1) tp++;
      else fp++;
      i++;
    }
    pts.push({ x: neg > 0 ? fp / neg : 0, y: pos > 0 ? tp / pos : 0 });
  }
  return pts;
}

/** Precision–recall curve points (recall, precision) at each distinct score. */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): Point[] {
  const idx = byScoreDesc(scores);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i] === 1 ? 1 : 0;
  const pts: Point[] = [];
  let tp = 0;
  let seen = 0;
  let i = 0;
  while (i < idx.length) {
    const s = scores[idx[i] as number] as number;
    while (i < idx.length && scores[idx[i] as number] === s) {
      if (labels[idx[i] as number] === 1) tp++;
      seen++;
      i++;
    }
    pts.push({ x: pos > 0 ? tp / pos : 0, y: tp / seen });
  }
  return pts;
}
