import { blockMargins } from '../../src/core/model/gbdt.js';
import type { Model } from '../../src/core/model/model.js';
import { FEATURE_COUNT } from '../../src/core/model/vector.js';
import type { ModelMargins } from '../../src/ports/ModelMargins.js';

/** {@link ModelMargins} in the calling thread; its `failAt`th call (counted from 1) fails. */
export class InlineModelMargins implements ModelMargins {
  calls = 0;
  private closed = false;
  constructor(
    private readonly model: Model,
    private readonly failAt?: number,
  ) {}

  async margins(matrix: Float64Array, rows: number): Promise<{ matrix: Float64Array; margins: Float64Array }> {
    if (this.closed) throw new Error('closed');
    this.calls++;
    if (this.calls === this.failAt) throw new Error('margins lost');
    const margins = new Float64Array(rows);
    blockMargins(this.model.flat, matrix, FEATURE_COUNT, rows, margins);
    return { matrix, margins };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
