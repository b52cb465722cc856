import { OUTCOMES, type ShadowComparison, type SideFigures } from '../app/shadowCompare.js';
import { int, ratio, table } from './table.js';

/** The comparison as text: the challenger, agreement, the confusion of outcomes, each side's figures. */
export function renderComparison(c: ShadowComparison): string {
  if (!c.challenger) return 'no shadow decisions yet: start fraudmini with --shadow-rules FILE and/or --shadow-model FILE\n';
  const pct = (v: number | null): string => (v === null ? '-' : `${(100 * v).toFixed(1)}%`);
  const r = (v: number | null): string => (v === null ? '-' : ratio(v));
  const side = (name: string, s: SideFigures): string[] => [name, int(s.flagged), int(s.blocked), int(s.fraudFlagged), r(s.precision), r(s.recall)];
  return [
    `challenger: rules ${c.challenger.rulesVersion}, model ${c.challenger.modelVersion ?? 'none'}`,
    `${int(c.rows)} transactions decided by both; the same outcome on ${int(c.agreed)} (${pct(c.agreement)})`,
    '',
    table(
      ['in force \\ challenger', ...OUTCOMES],
      OUTCOMES.map((p) => [p, ...OUTCOMES.map((s) => int(c.confusion[p][s]))]),
    ),
    '',
    `flagged (review or block): by both ${int(c.flagged.both)}, by the one in force only ${int(c.flagged.inForceOnly)}, by the challenger only ${int(c.flagged.challengerOnly)}`,
    `labels known on ${int(c.labelled)} of them (${int(c.frauds)} fraud); precision and recall of flagging on those:`,
    '',
    table(['', 'flagged', 'blocked', 'fraud flagged', 'precision', 'recall'], [side('in force', c.inForce), side('challenger', c.shadow)]),
    '',
  ].join('\n');
}
