import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelScore } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { allowedScore, decisionWithMargin } from '../../src/core/modelDecision.js';
import { trainedHistory } from '../helpers/trainedHistory.js';

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
