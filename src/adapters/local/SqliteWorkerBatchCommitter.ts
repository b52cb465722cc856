import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Decision } from '../../core/scoring.js';
import type { Alert } from '../../core/views.js';
import type { DecidedItem } from '../../core/records.js';
import type { BatchCommitter, FileCheckpoint } from '../../ports/BatchCommitter.js';
import { type EncodedBatch, encodeBatch } from './encodeBatch.js';

/** A message to the commit worker. */
export type CommitRequest =
  | { kind: 'commit'; seq: number; epoch: number; batch: EncodedBatch; checkpoint?: FileCheckpoint }
  | { kind: 'cursor'; seq: number; sink: string; cursor: number }
  | { kind: 'close' };

/** The commit worker's answer to one batch: its alert ids, or why it was not committed. */
export type CommitReply = { seq: number; alertIds: number[] } | { seq: number; error: string };

/** A batch the commit worker did not store. */
export class SqliteCommitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SqliteCommitError';
  }
}

/** Options of {@link SqliteWorkerBatchCommitter}. */
export interface SqliteWorkerBatchCommitterOptions {
  /** The database file (the worker opens its own connection; WAL lets the caller's connection read meanwhile). */
  path: string;
  /** The worker's module. @default the compiled `sqliteCommitWorker.js` */
  entry?: URL;
}

interface Waiting {
  resolve: (alerts: Alert[]) => void;
  reject: (e: Error) => void;
  alerts: Omit<Alert, 'id'>[];
  ids: string[];
}

/**
 * Commits batches to SQLite on a worker thread, so the second core writes one batch while the
 * caller scores the next. The caller encodes each batch (plain strings and numbers, a cheap copy
 * to the worker); the worker runs the inserts, the commit and the WAL checkpoints, which were a
 * large share of the local pipeline's single-threaded time. Posting the decided objects instead and
 * encoding in the worker saved the caller little and doubled the worker's time, and the worker is
 * what limits the pipeline once scoring gets faster.
 *
 * Batches commit in order, each with its file checkpoint in one transaction, as with
 * `SqliteStateStore.commit`. A failed file batch fails that file's batches already queued behind
 * it (the worker refuses the rest of that epoch), and a worker that dies fails everything pending;
 * the next commit starts a fresh worker. The caller decides how many batches it lets be in flight.
 * {@link pending} lets other writers (the API) see decisions that are made but not yet stored.
 *
 * @example
 * const commits = new SqliteWorkerBatchCommitter({ path: 'data/fraudmini.db' });
 * const alerts = await commits.commit(scored.decided, checkpoint);
 * await commits.close();
 */
export class SqliteWorkerBatchCommitter implements BatchCommitter {
  private worker: Worker | undefined;
  private seq = 0;
  /** A file's batches posted in the epoch one of them failed are refused; later ones start a new epoch. */
  private epoch = 0;
  private readonly waiting = new Map<number, Waiting>();
  private readonly inFlight = new Map<string, { decision: Decision; batch: Promise<Alert[]> }>();

  constructor(private readonly options: SqliteWorkerBatchCommitterOptions) {}

  commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    const { batch, alerts } = encodeBatch(items, checkpoint?.fileId ?? null);
    const seq = ++this.seq;
    const request: CommitRequest = { kind: 'commit', seq, epoch: this.epoch, batch };
    if (checkpoint) request.checkpoint = checkpoint;
    const ids = items.map((i) => i.decision.transaction_id);
    const committed = this.send(request, alerts, ids);
    for (const { decision } of items) this.inFlight.set(decision.transaction_id, { decision, batch: committed });
    return committed;
  }

  /**
   * Moves an alert sink's delivery cursor, in order with the batches. The alert dispatcher writes
   * its cursors here while a file is processed: on the main connection each write waited for the
   * worker's transaction to end, in the sleeps of SQLite's busy handler, with the main thread idle.
   */
  async setDeliveryCursor(sink: string, cursor: number): Promise<void> {
    await this.send({ kind: 'cursor', seq: ++this.seq, sink, cursor }, [], []);
  }

  private send(request: CommitRequest & { seq: number }, alerts: Omit<Alert, 'id'>[], ids: string[]): Promise<Alert[]> {
    return new Promise<Alert[]>((resolve, reject) => {
      this.waiting.set(request.seq, { resolve, reject, alerts, ids });
      const worker = this.running();
      // Keeps the process alive only while something is pending: an idle worker never holds it open.
      worker.ref();
      worker.postMessage(request);
    });
  }

  pending(id: string): Promise<Decision> | undefined {
    const entry = this.inFlight.get(id);
    return entry?.batch.then(() => entry.decision);
  }

  /** Batches posted and not answered yet. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Lets queued batches commit, then stops the worker. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = once(worker, 'exit');
    worker.ref();
    worker.postMessage({ kind: 'close' } satisfies CommitRequest);
    await exited;
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.options.entry ?? defaultEntry(), { workerData: { path: this.options.path } });
    worker.on('message', (reply: CommitReply) => this.settle(reply));
    worker.on('error', (e) => this.failAll(worker, new SqliteCommitError(`commit worker failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => this.failAll(worker, new SqliteCommitError(`commit worker exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: CommitReply): void {
    const w = this.waiting.get(reply.seq);
    if (!w) return;
    this.waiting.delete(reply.seq);
    if (this.waiting.size === 0) this.worker?.unref();
    for (const id of w.ids) this.inFlight.delete(id);
    if ('error' in reply) {
      this.epoch++;
      w.reject(new SqliteCommitError(reply.error));
      return;
    }
    w.resolve(w.alerts.map((body, i) => ({ id: reply.alertIds[i] as number, ...body })));
  }

  /** The worker is gone: nothing pending can be known to be committed; the next commit starts a new one. */
  private failAll(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    this.epoch++;
    for (const [seq, w] of this.waiting) {
      this.waiting.delete(seq);
      for (const id of w.ids) this.inFlight.delete(id);
      w.reject(error);
    }
  }
}

/**
 * The worker module, compiled beside this one. Under vitest the sources run as TypeScript, which
 * a worker thread on Node 20 cannot load, so there the build in `dist/` is used (`npm test`
 * builds first).
 */
function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/adapters/local/sqliteCommitWorker.js', here)
    : new URL('./sqliteCommitWorker.js', here);
}
