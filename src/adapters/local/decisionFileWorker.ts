import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { type DecisionFileFormat, DecisionLines } from './decisionLines.js';
import type { DecisionFileReply, DecisionFileRequest } from './DecisionFileWriter.js';

/**
 * The writer thread of {@link DecisionFileWriter}: formats each batch's decision columns as lines
 * and writes them to `<path>.part`, in arrival order, answering each batch once its bytes are
 * with the stream (after a drain when the stream is full). `finish` closes the file and renames it
 * into place, or removes it after a write error; `abort` removes it.
 */
const port = parentPort;
if (!port) throw new Error('decisionFileWorker runs as a worker thread');
const { path, format } = workerData as { path: string; format: DecisionFileFormat };
const partial = `${path}.part`;
const out = createWriteStream(partial, { mode: 0o600 });
const lines = new DecisionLines(format);
/** A write error (disk full, no such folder), kept and reported for every later request. */
let writeError: Error | undefined;
out.on('error', (e) => {
  writeError = e;
});
/** Requests run one after the other, in the order they came. */
let queue: Promise<void> = Promise.resolve();

port.on('message', (m: DecisionFileRequest) => {
  queue = queue.then(() => handle(m));
});

async function handle(m: DecisionFileRequest): Promise<void> {
  try {
    if (m.kind === 'lines') for (const c of m.columns) await write(lines.encode(c));
    else if (m.kind === 'finish') await finish();
    else await abort();
    reply(m.seq, writeError);
  } catch (e) {
    reply(m.seq, (e as Error) ?? new Error('write failed'));
  }
  if (m.kind !== 'lines') port?.close();
}

function reply(seq: number, error: Error | undefined): void {
  port?.postMessage((error ? { seq, error: error.message } : { seq }) satisfies DecisionFileReply);
}

async function write(bytes: Uint8Array): Promise<void> {
  if (writeError) return;
  if (!out.write(bytes)) {
    // Resume on drain, or on close after an error.
    await new Promise<void>((resume) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('close', done);
        resume();
      };
      out.once('drain', done);
      out.once('close', done);
    });
  }
}

async function close(): Promise<void> {
  if (!out.closed) {
    out.end();
    await once(out, 'close');
  }
}

async function finish(): Promise<void> {
  await write(lines.end());
  await close();
  if (writeError) {
    rmSync(partial, { force: true });
    return;
  }
  renameSync(partial, path);
}

async function abort(): Promise<void> {
  await close();
  rmSync(partial, { force: true });
}
