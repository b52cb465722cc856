/**
 * The margins of a trained model over a batch of model vectors, computed where the adapter
 * chooses: in the caller's thread, or on a thread of its own while the caller prepares the next
 * batch. Each margin must be the one `pathMarginsFlat` gives its row, to the bit (decisions do
 * not depend on where they were computed).
 *
 * @example
 * const { matrix, margins } = await model.margins(prepared.matrix, prepared.fresh.length);
 */
export interface ModelMargins {
  /**
   * The margins of the first `rows` vectors of `matrix` (FEATURE_COUNT numbers each). The matrix
   * is handed over: the caller uses the one it gets back (the same numbers, maybe not the same
   * object) and not the one it gave.
   */
  margins(matrix: Float64Array, rows: number): Promise<{ matrix: Float64Array; margins: Float64Array }>;
  /** Releases what the adapter holds (its thread); margins asked for afterwards fail. */
  close(): Promise<void>;
}
