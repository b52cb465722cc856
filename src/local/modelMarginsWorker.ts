import { parentPort, workerData } from 'node:worker_threads';
import { blockMargins, type FlatEnsemble } from '../core/model/gbdt.js';
import type { MarginsReply, MarginsRequest } from './ModelMarginsThread.js';

/**
 * The thread of `ModelMarginsThread`: computes the model margins of each batch of vectors it is
 * handed, in arrival order, and hands the vectors back with them.
 */
const port = parentPort;
if (!port) throw new Error('modelMarginsWorker runs as a worker thread');
// Only the trees' module is loaded here: the thread starts with little to compile.
const { flat, stride } = workerData as { flat: FlatEnsemble; stride: number };

port.on('message', (m: MarginsRequest) => {
  try {
    const margins = new Float64Array(m.rows);
    blockMargins(flat, m.matrix, stride, m.rows, margins);
    port.postMessage({ seq: m.seq, matrix: m.matrix, margins } satisfies MarginsReply, [m.matrix.buffer as ArrayBuffer, margins.buffer]);
  } catch (e) {
    port.postMessage({ seq: m.seq, error: (e as Error).message } satisfies MarginsReply);
  }
});
