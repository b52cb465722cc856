import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../../core/model/model.js';
import type { Outcome } from '../../core/scoring.js';
import { decideColumns, DecisionLines } from './decisionLines.js';
import type { DecisionFileReply, DecisionFileRequest, DecisionFileSetup } from './DecisionFileWriter.js';
import { runBehindScoring } from './threadPriority.js';

/**
 * The writer thread of {@link DecisionFileWriter}: formats each message's decision columns as
 * lines into one buffer and writes them to `<path>.part`, in arrival order, answering each message
 * once its bytes are written. `finish` closes the file and renames it into place, or removes it
 * after a write error; `abort` removes it.
 *
 * The writes are synchronous: the thread has nothing else to do meanwhile, and the buffer is then
 * free again at once, so one buffer serves every message (a fresh one per message cost the memory
 * of each, and the kernel the first touch of its pages).
 */
const port = parentPort;
if (!port) throw new Error('decisionFileWorker runs as a worker thread');
// Scoring bounds the run; this thread can fall behind for a while without slowing it.
runBehindScoring();
const { path, format, model: modelFile } = workerData as DecisionFileSetup;
/** The model prepared batches are decided with: the one the scoring thread was given, loaded again from its file. */
const model = modelFile ? loadModel(modelFile) : undefined;
const partial = `${path}.part`;
const lines = new DecisionLines(format);
/** A write error (disk full, no such folder), kept and reported for every later request. */
let writeError: Error | undefined;
let fd = -1;
try {
  fd = openSync(partial, 'w', 0o600);
} catch (e) {
  writeError = e as Error;
}
// Each request is handled whole when it arrives (the writes are synchronous), so they run one
// after the other, in the order they came.
port.on('message', handle);

function handle(m: DecisionFileRequest): void {
  try {
    let decided: Decided | undefined;
    if (m.kind === 'lines') {
      decided = decideAll(m);
      write(lines.encodeReused(m.columns));
    } else if (m.kind === 'finish') finish();
    else abort();
    reply(m.seq, writeError, decided);
  } catch (e) {
    reply(m.seq, (e as Error) ?? new Error('write failed'));
  }
  if (m.kind !== 'lines') port?.close();
}

/** The outcomes and alerts of the batches decided here. */
interface Decided {
  outcomes: Record<Outcome, number>;
  alerts: number;
}

/** Decides the message's batches that are not decided yet; their outcomes and alerts, when there were any. */
function decideAll(m: Extract<DecisionFileRequest, { kind: 'lines' }>): Decided | undefined {
  let total: Decided | undefined;
  m.decide.forEach((d, i) => {
    if (!d) return;
    if (!model) throw new Error('the decisions file writer was given no model to decide with');
    const { outcomes, alerts } = decideColumns(m.columns[i] as (typeof m.columns)[number], d.matrix, d.rules, d.at, model);
    total ??= { outcomes: { allow: 0, review: 0, block: 0 }, alerts: 0 };
    total.outcomes.allow += outcomes.allow;
    total.outcomes.review += outcomes.review;
    total.outcomes.block += outcomes.block;
    total.alerts += alerts;
  });
  return total;
}

function reply(seq: number, error: Error | undefined, decided?: Decided): void {
  port?.postMessage((error ? { seq, error: error.message } : { seq, ...decided }) satisfies DecisionFileReply);
}

function write(bytes: Uint8Array): void {
  if (writeError) return;
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
  } catch (e) {
    writeError = e as Error;
  }
}

function close(): void {
  if (fd === -1) return;
  try {
    closeSync(fd);
  } catch (e) {
    writeError ??= e as Error;
  }
  fd = -1;
}

function finish(): void {
  write(lines.end());
  close();
  if (writeError) {
    rmSync(partial, { force: true });
    return;
  }
  renameSync(partial, path);
}

function abort(): void {
  close();
  rmSync(partial, { force: true });
}
