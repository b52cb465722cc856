import type { RuleSet } from '../core/rules.js';
import { type Decision, decide, type Outcome } from '../core/scoring.js';
import type { Transaction } from '../core/transaction.js';
import { type HistoryOptions, replayHistory } from './history.js';

/** Hits of one rule (or one outcome) against the labels. */
export interface HitStats {
  hits: number;
  /** Hits on fraudulent transactions. */
  frauds: number;
  precision: number;
  recall: number;
  /** Hits per 1,000 labelled transactions. */
  per1000: number;
  /** Amount of the fraudulent transactions hit (currency units). */
  moneyCaught: number;
  /** Amount of every transaction hit (currency units). */
  moneyFlagged: number;
}

/** The backtest of one rule set. */
export interface RuleSetBacktest {
  version: string;
  rules: Record<string, HitStats>;
  outcomes: Record<Outcome | 'flagged', HitStats>;
}

/** What `backtest` reports. */
export interface BacktestReport {
  rows: number;
  frauds: number;
  fraudMoney: number;
  base: RuleSetBacktest;
  against?: RuleSetBacktest;
}

class Tally {
  private readonly counts = new Map<string, { hits: number; frauds: number; caught: number; flagged: number }>();

  add(key: string, fraud: boolean, amount: number): void {
    let c = this.counts.get(key);
    if (!c) {
      c = { hits: 0, frauds: 0, caught: 0, flagged: 0 };
      this.counts.set(key, c);
    }
    c.hits++;
    c.flagged += amount;
    if (fraud) {
      c.frauds++;
      c.caught += amount;
    }
  }

  stats(key: string, rows: number, frauds: number): HitStats {
    const c = this.counts.get(key) ?? { hits: 0, frauds: 0, caught: 0, flagged: 0 };
    return {
      hits: c.hits,
      frauds: c.frauds,
      precision: c.hits > 0 ? c.frauds / c.hits : Number.NaN,
      recall: frauds > 0 ? c.frauds / frauds : Number.NaN,
      per1000: rows > 0 ? (1000 * c.hits) / rows : 0,
      moneyCaught: c.caught / 10_000,
      moneyFlagged: c.flagged / 10_000,
    };
  }
}

/** Accumulates one rule set's hits over the history. */
class RuleSetTally {
  readonly rules = new Tally();
  readonly outcomes = new Tally();

  constructor(readonly set: RuleSet) {}

  add(tx: Transaction, d: Decision): void {
    const fraud = tx.label === 1;
    for (const hit of d.reasons) this.rules.add(hit.rule, fraud, tx.amount);
    this.outcomes.add(d.outcome, fraud, tx.amount);
    if (d.outcome !== 'allow') this.outcomes.add('flagged', fraud, tx.amount);
  }

  result(rows: number, frauds: number): RuleSetBacktest {
    const rules: Record<string, HitStats> = {};
    for (const r of this.set.rules) rules[r.id] = this.rules.stats(r.id, rows, frauds);
    return {
      version: this.set.version,
      rules,
      outcomes: {
        allow: this.outcomes.stats('allow', rows, frauds),
        review: this.outcomes.stats('review', rows, frauds),
        block: this.outcomes.stats('block', rows, frauds),
        flagged: this.outcomes.stats('flagged', rows, frauds),
      },
    };
  }
}

/** Options of {@link backtestHistory}. */
export interface BacktestOptions extends Omit<HistoryOptions, 'model'> {
  /** A second rule set to compare with `rules`, on the very same features. */
  against?: RuleSet;
  onProgress?: (bytesRead: number, rows: number) => void;
}

/**
 * Runs rule sets over labelled history (features exactly as in production) and counts, per rule
 * and per outcome, hits, precision, recall, alert rate and money caught versus flagged. Only
 * labelled rows are counted; every row shapes the features.
 */
export async function backtestHistory(
  source: AsyncIterable<Buffer | string>,
  options: BacktestOptions,
): Promise<BacktestReport> {
  const base = new RuleSetTally(options.rules);
  const against = options.against ? new RuleSetTally(options.against) : undefined;
  const at = new Date(0);
  let rows = 0;
  let frauds = 0;
  let fraudMoney = 0;
  let seen = 0;
  for await (const batch of replayHistory(source, options)) {
    for (const r of batch.rows) {
      const tx = r.transaction;
      if (tx.label === undefined) continue;
      rows++;
      if (tx.label === 1) {
        frauds++;
        fraudMoney += tx.amount;
      }
      base.add(tx, r.rules);
      if (against && options.against) against.add(tx, decide(options.against, tx, r.features, at));
    }
    seen += batch.rows.length;
    options.onProgress?.(batch.bytesRead, seen);
  }
  const report: BacktestReport = { rows, frauds, fraudMoney: fraudMoney / 10_000, base: base.result(rows, frauds) };
  if (against) report.against = against.result(rows, frauds);
  return report;
}
