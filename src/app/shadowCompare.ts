/**
 * The comparison of a shadow challenger with the decisions in force: agreement, the confusion of
 * their outcomes, what each would have flagged, and precision and recall on the labels known so
 * far. Pure arithmetic over {@link ShadowTally} counts; `fraudmini compare` and `GET /stats/shadow`
 * both show it.
 */
import type { Outcome } from '../core/scoring.js';
import type { ShadowDecisionStore, ShadowTally, ShadowVersion } from '../ports/ShadowDecisionStore.js';

/** The outcomes, in the order tables show them. */
export const OUTCOMES: readonly Outcome[] = ['allow', 'review', 'block'];

/** How one side (in force or challenger) does on the rows compared. */
export interface SideFigures {
  /** Rows it flagged: review or block. */
  flagged: number;
  blocked: number;
  /** Labelled rows it flagged. */
  flaggedLabelled: number;
  /** Frauds it flagged (labelled). */
  fraudFlagged: number;
  /** Frauds flagged ÷ labelled rows flagged; null when it flagged no labelled row. */
  precision: number | null;
  /** Frauds flagged ÷ frauds labelled; null before any fraud is labelled. */
  recall: number | null;
}

/** The challenger against the decisions in force. */
export interface ShadowComparison {
  /** The challenger compared, or null when none has decided anything yet. */
  challenger: ShadowVersion | null;
  /** Rows both decided. */
  rows: number;
  /** Rows with the same outcome on both sides. */
  agreed: number;
  /** agreed ÷ rows; null without rows. */
  agreement: number | null;
  /** `confusion[inForce][challenger]`: rows with that pair of outcomes. */
  confusion: Record<Outcome, Record<Outcome, number>>;
  /** Flagged (review or block) by both, by the one in force only, by the challenger only. */
  flagged: { both: number; inForceOnly: number; challengerOnly: number };
  /** Rows whose label is known now, and the frauds among them. */
  labelled: number;
  frauds: number;
  inForce: SideFigures;
  shadow: SideFigures;
}

/**
 * Computes the comparison from tallies of (outcome in force, challenger's outcome, label).
 * @example
 * compareShadow(version, [{ primary: 'allow', shadow: 'review', label: 1, rows: 3 }]).shadow.recall // 1
 */
export function compareShadow(challenger: ShadowVersion | null, tallies: readonly ShadowTally[]): ShadowComparison {
  const confusion = emptyConfusion();
  let rows = 0;
  let agreed = 0;
  let labelled = 0;
  let frauds = 0;
  const flagged = { both: 0, inForceOnly: 0, challengerOnly: 0 };
  const inForce = emptySide();
  const shadow = emptySide();
  for (const t of tallies) {
    if (t.rows <= 0) continue;
    rows += t.rows;
    confusion[t.primary][t.shadow] += t.rows;
    if (t.primary === t.shadow) agreed += t.rows;
    const p = t.primary !== 'allow';
    const s = t.shadow !== 'allow';
    if (p && s) flagged.both += t.rows;
    else if (p) flagged.inForceOnly += t.rows;
    else if (s) flagged.challengerOnly += t.rows;
    if (t.label !== null) {
      labelled += t.rows;
      if (t.label === 1) frauds += t.rows;
    }
    tallySide(inForce, t.primary, t.label, t.rows);
    tallySide(shadow, t.shadow, t.label, t.rows);
  }
  return {
    challenger,
    rows,
    agreed,
    agreement: rows > 0 ? agreed / rows : null,
    confusion,
    flagged,
    labelled,
    frauds,
    inForce: finishSide(inForce, frauds),
    shadow: finishSide(shadow, frauds),
  };
}

/**
 * The comparison of the challenger that stored a decision last (all zeros, challenger null, when
 * no challenger ever ran on this data).
 */
export async function compareLatestShadow(store: ShadowDecisionStore): Promise<ShadowComparison> {
  const version = await store.latestShadowVersion();
  if (!version) return compareShadow(null, []);
  return compareShadow(version, await store.shadowTallies(version));
}

/** The comparison as the API and `compare --json` show it (snake_case keys). */
export function comparisonJson(c: ShadowComparison): Record<string, unknown> {
  const side = (s: SideFigures) => ({
    flagged: s.flagged,
    blocked: s.blocked,
    flagged_labelled: s.flaggedLabelled,
    fraud_flagged: s.fraudFlagged,
    precision: s.precision,
    recall: s.recall,
  });
  return {
    challenger: c.challenger && { rules_version: c.challenger.rulesVersion, model_version: c.challenger.modelVersion },
    rows: c.rows,
    agreed: c.agreed,
    agreement: c.agreement,
    confusion: c.confusion,
    flagged: { both: c.flagged.both, in_force_only: c.flagged.inForceOnly, challenger_only: c.flagged.challengerOnly },
    labelled: c.labelled,
    frauds: c.frauds,
    in_force: side(c.inForce),
    shadow: side(c.shadow),
  };
}

function emptyConfusion(): Record<Outcome, Record<Outcome, number>> {
  const row = (): Record<Outcome, number> => ({ allow: 0, review: 0, block: 0 });
  return { allow: row(), review: row(), block: row() };
}

function emptySide(): SideFigures {
  return { flagged: 0, blocked: 0, flaggedLabelled: 0, fraudFlagged: 0, precision: null, recall: null };
}

function tallySide(side: SideFigures, outcome: Outcome, label: 0 | 1 | null, rows: number): void {
  if (outcome === 'allow') return;
  side.flagged += rows;
  if (outcome === 'block') side.blocked += rows;
  if (label === null) return;
  side.flaggedLabelled += rows;
  if (label === 1) side.fraudFlagged += rows;
}

function finishSide(side: SideFigures, frauds: number): SideFigures {
  return {
    ...side,
    precision: side.flaggedLabelled > 0 ? side.fraudFlagged / side.flaggedLabelled : null,
    recall: frauds > 0 ? side.fraudFlagged / frauds : null,
  };
}
