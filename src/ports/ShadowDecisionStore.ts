import type { Outcome } from '../core/scoring.js';

/** What a shadow challenger decided for one transaction, stored apart from the decision in force. */
export interface ShadowDecision {
  /** As stored (masked, like every id). */
  transactionId: string;
  /** Event time of the transaction, epoch ms. */
  timestamp: number;
  score: number;
  outcome: Outcome;
  /** Model score 0–100, or null for a challenger without a model. */
  modelScore: number | null;
  /** Ids of the rules that fired. */
  rules: string[];
  rulesVersion: string;
  modelVersion: string | null;
  /** ISO 8601. */
  decidedAt: string;
}

/** Which challenger a tally is about: the rules and model versions it ran. */
export interface ShadowVersion {
  rulesVersion: string;
  modelVersion: string | null;
}

/**
 * Rows of one (outcome in force, challenger's outcome, label in force) combination: what the
 * comparison is computed from, so a store can count in place instead of handing over every row.
 */
export interface ShadowTally {
  primary: Outcome;
  shadow: Outcome;
  /** The label in force now (the one it arrived with, or one reported since), or null while unknown. */
  label: 0 | 1 | null;
  rows: number;
}

/**
 * Decisions of a shadow challenger, kept apart from the decisions in force (they raise no alert and
 * change no receipt): a table of their own locally.
 *
 * @example
 * await shadow.storeShadowDecisions([{ transactionId: 'T1', outcome: 'review', ... }]);
 * const tallies = await shadow.shadowTallies(await shadow.latestShadowVersion());
 */
export interface ShadowDecisionStore {
  /** Stores each decision unless its transaction already has a shadow decision. */
  storeShadowDecisions(decisions: readonly ShadowDecision[]): Promise<void>;
  /** The challenger whose decision was stored last, or undefined before any. */
  latestShadowVersion(): Promise<ShadowVersion | undefined>;
  /** The challenger's decisions against those in force, counted by outcomes and label. */
  shadowTallies(version: ShadowVersion): Promise<ShadowTally[]>;
}
