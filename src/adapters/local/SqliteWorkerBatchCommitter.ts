import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Decision } from '../../core/scoring.js';
import type { Alert } from '../../core/views.js';
import type { DecidedItem } from '../../core/records.js';
import type { BatchCommitter, FileCheckpoint } from '../../ports/BatchCommitter.js';
import { type EncodedBatch, encodeBatch, encodedTransferables } from './encodeBatch.js';

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
}

/**
 * A batch posted and not answered yet. Its decisions are indexed by id only when something asks
 * for an id between its least and greatest: a file's duplicate check asks every batch, and
 * indexing each one cost more main-thread time per row than anything else the committer does.
 * Only the decisions are kept, not the items: a batch's transactions then die young, where
 * holding them until the commit made the young generation's collections promote them.
 */
interface InFlight {
  decisions: readonly Decision[];
  committed: Promise<Alert[]>;
  least: string;
  greatest: string;
  byId?: Map<string, Decision>;
}

/**
 * Commits batches to SQLite on a worker thread, so the second core writes one batch while the
 * caller scores the next. The caller encodes each batch in columns (its numbers in typed arrays,
 * transferred, its strings in one string: see `EncodedBatch`); the worker runs the inserts, the commit and the WAL checkpoints, which were a
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
  /** Batches posted and not answered yet, by `seq`, in the order they were posted. */
  private readonly inFlight = new Map<number, InFlight>();

  constructor(private readonly options: SqliteWorkerBatchCommitterOptions) {}

  commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    const { batch, alerts } = encodeBatch(items, checkpoint?.fileId ?? null);
    const seq = ++this.seq;
    const request: CommitRequest = { kind: 'commit', seq, epoch: this.epoch, batch };
    if (checkpoint) request.checkpoint = checkpoint;
    const committed = this.send(request, alerts);
    const decisions = items.map((i) => i.decision);
    const ids = idRange(decisions.map((d) => d.transaction_id));
    if (ids) this.inFlight.set(seq, { decisions, committed, ...ids });
    return committed;
  }

  /**
   * Moves an alert sink's delivery cursor, in order with the batches. The alert dispatcher writes
   * its cursors here while a file is processed: on the main connection each write waited for the
   * worker's transaction to end, in the sleeps of SQLite's busy handler, with the main thread idle.
   */
  async setDeliveryCursor(sink: string, cursor: number): Promise<void> {
    await this.send({ kind: 'cursor', seq: ++this.seq, sink, cursor }, []);
  }

  private send(request: CommitRequest & { seq: number }, alerts: Omit<Alert, 'id'>[]): Promise<Alert[]> {
    return new Promise<Alert[]>((resolve, reject) => {
      this.waiting.set(request.seq, { resolve, reject, alerts });
      const worker = this.running();
      // Keeps the process alive only while something is pending: an idle worker never holds it open.
      worker.ref();
      // The batch's typed arrays move to the worker: this thread does not read them again.
      worker.postMessage(request, request.kind === 'commit' ? encodedTransferables(request.batch) : []);
    });
  }

  pending(id: string): Promise<Decision> | undefined {
    // The last batch holding the id, as a later batch's decision would stand over an earlier one's.
    let found: { decision: Decision; committed: Promise<Alert[]> } | undefined;
    for (const batch of this.inFlight.values()) {
      if (id < batch.least || id > batch.greatest) continue;
      const decision = indexed(batch).get(id);
      if (decision) found = { decision, committed: batch.committed };
    }
    return found && found.committed.then(() => found.decision);
  }

  pendingIds(ids: readonly string[]): ReadonlySet<string> {
    const out = new Set<string>();
    const range = this.inFlight.size > 0 ? idRange(ids) : undefined;
    if (!range) return out;
    for (const batch of this.inFlight.values()) {
      if (range.greatest < batch.least || range.least > batch.greatest) continue;
      const byId = indexed(batch);
      for (const id of ids) if (byId.has(id)) out.add(id);
    }
    return out;
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
    this.inFlight.delete(reply.seq);
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
      this.inFlight.delete(seq);
      w.reject(error);
    }
  }
}

/** The least and the greatest of `ids` (JavaScript's order of strings), or undefined when there are none. */
function idRange(ids: readonly string[]): { least: string; greatest: string } | undefined {
  if (ids.length === 0) return undefined;
  let least = ids[0] as string;
  let greatest = least;
  for (const id of ids) {
    if (id < least) least = id;
    else if (id > greatest) greatest = id;
  }
  return { least, greatest };
}

/** A batch's decisions by id, indexed on first use. */
function indexed(batch: InFlight): Map<string, Decision> {
  if (!batch.byId) {
    batch.byId = new Map();
    for (const decision of batch.decisions) batch.byId.set(decision.transaction_id, decision);
  }
  return batch.byId;
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
