import { Worker } from 'node:worker_threads';
import type { FlatEnsemble } from '../core/model/gbdt.js';
import { FEATURE_COUNT } from '../core/model/vector.js';
import type { ModelMargins } from '../ports/ModelMargins.js';

/** A request to the margins thread: the vectors of a batch, handed over (transferred). */
export interface MarginsRequest {
  seq: number;
  matrix: Float64Array;
  rows: number;
}

/** Its answer: the vectors back and their margins, or what went wrong. */
export type MarginsReply = { seq: number; matrix: Float64Array; margins: Float64Array } | { seq: number; error: string };

/**
 * {@link ModelMargins} on a worker thread of its own (`modelMarginsWorker`), which holds a copy of
 * the model's trees: the scoring thread hands each batch's model vectors over (transferred, not
 * copied) and prepares the next batch meanwhile, on the other core. The margins are those
 * `blockMargins` computes in the calling thread, to the bit: the same function over the same
 * numbers.
 *
 * @example
 * const margins = new ModelMarginsThread(model.flat);
 * const { matrix, margins: m } = await margins.margins(vectors, rows);
 * await margins.close(); // the thread keeps the process alive until closed
 */
export class ModelMarginsThread implements ModelMargins {
  private readonly worker: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: { matrix: Float64Array; margins: Float64Array }) => void; reject: (e: Error) => void }>();
  /** Why the thread is no longer there, once it is not. */
  private gone: Error | undefined;

  constructor(flat: FlatEnsemble, entry: URL = defaultEntry()) {
    // The thread's own garbage is a message or two per batch: a small young generation is plenty.
    this.worker = new Worker(entry, { workerData: { flat, stride: FEATURE_COUNT }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    this.worker.on('message', (r: MarginsReply) => {
      const w = this.waiting.get(r.seq);
      if (!w) return;
      this.waiting.delete(r.seq);
      if ('error' in r) w.reject(new Error(`the model margins thread failed: ${r.error}`));
      else w.resolve({ matrix: r.matrix, margins: r.margins });
    });
    this.worker.on('error', (e) => this.failAll(new Error(`the model margins thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.failAll(new Error(`the model margins thread stopped (exit ${code})`)));
  }

  margins(matrix: Float64Array, rows: number): Promise<{ matrix: Float64Array; margins: Float64Array }> {
    if (this.gone) return Promise.reject(this.gone);
    const seq = ++this.seq;
    const answer = new Promise<{ matrix: Float64Array; margins: Float64Array }>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    this.worker.postMessage({ seq, matrix, rows } satisfies MarginsRequest, [matrix.buffer as ArrayBuffer]);
    return answer;
  }

  async close(): Promise<void> {
    if (this.gone) return;
    this.gone = new Error('the model margins thread is closed');
    await this.worker.terminate();
  }

  private failAll(e: Error): void {
    this.gone ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/local/modelMarginsWorker.js', here) : new URL('./modelMarginsWorker.js', here);
}
