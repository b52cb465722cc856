/**
 * Shadow scoring: a challenger (a candidate rule set, a candidate model, or both) decides every
 * transaction beside the decision in force, without acting. Its decisions raise no alert, change
 * no stored decision or receipt, and are stored apart ({@link ShadowDecisionStore}).
 *
 * It is built around the scorer in force rather than inside it. The scorer's feature source is
 * wrapped ({@link ShadowScoring.features}): each feature row the scorer observes is copied as it
 * is written. Its committer and decision store are wrapped too; the batch the scorer hands them is
 * then scored again, by the same `scoreBatch`, with the challenger's rules and model over the
 * copied rows. So the challenger reads exactly the features the decision in force read (the same
 * windows, the same label feedback at the same moment), and the windows count each transaction
 * once.
 */
import type { Model } from '../core/model/model.js';
import { FEATURE_ROW, type FeatureRow } from '../core/features.js';
import type { DecidedItem } from '../core/records.js';
import type { RuleSet } from '../core/rules.js';
import type { Transaction } from '../core/transaction.js';
import type { BatchCommitter, FileCheckpoint } from '../ports/BatchCommitter.js';
import type { DecisionStore } from '../ports/DecisionStore.js';
import type { FeatureSource } from '../ports/FeatureSource.js';
import type { Logger } from '../ports/Logger.js';
import type { ShadowDecision, ShadowDecisionStore } from '../ports/ShadowDecisionStore.js';
import { scoreBatch } from '../pipeline/score.js';

/** The challenger: what differs from the scorer in force. Left out, a part is the one in force. */
export interface Challenger {
  /** A candidate rule set. */
  rules?: RuleSet;
  /** A candidate model. */
  model?: Model;
}

/** What shadow scoring needs. */
export interface ShadowScoringDeps {
  /** The feature source of the scorer in force (observed once, by it). */
  features: FeatureSource;
  challenger: Challenger;
  /** The rule set in force (the challenger's, when it brings none). */
  rules: () => RuleSet;
  /** The model in force, if any. */
  model?: Model;
  store: ShadowDecisionStore;
  logger: Logger;
  now?: () => Date;
}

/** Nothing decided before: every item handed to the challenger is new to it. */
const NONE = { has: (): boolean => false };

/**
 * Scores a challenger beside the scorer in force. Hand {@link features} to the scorer in force in
 * place of its own feature source, and wrap its committer ({@link committer}) or decision store
 * ({@link decisionStore}): each batch they receive is scored by the challenger and, once stored,
 * its shadow decisions are stored apart.
 *
 * @example
 * const shadow = new ShadowScoring({ features, challenger: { model: candidate }, rules, store, logger });
 * await processFile(file, { ...deps, features: shadow.features, commits: shadow.committer(commits) });
 */
export class ShadowScoring {
  /** The feature source to give the scorer in force: its own, copying each row it writes. */
  readonly features: FeatureSource;
  /** Feature rows observed and not yet scored by the challenger, by transaction. */
  private captured = new Map<Transaction, number>();
  private rows = new Float64Array(64 * FEATURE_ROW);
  private used = 0;
  /** Shadow decisions scored and being stored: settled by {@link flush}. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ShadowScoringDeps) {
    const inner = deps.features;
    this.features = {
      observe: (tx) => inner.observe(tx),
      observeBatch: (txs, from, to, out, stride = FEATURE_ROW) => {
        inner.observeBatch(txs, from, to, out, stride);
        this.capture(txs, from, to, out, stride);
      },
      row: (matrix) => inner.row(matrix),
    };
  }

  /** The challenger's rules and model versions, for logs. */
  describe(): string {
    const c = this.deps.challenger;
    const rules = c.rules ? `rules ${c.rules.version}` : 'the rules in force';
    const model = c.model ? `model ${c.model.version}` : this.deps.model ? 'the model in force' : 'no model';
    return `${rules} with ${model}`;
  }

  /** Wraps a committer: each batch committed is also decided by the challenger. */
  committer(inner: BatchCommitter): BatchCommitter {
    return {
      commit: (items: readonly DecidedItem[], checkpoint?: FileCheckpoint) => {
        const shadow = this.score(items);
        const committed = inner.commit(items, checkpoint);
        // Stored once the batch in force is: a batch that fails leaves no shadow decision behind.
        this.store(committed.then(() => shadow));
        return committed;
      },
      pending: (id) => inner.pending(id),
      pendingIds: (ids) => inner.pendingIds(ids),
    };
  }

  /** Wraps a decision store: each group stored (`POST /transactions`) is also decided by the challenger. */
  decisionStore(inner: DecisionStore): DecisionStore {
    return {
      findDecisions: (ids) => inner.findDecisions(ids),
      storeDecisions: (items) => {
        const shadow = this.score(items);
        const stored = inner.storeDecisions(items);
        this.store(
          stored.then((s) => {
            const ids = new Set(s.stored.map((d) => d.transaction.transactionId));
            return shadow.filter((d) => ids.has(d.transactionId));
          }),
        );
        return stored;
      },
      findAlerts: (ids) => inner.findAlerts(ids),
      getTransaction: (id) => inner.getTransaction(id),
      listAlerts: (q) => inner.listAlerts(q),
      stats: () => inner.stats(),
      count: (deltas) => inner.count(deltas),
    };
  }

  /** Resolves once every shadow decision scored so far is stored (or its failure logged). */
  async flush(): Promise<void> {
    let last: Promise<void> | undefined;
    while (last !== this.writing) {
      last = this.writing;
      await last;
    }
  }

  /**
   * The challenger's decisions for items the scorer in force just decided, from the rows it
   * observed for them. Synchronous, like the scorer, and called before the next batch is observed.
   */
  private score(items: readonly DecidedItem[]): ShadowDecision[] {
    const captured = this.captured;
    const rows = this.rows;
    // Rows not taken now belong to transactions that were observed and not decided (a batch that
    // failed half-way): they are never asked for again. The buffer is reused: the challenger reads
    // it below, synchronously, before the scorer in force can observe the next batch.
    this.captured = new Map();
    this.used = 0;
    const fresh = items.filter((i) => captured.has(i.transaction));
    if (fresh.length < items.length) {
      this.deps.logger.warn(`shadow: ${items.length - fresh.length} transactions had no observed features; not scored by the challenger`);
    }
    if (fresh.length === 0) return [];
    const replay: FeatureSource = {
      observe: () => {
        throw new Error('shadow scoring reads observed rows only');
      },
      observeBatch: (txs, from, to, out, stride = FEATURE_ROW) => {
        for (let i = from, at = 0; i < to; i++, at += stride) {
          const start = captured.get(txs[i] as Transaction) as number;
          out.set(rows.subarray(start, start + FEATURE_ROW), at);
        }
      },
      row: (matrix): FeatureRow => this.deps.features.row(matrix),
    };
    const c = this.deps.challenger;
    const scored = scoreBatch(
      fresh.map((i) => ({ transaction: i.transaction })),
      NONE,
      { features: replay, rules: c.rules ?? this.deps.rules(), model: c.model ?? this.deps.model, now: this.deps.now },
    );
    return scored.decided.map(shadowRecord);
  }

  private capture(txs: readonly Transaction[], from: number, to: number, out: Float64Array, stride: number): void {
    const need = (this.used + (to - from)) * FEATURE_ROW;
    if (need > this.rows.length) {
      const grown = new Float64Array(Math.max(need, this.rows.length * 2));
      grown.set(this.rows.subarray(0, this.used * FEATURE_ROW));
      this.rows = grown;
    }
    for (let i = from, at = 0; i < to; i++, at += stride) {
      const start = this.used * FEATURE_ROW;
      this.rows.set(out.subarray(at, at + FEATURE_ROW), start);
      this.captured.set(txs[i] as Transaction, start);
      this.used++;
    }
  }

  /** Stores shadow decisions after the previous ones; a failure is logged, never raised to the scorer in force. */
  private store(decisions: Promise<ShadowDecision[]>): void {
    this.writing = this.writing
      .then(() => decisions)
      .then(
        (d) => (d.length > 0 ? this.deps.store.storeShadowDecisions(d) : undefined),
        () => undefined, // the batch in force failed: its own error is reported where it is awaited
      )
      .catch((e: unknown) => this.deps.logger.error(`shadow: decisions not stored: ${(e as Error).message}`));
  }
}

/** What is stored of a challenger's decision: its outcome and scores, never the transaction. */
export function shadowRecord({ transaction, decision }: DecidedItem): ShadowDecision {
  return {
    transactionId: transaction.transactionId,
    timestamp: transaction.timestamp,
    score: decision.score,
    outcome: decision.outcome,
    modelScore: decision.model_score,
    rules: decision.reasons.map((r) => r.rule),
    rulesVersion: decision.rules_version,
    modelVersion: decision.model_version,
    decidedAt: decision.decided_at,
  };
}
