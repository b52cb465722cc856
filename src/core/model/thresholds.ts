/**
 * Review and block thresholds chosen from what a team can afford: a number of reviews a day,
 * and the cost of blocking a legit payment against the cost of letting a fraud through. Chosen
 * on one period (validation) and measured on another (test), so the figures are what the
 * thresholds would really have done.
 */

/** One scored, labelled transaction. */
export interface ScoredRow {
  score: number;
  label: number;
  /** Transaction amount (money caught or lost). */
  amount: number;
}

/** What a team can afford; each part is optional. */
export interface ThresholdBudget {
  /** Reviews a day the team can do. */
  reviewCapacityPerDay?: number;
  /** Cost of blocking a legit transaction. */
  costFp?: number;
  /** Cost of a fraud that is neither blocked nor reviewed. */
  costFn?: number;
}

/** Review and block thresholds on the 0–100 score. */
export interface Thresholds {
  review: number;
  block: number;
}

/** What a pair of thresholds does on a set of rows. */
export interface ThresholdOutcome {
  blocked: number;
  blockedFraud: number;
  reviewed: number;
  reviewedFraud: number;
  /** Frauds blocked or reviewed, and their amounts. */
  caughtFraud: number;
  caughtMoney: number;
  /** Frauds neither blocked nor reviewed, and their amounts. */
  missedFraud: number;
  missedMoney: number;
  /** Legit transactions blocked or reviewed. */
  falsePositives: number;
  reviewsPerDay: number;
  /** `costFp × legit blocked + costFn × frauds missed`, when both costs are known. */
  cost: number | undefined;
}

/**
 * Recommends thresholds on validation rows. Block: the threshold that minimises
 * `costFp × legit blocked + costFn × frauds not blocked` (when both costs are given; otherwise
 * `current.block`). Review: the lowest threshold at which the rows scoring between it and the
 * block threshold fit the review capacity over the validation days (when a capacity is given;
 * otherwise `current.review`, kept at or below the block threshold).
 *
 * @example
 * recommendThresholds(rows, 7, { reviewCapacityPerDay: 50, costFp: 5, costFn: 200 }, { review: 50, block: 80 });
 */
export function recommendThresholds(
  rows: readonly ScoredRow[],
  days: number,
  budget: ThresholdBudget,
  current: Thresholds,
): Thresholds {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let block = current.block;
  if (budget.costFp !== undefined && budget.costFn !== undefined) {
    // Walk the scores from the top: blocking everything at or above score s.
    const totalFraud = sorted.reduce((n, r) => n + (r.label === 1 ? 1 : 0), 0);
    let bestCost = budget.costFn * totalFraud; // block nothing
    block = Math.max(100, sorted[0]?.score ?? 100) + 1e-9;
    let fp = 0;
    let tp = 0;
    for (let i = 0; i < sorted.length; i++) {
      const r = sorted[i] as ScoredRow;
      if (r.label === 1) tp++;
      else fp++;
      // Only between distinct scores: a threshold cannot separate equal ones.
      if (i + 1 < sorted.length && (sorted[i + 1] as ScoredRow).score === r.score) continue;
      const cost = budget.costFp * fp + budget.costFn * (totalFraud - tp);
      if (cost < bestCost) {
        bestCost = cost;
        block = r.score;
      }
    }
  }
  let review = Math.min(current.review, block);
  if (budget.reviewCapacityPerDay !== undefined) {
    const allowed = Math.floor(budget.reviewCapacityPerDay * Math.max(days, 1));
    const below = sorted.filter((r) => r.score < block);
    review = block;
    // The (allowed)-th highest score below block, moved up past ties so the count stays within capacity.
    if (allowed > 0 && below.length > 0) {
      if (below.length <= allowed) review = (below[below.length - 1] as ScoredRow).score;
      else {
        let k = allowed - 1;
        const cut = (below[k + 1] as ScoredRow).score;
        while (k >= 0 && (below[k] as ScoredRow).score === cut) k--;
        review = k >= 0 ? (below[k] as ScoredRow).score : block;
      }
    }
  }
  return { review, block };
}

/**
 * What thresholds do on rows over `days` days: a row at or above `block` is blocked, one at or
 * above `review` (and below block) is reviewed.
 */
export function thresholdOutcome(rows: readonly ScoredRow[], days: number, t: Thresholds, budget: ThresholdBudget = {}): ThresholdOutcome {
  const o = { blocked: 0, blockedFraud: 0, reviewed: 0, reviewedFraud: 0, caughtMoney: 0, missedFraud: 0, missedMoney: 0 };
  for (const r of rows) {
    const fraud = r.label === 1;
    if (r.score >= t.block) {
      o.blocked++;
      if (fraud) o.blockedFraud++;
    } else if (r.score >= t.review) {
      o.reviewed++;
      if (fraud) o.reviewedFraud++;
    } else if (fraud) {
      o.missedFraud++;
      o.missedMoney += r.amount;
      continue;
    }
    if (fraud) o.caughtMoney += r.amount;
  }
  const caughtFraud = o.blockedFraud + o.reviewedFraud;
  const cost =
    budget.costFp !== undefined && budget.costFn !== undefined
      ? budget.costFp * (o.blocked - o.blockedFraud) + budget.costFn * o.missedFraud
      : undefined;
  return {
    ...o,
    caughtFraud,
    falsePositives: o.blocked + o.reviewed - caughtFraud,
    reviewsPerDay: o.reviewed / Math.max(days, 1),
    cost,
  };
}
