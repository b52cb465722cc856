import { lstat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { FileRulesSource } from '../adapters/local/FileRulesSource.js';
import type { FolderObjectStore } from '../adapters/local/FolderObjectStore.js';
import type { SqliteStateStore } from '../adapters/local/SqliteStateStore.js';
import type { SqliteWorkerBatchCommitter } from '../adapters/local/SqliteWorkerBatchCommitter.js';
import type { FeatureWindows } from '../core/features.js';
import { printable } from '../core/printable.js';
import type { Model } from '../core/model/model.js';
import type { FileIngest } from '../pipeline/ingest.js';
import type { PanTokenizer } from '../core/pan.js';
import type { FieldMap } from '../core/schema.js';
import type { Alert } from '../core/views.js';
import { claimedInboxKey, claimFile, processFile } from '../app/processFile.js';
import type { Receipt } from '../core/receipt.js';
import type { FileRecord } from '../ports/FileLedger.js';
import type { Logger } from '../ports/Logger.js';
import type { ShadowScoring } from '../app/shadowScoring.js';
import type { AlertDispatcher } from './AlertDispatcher.js';
import { DEFAULT_SETTLE_MS, InboxWatcher } from './InboxWatcher.js';

/** Everything the local runtime runs on, built by the wiring module. */
export interface LocalRuntimeDeps {
  objects: FolderObjectStore;
  state: SqliteStateStore;
  /** Where file batches are committed: a worker thread writing while the next batch is scored. */
  commits: SqliteWorkerBatchCommitter;
  features: FeatureWindows;
  rules: FileRulesSource;
  tokenizer: PanTokenizer;
  /** Where inbox files are parsed, validated and tokenised. @default on this thread, with `tokenizer` */
  ingest?: FileIngest;
  dispatcher: AlertDispatcher;
  server: FastifyInstance;
  logger: Logger;
  fieldMap: FieldMap;
  batchSize: number;
  /** Longest CSV row, in characters: a longer one is rejected. @default DEFAULT_MAX_RECORD */
  maxRecord?: number;
  pollMs: number;
  /**
   * How long an inbox file that ends in the middle of a line must hold still before that line is
   * taken as a row. @default 5000
   */
  settleMs?: number;
  /** A trained model combined with the rules. */
  model?: Model;
  /** Called with each finished file's receipt (tests, the CLI). */
  onReceipt?: (receipt: Receipt) => void;
  /** A challenger scored in shadow: files are scored through its feature source and committer. */
  shadow?: ShadowScoring;
}

/** Longest wait before retrying a file whose processing failed unexpectedly. */
const MAX_RETRY_MS = 5 * 60_000;
/**
 * A file's batches scored and not yet committed, at most. Batches are a few hundred rows (see
 * `batchSize`): with two in flight the scoring thread waited on each commit's round trip.
 */
const INBOX_BATCHES_IN_FLIGHT = 8;
/** Longest a rebuild of the feature windows waits for the requests in flight to be answered. */
const MAX_REBUILD_DELAY_MS = 1000;

/**
 * The local runtime: inbox watcher, file processing (one file at a time, in arrival order, so
 * features follow the data), the alert dispatcher and the HTTP API, in one process over SQLite.
 * Work interrupted by a crash is resumed on start, before new files are taken.
 */
export class LocalRuntime {
  private readonly watcher: InboxWatcher;
  private readonly queue: string[] = [];
  private working = false;
  private stopped = false;
  private retryMs = 1000;
  private retryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private swept = false;
  /** The feature windows hold transactions that were not stored: rebuild them once no file is in flight. */
  private rebuildPending = false;
  /** Bounds how long a pending rebuild waits for a burst of requests to end. */
  private rebuildTimer: NodeJS.Timeout | undefined;
  /** `POST /transactions` requests received and not answered yet. */
  private postsInFlight = 0;
  /** The logger, given only printable messages: they quote file names and error texts. */
  private readonly log: Logger;

  constructor(private readonly deps: LocalRuntimeDeps) {
    this.log = printableLogger(deps.logger);
    this.watcher = new InboxWatcher({
      dir: deps.objects.pathOf('inbox'),
      pollMs: deps.pollMs,
      settleMs: deps.settleMs ?? DEFAULT_SETTLE_MS,
      onFile: (name) => this.enqueue(name),
      onSkip: (name, why) => this.log.warn(`inbox: ${name} skipped, ${why}; only regular files are read`),
    });
    this.countPosts(deps.server);
  }

  /** Resumes unfinished files, then starts watching, dispatching and serving. */
  async start(listen: { host: string; port: number }): Promise<string> {
    this.deps.dispatcher.start();
    this.deps.rules.watch();
    const address = await this.deps.server.listen(listen);
    void this.work();
    this.watcher.start();
    return address;
  }

  /** Stops taking work, waits for the current batch to commit, closes everything. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    await this.deps.server.close();
    while (this.working) await new Promise((r) => setTimeout(r, 20));
    await this.deps.dispatcher.flush();
    this.deps.dispatcher.stop();
    await this.deps.shadow?.flush();
    this.deps.rules.close();
    await this.deps.commits.close();
    await this.deps.state.stopCheckpoints();
    this.deps.state.close();
  }

  /** Resolves when no file is queued or being processed (tests, `--once`). */
  idle(): Promise<void> {
    if (!this.working && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * The feature windows count transactions that were never stored (an API group whose commit
   * failed). Rebuilds them from the database once, when the last `POST /transactions` in flight
   * is answered: a burst of failing requests (a full disk fails every group) costs one rebuild,
   * not one per group, and a request sent after the failed one was answered is never scored
   * against it. Requests in flight together with a failed one may count it until then, for at most
   * {@link MAX_REBUILD_DELAY_MS}. While a file is being processed the rebuild waits for the file,
   * because until it is done its batches on the commit worker are in the windows and not yet in
   * the database, and a rebuild would drop them.
   */
  featuresDiverged(): void {
    if (this.stopped) return;
    this.rebuildPending = true;
    if (!this.rebuildTimer) {
      this.rebuildTimer = setTimeout(() => {
        this.rebuildTimer = undefined;
        if (!this.working) this.rebuildIfPending();
      }, MAX_REBUILD_DELAY_MS);
      this.rebuildTimer.unref();
    }
    this.rebuildWhenQuiet();
  }

  /** Alerts created by the API or a file: wake the dispatcher. */
  alerted(_alerts: Alert[]): void {
    this.deps.dispatcher.kick();
  }

  private enqueue(name: string): void {
    if (this.stopped) return;
    this.queue.push(name);
    void this.work();
  }

  private async work(): Promise<void> {
    if (this.working || this.stopped) return;
    this.working = true;
    try {
      if (!this.swept) {
        await this.removeTemporaries();
        this.swept = true;
      }
      // Unfinished files first: after a restart, and after a claim that failed half-way.
      let recover = true;
      while (!this.stopped) {
        if (recover) {
          recover = false;
          for (const file of await this.deps.state.unfinishedFiles()) {
            if (this.stopped) return;
            if (!(await this.recoverClaim(file))) continue;
            this.log.info(`resuming ${file.name} after row ${file.rowsDone} (${file.status})`);
            await this.run(file);
            this.rebuildIfPending();
          }
        }
        const name = this.queue.shift();
        if (name === undefined) break;
        const key = `inbox/${name}`;
        if (!(await this.deps.objects.exists(key))) {
          this.watcher.release(name);
          continue;
        }
        let file: FileRecord;
        try {
          file = await claimFile(key, { objects: this.deps.objects, ledger: this.deps.state });
        } catch (e) {
          // Nothing of it was processed (the feature windows are intact) and it is still in the
          // inbox: the watcher hands it over again after its own backoff, or at once when another
          // file takes its name. Other files go on meanwhile. Registered but not moved, it is
          // unfinished, and taken by the recovery before the next claim.
          const delay = this.watcher.retryLater(name);
          this.log.error(`inbox: could not take ${name}: ${(e as Error).message}; trying again in ${delay} ms`);
          recover = true;
          continue;
        }
        this.watcher.release(name);
        await this.run(file);
        this.rebuildIfPending();
      }
      this.retryMs = 1000;
    } catch (e) {
      this.log.error(`file processing stopped: ${(e as Error).message}; retrying in ${this.retryMs} ms`);
      this.rebuildFeatures();
      this.retryTimer = setTimeout(() => void this.work(), this.retryMs);
      this.retryTimer.unref();
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    } finally {
      this.rebuildIfPending();
      this.working = false;
      if (this.queue.length === 0 || this.stopped) {
        for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }

  /**
   * Removes the temporary files of writes a crash interrupted (a masked copy written during ingest
   * is as large as its file).
   */
  private async removeTemporaries(): Promise<void> {
    for (const folder of ['processing', 'processed', 'failed']) await this.deps.objects.removeTemporaries(folder);
  }

  /**
   * A crash between registering a file and moving it out of the inbox leaves the raw file in the
   * inbox: finish the move. Returns false when the raw file is gone and nothing can be resumed.
   */
  private async recoverClaim(file: FileRecord): Promise<boolean> {
    if (file.status !== 'processing' || (await this.deps.objects.exists(file.workKey))) return true;
    const inboxKey = file.rowsDone === 0 ? await claimedInboxKey(file, this.deps.objects) : undefined;
    if (inboxKey !== undefined) {
      await this.deps.objects.move(inboxKey, file.workKey);
      return true;
    }
    await this.deps.state.setStatus(file.id, 'failed', { error: 'the raw file disappeared while it was being processed' });
    this.log.error(`${file.name}: raw file ${file.workKey} is missing; marked failed`);
    return false;
  }

  private async run(file: FileRecord): Promise<void> {
    const started = Date.now();
    let size = 0;
    try {
      size = (await lstat(this.deps.objects.pathOf(file.workKey))).size;
    } catch {
      // finalizing after a crash: the raw file may already be gone
    }
    if (file.status === 'processing' && file.rowsDone === 0) {
      this.log.info(`${file.name}: processing (${formatBytes(size)})`);
    }
    let lastReport = started;
    const receipt = await processFile(file, {
      objects: this.deps.objects,
      decisions: this.deps.state,
      ledger: this.deps.state,
      commits: this.deps.shadow ? this.deps.shadow.committer(this.deps.commits) : this.deps.commits,
      features: this.deps.shadow?.features ?? this.deps.features,
      rules: () => this.deps.rules.current(),
      model: this.deps.model,
      tokenizer: this.deps.tokenizer,
      ingest: this.deps.ingest,
      fieldMap: this.deps.fieldMap,
      batchSize: this.deps.batchSize,
      maxInFlight: INBOX_BATCHES_IN_FLIGHT,
      settleMs: this.deps.settleMs ?? DEFAULT_SETTLE_MS,
      maxRecord: this.deps.maxRecord,
      logger: this.log,
      onAlerts: (alerts) => this.alerted(alerts),
      onProgress: (_f, progress) => {
        const now = Date.now();
        if (now - lastReport >= 5000 && size > 0) {
          lastReport = now;
          const pct = Math.min(100, (100 * progress.bytesRead) / size).toFixed(0);
          this.log.info(`${file.name}: ${progress.rowsDone.toLocaleString('en-US')} rows (${pct}%)`);
        }
      },
    });
    const c = receipt.counts;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (receipt.status === 'processed') {
      this.log.info(
        `${file.name}: ${n(c.rows)} rows, ${n(c.decided)} decided, ${n(c.rejected)} rejected, ${n(c.duplicates)} duplicates, ${n(c.alerts)} alerts in ${secs}s -> processed/`,
      );
    } else {
      this.log.info(`${file.name}: failed (${receipt.error}) -> failed/`);
    }
    this.deps.onReceipt?.(receipt);
  }

  private rebuildIfPending(): void {
    if (this.rebuildPending && !this.stopped) this.rebuildFeatures();
  }

  /** Rebuilds a pending rebuild if no file is being processed and no POST waits for its answer. */
  private rebuildWhenQuiet(): void {
    if (!this.working && this.postsInFlight === 0) this.rebuildIfPending();
  }

  /**
   * Counts the `POST /transactions` requests in flight. A request is answered in `onSend`, before
   * its reply is written, so a rebuild started there is done before the client can send the next.
   */
  private countPosts(server: FastifyInstance): void {
    const counted = new WeakSet<object>();
    const done = (req: object): void => {
      if (!counted.delete(req)) return;
      this.postsInFlight--;
      this.rebuildWhenQuiet();
    };
    // Callback hooks, not async ones: they run on every request, and an async hook costs a promise
    // and a turn of the microtask queue each time.
    server.addHook('onRequest', (req, _reply, next) => {
      if (req.method === 'POST' && req.routeOptions.url === '/transactions') {
        counted.add(req);
        this.postsInFlight++;
      }
      next();
    });
    server.addHook('onSend', (req, _reply, payload, next) => {
      done(req);
      next(null, payload);
    });
    // A request cut off before its answer is sent is done too.
    server.addHook('onResponse', (req, _reply, next) => {
      done(req);
      next();
    });
  }

  /**
   * After an unexpected failure mid-batch (or a failed API commit), make the in-memory windows
   * match what was committed.
   */
  private rebuildFeatures(): void {
    this.rebuildPending = false;
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.rebuildTimer = undefined;
    this.log.warn('rebuilding feature windows from the database');
    try {
      const fresh = replayInto(this.deps.state, this.deps.features);
      this.log.info(`feature windows rebuilt from ${fresh} transactions`);
    } catch (e) {
      // The database cannot be read either: try again after the next file or the next failure.
      this.rebuildPending = true;
      this.log.error(`could not rebuild the feature windows: ${(e as Error).message}`);
    }
  }
}

/** Passes every message (and string field) through {@link printable} before `logger` sees it. */
function printableLogger(logger: Logger): Logger {
  const fieldsOf = (fields?: Record<string, unknown>) =>
    fields &&
    Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? printable(v) : v]));
  return {
    info: (m, f) => logger.info(printable(m), fieldsOf(f)),
    warn: (m, f) => logger.warn(printable(m), fieldsOf(f)),
    error: (m, f) => logger.error(printable(m), fieldsOf(f)),
  };
}

/** Replays stored transactions (within the feature horizon) into the windows; returns how many. */
export function replayInto(state: SqliteStateStore, features: FeatureWindows): number {
  features.clear();
  const latest = state.latestTimestamp();
  if (latest === undefined) return 0;
  let n = 0;
  for (const tx of state.replay(latest - features.horizonMs)) {
    features.observe(tx);
    n++;
  }
  // Labels reported through the API after the fact become known again when they did.
  for (const l of state.reportedLabels()) features.labels?.scheduleAt(l.transaction, l.label, l.knownAt);
  return n;
}

function n(v: number): string {
  return v.toLocaleString('en-US');
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}
