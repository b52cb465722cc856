import type { RuleSet } from '../core/rules.js';
import { type Model, scoreWithModel } from '../core/model/model.js';
import { FEATURE_COUNT } from '../core/model/vector.js';
import { type Decision, decide, type ModelOpinion } from '../core/scoring.js';
import type { DecidedItem } from '../core/records.js';
import type { FeatureSource } from '../ports/FeatureSource.js';

/** What scoring needs besides the transactions. */
export interface ScoreDeps {
  features: FeatureSource;
  rules: RuleSet;
  /** A trained model: decisions then combine rules and model (see `combineScores`). */
  model?: Model;
  /** @default () => new Date() */
  now?: () => Date;
}

/** Result of scoring a batch: new decisions, and the ids of transactions that already had one. */
export interface ScoredBatch {
  decided: DecidedItem[];
  duplicates: string[];
}

/** Transaction ids already decided (a `Map` of stored decisions or a `Set` of ids both fit). */
export interface DecidedIds {
  has(id: string): boolean;
}

/**
 * The score stage. Transactions already decided (in `existing`, or earlier in the same batch)
 * are duplicates: they neither touch the features nor get a second decision, which is what
 * makes re-delivery of a file, a message or a POST idempotent.
 */
export function scoreBatch(
  items: readonly Omit<DecidedItem, 'decision'>[],
  existing: DecidedIds,
  deps: ScoreDeps,
): ScoredBatch {
  const now = deps.now ?? (() => new Date());
  const decided: DecidedItem[] = [];
  const duplicates: ScoredBatch['duplicates'] = [];
  const inBatch = new Set<string>();
  const scratch = new Float64Array(FEATURE_COUNT);
  const contributions = new Float64Array(FEATURE_COUNT);
  const at = now().toISOString();
  for (const item of items) {
    const id = item.transaction.transactionId;
    if (existing.has(id) || inBatch.has(id)) {
      duplicates.push(id);
      continue;
    }
    const f = deps.features.observe(item.transaction);
    let opinion: ModelOpinion | undefined;
    if (deps.model) {
      const m = scoreWithModel(deps.model, item.transaction, f, { top: 3, scratch, contributions });
      opinion = { score: m.score, version: deps.model.version, top: m.top };
    }
    const decision: Decision = decide(deps.rules, item.transaction, f, at, opinion);
    inBatch.add(id);
    decided.push(
      item.source
        ? { transaction: item.transaction, decision, source: item.source }
        : { transaction: item.transaction, decision },
    );
  }
  return { decided, duplicates };
}
