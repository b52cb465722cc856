import { describe, expect, it } from 'vitest';
import { compareShadow, comparisonJson } from '../../src/app/shadowCompare.js';
import { renderComparison } from '../../src/cli/shadowTable.js';
import type { ShadowTally } from '../../src/ports/ShadowDecisionStore.js';

const V = { rulesVersion: 'candidate-2', modelVersion: 'gbdt-abc' };

describe('compareShadow, the arithmetic of a shadow comparison', () => {
  it('counts agreement, the confusion of outcomes and what each side alone flagged', () => {
    // Prepare
    const tallies: ShadowTally[] = [
      { primary: 'allow', shadow: 'allow', label: null, rows: 90 },
      { primary: 'allow', shadow: 'review', label: null, rows: 4 },
      { primary: 'review', shadow: 'allow', label: null, rows: 3 },
      { primary: 'review', shadow: 'block', label: null, rows: 2 },
      { primary: 'block', shadow: 'block', label: null, rows: 1 },
    ];

    // Act
    const c = compareShadow(V, tallies);

    // Assess
    expect(c.rows).toBe(100);
    expect(c.agreed).toBe(91);
    expect(c.agreement).toBeCloseTo(0.91, 12);
    expect(c.confusion).toEqual({
      allow: { allow: 90, review: 4, block: 0 },
      review: { allow: 3, review: 0, block: 2 },
      block: { allow: 0, review: 0, block: 1 },
    });
    expect(c.flagged).toEqual({ both: 3, inForceOnly: 3, challengerOnly: 4 });
    expect(c.inForce.flagged).toBe(6);
    expect(c.inForce.blocked).toBe(1);
    expect(c.shadow.flagged).toBe(7);
    expect(c.shadow.blocked).toBe(3);
  });

  it('takes precision and recall on labelled rows only, and leaves them null where nothing is known', () => {
    // Prepare: 10 frauds; the one in force flags 4 of them and 6 legit, the challenger 8 and 2
    const tallies: ShadowTally[] = [
      { primary: 'review', shadow: 'review', label: 1, rows: 4 },
      { primary: 'allow', shadow: 'block', label: 1, rows: 4 },
      { primary: 'allow', shadow: 'allow', label: 1, rows: 2 },
      { primary: 'review', shadow: 'allow', label: 0, rows: 6 },
      { primary: 'allow', shadow: 'review', label: 0, rows: 2 },
      { primary: 'allow', shadow: 'allow', label: 0, rows: 50 },
      // unlabelled flagged rows count as flagged, not in precision
      { primary: 'block', shadow: 'block', label: null, rows: 5 },
    ];

    // Act
    const c = compareShadow(V, tallies);
    const none = compareShadow(V, [{ primary: 'allow', shadow: 'allow', label: null, rows: 3 }]);

    // Assess
    expect(c.labelled).toBe(68);
    expect(c.frauds).toBe(10);
    expect(c.inForce).toMatchObject({ flagged: 15, flaggedLabelled: 10, fraudFlagged: 4, precision: 0.4, recall: 0.4 });
    expect(c.shadow).toMatchObject({ flagged: 15, flaggedLabelled: 10, fraudFlagged: 8, precision: 0.8, recall: 0.8 });
    expect(none.inForce.precision).toBeNull();
    expect(none.shadow.recall).toBeNull();
    expect(compareShadow(null, []).agreement).toBeNull();
  });

  it('shows the same figures in its JSON form, under snake_case keys', () => {
    // Prepare
    const c = compareShadow(V, [
      { primary: 'allow', shadow: 'review', label: 1, rows: 2 },
      { primary: 'allow', shadow: 'allow', label: 0, rows: 8 },
    ]);

    // Act
    const json = comparisonJson(c) as Record<string, Record<string, unknown>>;

    // Assess
    expect(json.challenger).toEqual({ rules_version: 'candidate-2', model_version: 'gbdt-abc' });
    expect(json.flagged).toEqual({ both: 0, in_force_only: 0, challenger_only: 2 });
    expect(json.shadow).toMatchObject({ flagged: 2, fraud_flagged: 2, precision: 1, recall: 1 });
    expect(json.in_force).toMatchObject({ flagged: 0, precision: null, recall: 0 });
  });
});

describe('renderComparison, the text of fraudmini compare', () => {
  it('names the challenger, the agreement, each cell of the confusion and both sides\' figures', () => {
    // Prepare
    const c = compareShadow(V, [
      { primary: 'allow', shadow: 'allow', label: 0, rows: 1200 },
      { primary: 'allow', shadow: 'review', label: 1, rows: 3 },
      { primary: 'review', shadow: 'allow', label: 0, rows: 7 },
    ]);

    // Act
    const text = renderComparison(c);

    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toBe('challenger: rules candidate-2, model gbdt-abc');
    expect(lines[1]).toBe('1,210 transactions decided by both; the same outcome on 1,200 (99.2%)');
    expect(lines.find((l) => l.startsWith('allow '))?.split(/\s+/)).toEqual(['allow', '1,200', '3', '0']);
    expect(lines.find((l) => l.startsWith('review '))?.split(/\s+/)).toEqual(['review', '7', '0', '0']);
    expect(lines.find((l) => /^in force {2}/.test(l))?.split(/\s{2,}/)).toEqual(['in force', '7', '0', '0', '0.000', '0.000']);
    expect(lines.find((l) => l.startsWith('challenger '))?.split(/\s{2,}/)).toEqual(['challenger', '3', '0', '3', '1.000', '1.000']);
    expect(renderComparison(compareShadow(null, []))).toMatch(/^no shadow decisions yet/);
  });
});
