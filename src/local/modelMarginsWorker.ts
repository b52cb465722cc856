import { parentPort, workerData } from 'node:worker_threads';
import type { FlatEnsemble } from '../core/model/gbdt.js';
import { blockMargins } from '../pipeline/score.js';
import type { MarginsReply, MarginsRequest } from './ModelMarginsThread.js';

/**
 * The thread of `ModelMarginsThread`: computes the model margins of each batch of vectors it is
 * handed, in arrival order, and hands the vectors back with them.
 */
const port = parentPort;
if (!port) throw new Error('modelMarginsWorker runs as a worker thread');
const { flat } = workerData as { flat: FlatEnsemble };

port.on('message', (m: MarginsRequest) => {
  try {
    const margins = new Float64Array(m.rows);
    blockMargins(flat, m.matrix, m.rows, margins);
    port.postMessage({ seq: m.seq, matrix: m.matrix, margins } satisfies MarginsReply, [m.matrix.buffer as ArrayBuffer, margins.buffer]);
  } catch (e) {
    port.postMessage({ seq: m.seq, error: (e as Error).message } satisfies MarginsReply);
  }
});
