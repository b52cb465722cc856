import { Worker } from 'node:worker_threads';
import { IdSet } from '../../core/idSet.js';
import {
  addBatch,
  emptyCounts,
  keepRejections,
  RECEIPT_REJECTION_LIMIT,
  type ReceiptCounts,
  type Rejection,
  tallyBatch,
} from '../../core/receipt.js';
import type { Model, ModelFile } from '../../core/model/model.js';
import type { DecidedItem } from '../../core/records.js';
import type { RuleSet } from '../../core/rules.js';
import type { Decision, Outcome } from '../../core/scoring.js';
import type { Alert } from '../../core/views.js';
import type { BatchCommitter, FileCheckpoint, PreparedRows } from '../../ports/BatchCommitter.js';
import { type DecisionColumns, type DecisionFileFormat, decisionColumns, transferables, undecidedColumns } from './decisionLines.js';

export type { DecisionFileFormat } from './decisionLines.js';

/** What the writer thread needs to decide a batch of undecided columns (see `decideColumns`). */
export interface DecideRequest {
  /** The batch's model vectors, a row each. */
  matrix: Float64Array;
  rules: Pick<RuleSet, 'thresholds' | 'version'>;
  at: string;
}

/**
 * A message to the writer thread. Lines: batches of columns in order, each decided already or
 * (`decide[i]` given) to be decided there first.
 */
export type DecisionFileRequest =
  | { kind: 'lines'; seq: number; columns: DecisionColumns[]; decide: (DecideRequest | null)[] }
  | { kind: 'finish'; seq: number }
  | { kind: 'abort'; seq: number };

/**
 * The writer thread's answer to one request: done (with the outcomes and alerts of the batches it
 * decided), or the write error met so far.
 */
export type DecisionFileReply = { seq: number; outcomes?: Record<Outcome, number>; alerts?: number } | { seq: number; error: string };

/** What the writer thread is started with. */
export interface DecisionFileSetup {
  path: string;
  format: DecisionFileFormat;
  /** The model the thread decides prepared batches with (its file: the thread loads it). */
  model?: ModelFile;
}

/** The decisions file could not be written (disk full, folder gone). */
export class DecisionFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionFileError';
  }
}

/** Messages handed to the writer thread and not yet written, before {@link DecisionFileWriter.commit} waits. */
const WRITES_AHEAD = 2;

/**
 * Decisions gathered before they go to the writer thread in one message: a message costs about
 * the same whatever its size (the thread is woken for each), so a batch per message made the
 * handover a large part of scoring.
 */
const ROWS_PER_MESSAGE = 2000;

/**
 * The committer of `fraudmini score`: each batch's decisions become lines of a decisions file
 * (JSON Lines or CSV, one per decision: the decision contract plus row, time, account, masked
 * card and amount), and its checkpoint is counted into the file's receipt counts in memory. The
 * ids written are kept ({@link decided}), so a later row with one is a duplicate.
 *
 * The lines are formatted and written on a worker thread (`decisionFileWorker`): the caller
 * hands over each batch as columns ({@link decisionColumns}) and goes on scoring on its core
 * while the other one formats and writes. Batches go over a few at a time ({@link ROWS_PER_MESSAGE}),
 * and up to {@link WRITES_AHEAD} such messages may wait there; a write error is raised by a later
 * {@link commit} or by {@link finish}.
 *
 * The file is written beside `path` (`<path>.part`) and renamed into place by {@link finish}, so a
 * run that fails neither leaves a half-written file nor clobbers earlier results ({@link abort}).
 */
export class DecisionFileWriter implements BatchCommitter {
  /** Every id written, for the duplicate check over the whole file: compact and exact. */
  readonly decided = new IdSet();
  private counts: ReceiptCounts = emptyCounts();
  private kept: Rejection[] = [];
  private readonly worker: Worker;
  private seq = 0;
  /** Batches committed and not yet handed to the writer thread, and their rows. */
  private gathered: DecisionColumns[] = [];
  /** Per gathered batch: what deciding it there needs, or null when it is decided. */
  private decide: (DecideRequest | null)[] = [];
  private gatheredRows = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** Answers to batches not yet awaited, oldest first. */
  private readonly ahead: Promise<void>[] = [];
  /** The first write error, raised from then on. */
  private failed: Error | undefined;
  private ended = false;
  /** Resolves when the worker has stopped, however it stopped. */
  private readonly exited: Promise<void>;
  private dead = false;
  private readonly model: Model | undefined;

  /**
   * With `options.model`, the writer also takes batches not yet decided ({@link commitPrepared})
   * and decides them with that model on its thread.
   */
  constructor(
    path: string,
    format: DecisionFileFormat = /\.csv$/i.test(path) ? 'csv' : 'jsonl',
    entry: URL = defaultEntry(),
    options: { model?: Model } = {},
  ) {
    this.model = options.model;
    const setup: DecisionFileSetup = { path, format, model: options.model?.file };
    // A small young generation: the thread's garbage is short-lived line strings, and the
    // default one cost about 40 MB more peak memory for no speed.
    this.worker = new Worker(entry, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (r: DecisionFileReply) => this.settle(r));
    this.worker.on('error', (e) => this.failAll(new DecisionFileError(`the decisions file writer failed: ${e.message}`)));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.dead = true;
        // After finish or abort the worker is meant to stop, with nothing left waiting.
        if (!this.ended || this.waiting.size > 0) this.failAll(new DecisionFileError(`the decisions file writer stopped (exit ${code})`));
        resolve();
      });
    });
  }

  /** The counts of every batch committed so far (the counting rules of `addBatch` hold). */
  get receiptCounts(): ReceiptCounts {
    return this.counts;
  }

  /** The first rejections, up to the receipt's limit (the count is in {@link receiptCounts}). */
  get rejections(): Rejection[] {
    return this.kept;
  }

  async commit(items: readonly DecidedItem[], checkpoint?: FileCheckpoint): Promise<Alert[]> {
    if (this.failed) throw this.failed;
    this.count(items, items.map((i) => i.decision), checkpoint);
    await this.gather(decisionColumns(items), null);
    // Alerts are for the runtimes: a decisions file holds the outcomes, nobody is alerted.
    return [];
  }

  /**
   * A batch not yet decided: it is decided on the writer thread with the model this writer was
   * given, as `commit` would have been given its decisions, and then written. Its outcomes and
   * alerts count into {@link receiptCounts} once the thread has decided it (every batch's by
   * {@link finish}).
   */
  async commitPrepared(rows: PreparedRows, checkpoint?: FileCheckpoint): Promise<Alert[]> {
    if (this.failed) throw this.failed;
    if (!this.model) throw new Error('this decisions file writer has no model to decide with');
    // Decided, as far as the receipt's balance goes; outcomes and alerts come with the answer.
    this.count(rows.fresh, undefined, checkpoint);
    const { thresholds, version } = rows.rules;
    await this.gather(undecidedColumns(rows), { matrix: rows.matrix, rules: { thresholds, version }, at: rows.at });
    return [];
  }

  /**
   * Counts a batch into the receipt and its ids as decided: with `decisions`, their outcomes and
   * alerts too (else they are counted when the writer thread has decided the batch).
   */
  private count(items: readonly Omit<DecidedItem, 'decision'>[], decisions: readonly Decision[] | undefined, checkpoint?: FileCheckpoint): void {
    for (const { transaction } of items) this.decided.add(transaction.transactionId);
    const rejections = checkpoint?.rejections ?? [];
    this.kept = keepRejections(this.kept, rejections, RECEIPT_REJECTION_LIMIT);
    const tally = tallyBatch(decisions ?? [], checkpoint?.duplicates ?? 0, rejections.length);
    this.counts = addBatch(this.counts, { ...tally, decided: items.length });
  }

  /** Adds a batch to the next message, sent once it holds enough rows. */
  private async gather(columns: DecisionColumns, decide: DecideRequest | null): Promise<void> {
    this.gathered.push(columns);
    this.decide.push(decide);
    this.gatheredRows += columns.size;
    if (this.gatheredRows >= ROWS_PER_MESSAGE) await this.flush();
    if (this.failed) throw this.failed;
  }

  /** Hands the gathered batches to the writer thread, waiting while too many are there already. */
  private async flush(): Promise<void> {
    if (this.gathered.length === 0) return;
    const columns = this.gathered;
    const decide = this.decide;
    this.gathered = [];
    this.decide = [];
    this.gatheredRows = 0;
    const transfer = columns.flatMap(transferables);
    for (const d of decide) if (d) transfer.push(d.matrix.buffer as ArrayBuffer);
    // A failed write is kept in `failed` (see settle) and raised by the caller or a later call.
    const written = this.send({ kind: 'lines', seq: ++this.seq, columns, decide }, transfer).catch(() => undefined);
    this.ahead.push(written);
    while (this.ahead.length > WRITES_AHEAD) await this.ahead.shift();
  }

  /** Written batches are decided at once ({@link decided}): none is ever pending. */
  pending(): undefined {
    return undefined;
  }

  pendingIds(): ReadonlySet<string> {
    return new Set();
  }

  /** Writes what is left, closes the file and renames it into place; raises a write error instead, removing the partial file. */
  async finish(): Promise<void> {
    await this.end('finish');
  }

  /** Closes and removes the partial file: nothing is left of a run that failed. */
  async abort(): Promise<void> {
    await this.end('abort').catch(() => undefined);
  }

  private async end(kind: 'finish' | 'abort'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (kind === 'finish') await this.flush();
    else {
      this.gathered = [];
      this.decide = [];
    }
    // The batches are answered before the last request, which reports their write error too.
    const earlier = this.ahead.splice(0);
    const done = this.send({ kind, seq: ++this.seq }).catch(() => undefined);
    await Promise.all(earlier);
    await done;
    await this.exited;
    if (this.failed) throw this.failed;
  }

  private send(request: DecisionFileRequest, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.dead) return Promise.reject(this.failed);
    const answered = new Promise<void>((resolve, reject) => this.waiting.set(request.seq, { resolve, reject }));
    this.worker.postMessage(request, transfer);
    return answered;
  }

  private settle(reply: DecisionFileReply): void {
    const w = this.waiting.get(reply.seq);
    if (!w) return;
    this.waiting.delete(reply.seq);
    if ('error' in reply) {
      this.failed ??= new DecisionFileError(`cannot write the decisions file: ${reply.error}`);
      w.reject(this.failed);
      return;
    }
    if (reply.outcomes) {
      this.counts = addBatch(this.counts, { decided: 0, duplicates: 0, rejected: 0, alerts: reply.alerts ?? 0, outcomes: reply.outcomes });
    }
    w.resolve();
  }

  /** Nothing asked of the worker can still be answered. */
  private failAll(error: Error): void {
    this.failed ??= error;
    for (const [seq, w] of this.waiting) {
      this.waiting.delete(seq);
      w.reject(this.failed);
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
    ? new URL('../../../dist/adapters/local/decisionFileWorker.js', here)
    : new URL('./decisionFileWorker.js', here);
}
