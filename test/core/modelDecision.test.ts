import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explainVector, modelScore } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { allowedScore, decisionWithMargin, TOP_FEATURES } from '../../src/core/modelDecision.js';
import type { RuleHit } from '../../src/core/rules.js';
import { HISTORY_RULES, preparedHistory, trainedHistory } from '../helpers/trainedHistory.js';

describe('allowedScore', () => {
  it("gives the score of decisionWithMargin's decision of a row that fired no rule when it is an allow, NaN otherwise (property)", () => {
    const { model } = trainedHistory();
    const matrix = new Float64Array(FEATURE_COUNT);
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 1, max: 99 }),
        (margin, a, b) => {
          // Prepare
          const rules = { thresholds: { review: Math.min(a, b), block: Math.max(a, b) }, version: 'v1' };

          // Act
          const d = decisionWithMargin('tx-1', [], margin, matrix, 0, rules, model, '2026-01-01T00:00:00.000Z');
          const score = allowedScore(modelScore(margin), rules);

          // Assess
          if (d.outcome !== 'allow') expect(score).toBeNaN();
          else {
            expect(score).toBe(d.score);
            expect(d).toStrictEqual({
              transaction_id: 'tx-1',
              score,
              outcome: 'allow',
              reasons: [],
              model_score: modelScore(margin),
              model_version: model.version,
              rules_score: 0,
              rules_version: 'v1',
              decided_at: '2026-01-01T00:00:00.000Z',
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decisionWithMargin', () => {
  /** A hit that blocks whatever the model says (HISTORY_RULES block at 80). */
  const BLOCKING: RuleHit[] = [{ rule: 'big', weight: 85, detail: 'amount is 500.00 or more' }];
  const AT = '2026-01-01T00:00:00.000Z';

  it('names the features of the row it decides, each row of a matrix its own', () => {
    // Prepare: a batch's real model vectors, every row blocked by a rule so that each is explained
    const { model } = trainedHistory();
    const [batch] = preparedHistory(40);
    const { matrix, fresh } = batch as NonNullable<typeof batch>;
    let named = 0;

    for (let r = 0; r < fresh.length; r++) {
      // Act
      const d = decisionWithMargin(`tx-${r}`, BLOCKING, 0, matrix, r, HISTORY_RULES, model, AT);

      // Assess: the features named are those of row r's vector, cut out independently
      const own = explainVector(model, matrix.slice(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT), TOP_FEATURES).top;
      expect(d.outcome).toBe('block');
      expect(d.model_features ?? []).toEqual(own);
      if (own.length > 0) named++;
    }
    expect(named).toBeGreaterThan(1);
  });

  it('names no features, and has no model_features key, when no feature pushed the score up', () => {
    // Prepare: a row whose every contribution is below what is named
    const { model } = trainedHistory();
    const rows = preparedHistory(500).flatMap((p) => Array.from({ length: p.fresh.length }, (_, r) => p.matrix.slice(r * FEATURE_COUNT, (r + 1) * FEATURE_COUNT)));
    const quiet = rows.find((x) => explainVector(model, x, TOP_FEATURES).top.length === 0);
    expect(quiet).toBeDefined();

    // Act
    const d = decisionWithMargin('tx-quiet', BLOCKING, 0, quiet as Float64Array, 0, HISTORY_RULES, model, AT);

    // Assess
    expect(d.outcome).toBe('block');
    expect(Object.hasOwn(d, 'model_features')).toBe(false);
  });
});
