import { describe, expect, it } from 'vitest';
import { blockMargins } from '../../src/core/model/gbdt.js';
import type { Model } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import { MODEL_BLOCK_ROWS } from '../../src/pipeline/score.js';
import type { ModelMargins } from '../../src/ports/ModelMargins.js';

/**
 * The behaviour every {@link ModelMargins} promises: the margins `blockMargins` gives in the
 * calling thread, to the bit, and the vectors back unchanged. `make` returns a new adapter for
 * `model` on each call; `vectors` are model vectors of real rows.
 */
export function describeModelMarginsContract(name: string, make: (model: Model) => ModelMargins, fixture: () => { model: Model; vectors: Float64Array }): void {
  describe(`ModelMargins contract: ${name}`, () => {
    it('gives each row the margin blockMargins gives it, to the bit, and the vectors back as they were', async () => {
      // Prepare: more rows than a block, and a tail that is not a multiple of eight
      const { model, vectors } = fixture();
      const rows = Math.min(vectors.length / FEATURE_COUNT, 2 * MODEL_BLOCK_ROWS + 13);
      expect(rows).toBe(2 * MODEL_BLOCK_ROWS + 13);
      const expected = new Float64Array(rows);
      blockMargins(model.flat, vectors, FEATURE_COUNT, rows, expected);
      const margins = make(model);

      // Act
      const answer = await margins.margins(vectors.slice(0, rows * FEATURE_COUNT), rows);
      await margins.close();

      // Assess: byte for byte (a -0 or a last bit apart would show)
      expect(answer.margins).toHaveLength(rows);
      expect(Buffer.from(answer.margins.buffer, answer.margins.byteOffset, answer.margins.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
      expect(Array.from(answer.matrix.subarray(0, rows * FEATURE_COUNT))).toEqual(Array.from(vectors.subarray(0, rows * FEATURE_COUNT)));
    });

    it('answers several batches asked at once, each with its own margins', async () => {
      // Prepare
      const { model, vectors } = fixture();
      const sizes = [1, 8, 300, 0, 77];
      const margins = make(model);

      // Act: all asked before any is awaited
      let from = 0;
      const asked = sizes.map((rows) => {
        const part = vectors.slice(from * FEATURE_COUNT, (from + rows) * FEATURE_COUNT);
        from += rows;
        return margins.margins(part, rows);
      });
      const answers = await Promise.all(asked);
      await margins.close();

      // Assess
      from = 0;
      answers.forEach((a, i) => {
        const rows = sizes[i] as number;
        const expected = new Float64Array(rows);
        blockMargins(model.flat, vectors.subarray(from * FEATURE_COUNT), FEATURE_COUNT, rows, expected);
        from += rows;
        expect(Array.from(a.margins)).toEqual(Array.from(expected));
      });
    });

    it('refuses margins once closed', async () => {
      // Prepare
      const { model, vectors } = fixture();
      const margins = make(model);
      await margins.close();

      // Act
      const error = await margins.margins(vectors.slice(0, FEATURE_COUNT), 1).then(
        () => undefined,
        (e: unknown) => e,
      );

      // Assess
      expect(error).toBeInstanceOf(Error);
    });
  });
}
