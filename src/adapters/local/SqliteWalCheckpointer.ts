import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** A message to the checkpoint thread. */
export type CheckpointRequest = { kind: 'checkpoint'; seq: number } | { kind: 'close' };

/** What one PASSIVE checkpoint did: frames in the WAL, and how many of them are in the database now. */
export type CheckpointReply =
  | { seq: number; busy: boolean; log: number; checkpointed: number }
  | { seq: number; error: string };

/** Options of {@link SqliteWalCheckpointer}. */
export interface SqliteWalCheckpointerOptions {
  /** The database file (the thread opens its own connection to it). */
  path: string;
  /** The connection that commits: its automatic checkpoints are turned off while this runs. */
  db: Database.Database;
  /**
   * Commits on `db` between two checkpoint passes on the thread. A commit of one API request
   * writes about 5 WAL pages, so 100 of them are about SQLite's own default of 1000 pages.
   * @default 100
   */
  commitsPerPass?: number;
  /**
   * WAL size, in frames (pages), at which `db` finishes a checkpoint itself so that its next
   * commit starts the WAL file over. 8192 frames of 4 KiB: the WAL file stays under about 32 MiB.
   * @default 8192
   */
  restartFrames?: number;
  /** Told when the thread fails and SQLite's automatic checkpoints are back on `db`. */
  onFallback?: (error: Error) => void;
  /** The thread's module. @default the compiled `sqliteCheckpointWorker.js` */
  entry?: URL;
}

/** SQLite's automatic checkpoint threshold, restored if the thread fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

/**
 * Runs the WAL checkpoints of a connection on a thread of their own. With SQLite's automatic
 * checkpoint, the commit that takes the WAL past 1000 pages copies them into the database and
 * syncs both files before it returns, and on the HTTP path that commit's request waits for it:
 * it set the p99. Here the thread copies and syncs (a PASSIVE checkpoint, which never
 * blocks the writer) while the writer keeps committing.
 *
 * What the thread cannot do is start the WAL file over: SQLite reuses the file from the top only
 * when a writer begins with every frame already copied, which never happens while commits land
 * during each pass. So once the WAL reaches `restartFrames`, the writer's own connection runs one
 * PASSIVE checkpoint between two commits: the thread has copied and synced all but the last
 * pass's frames, so that step copies few, and the next commit restarts the WAL. The file stays
 * bounded, and the writer waits for a checkpoint once per `restartFrames` instead of once per
 * 1000 pages.
 *
 * @example
 * const checkpoints = new SqliteWalCheckpointer({ path: 'data/fraudmini.db', db });
 * db.transaction(() => insertRows())();
 * checkpoints.committed();
 * await checkpoints.close();
 */
export class SqliteWalCheckpointer {
  private readonly worker: Worker;
  private readonly commitsPerPass: number;
  private readonly restartFrames: number;
  private commits = 0;
  private seq = 0;
  private passing = false;
  private stopped = false;
  private restartAt: number;
  private passCount = 0;
  private restartCount = 0;
  private idleWaiters: (() => void)[] = [];
  private last: { log: number; checkpointed: number } | undefined;

  constructor(private readonly options: SqliteWalCheckpointerOptions) {
    this.commitsPerPass = options.commitsPerPass ?? 100;
    this.restartFrames = options.restartFrames ?? 8192;
    this.restartAt = this.restartFrames;
    options.db.pragma('wal_autocheckpoint = 0');
    this.worker = new Worker(options.entry ?? defaultEntry(), { workerData: { path: options.path } });
    // Never what keeps the process alive: a checkpoint not run is only a longer WAL.
    this.worker.unref();
    this.worker.on('message', (reply: CheckpointReply) => this.settle(reply));
    this.worker.on('error', (e) => this.fallBack(e));
    this.worker.on('exit', (code) => {
      if (!this.stopped) this.fallBack(new Error(`checkpoint thread exited (${code})`));
      this.passed();
    });
  }

  /** Passes the thread has finished. */
  get passes(): number {
    return this.passCount;
  }

  /** Frames in the WAL, and copied to the database, after the last pass. */
  get lastPass(): { log: number; checkpointed: number } | undefined {
    return this.last;
  }

  /** Times the writer's connection finished a checkpoint itself to start the WAL over. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Resolves when no pass is running on the thread (tests pace their commits with it). */
  idle(): Promise<void> {
    if (!this.passing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Call after each commit on the writer's connection: every `commitsPerPass`, the thread runs a pass. */
  committed(): void {
    if (this.stopped || ++this.commits < this.commitsPerPass || this.passing) return;
    this.commits = 0;
    this.passing = true;
    this.worker.postMessage({ kind: 'checkpoint', seq: ++this.seq } satisfies CheckpointRequest);
  }

  /** Stops the thread after the pass it is running; resolves once it has closed its connection. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const exited = once(this.worker, 'exit');
    this.worker.postMessage({ kind: 'close' } satisfies CheckpointRequest);
    await exited;
  }

  private settle(reply: CheckpointReply): void {
    if (!this.stopped) {
      if ('error' in reply) this.fallBack(new Error(`checkpoint failed: ${reply.error}`));
      else {
        this.passCount++;
        this.last = { log: reply.log, checkpointed: reply.checkpointed };
        if (reply.log >= this.restartAt) this.restart();
      }
    }
    this.passed();
  }

  private passed(): void {
    this.passing = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * The writer's own checkpoint, between commits: nothing commits while it runs, so when it has
   * copied every frame the next commit starts the WAL over. When it could not (another connection
   * was writing or checkpointing), the next attempt waits for another `restartFrames`, so a busy
   * database does not make every pass cost the writer a checkpoint.
   */
  private restart(): void {
    const [r] = this.options.db.pragma('wal_checkpoint(PASSIVE)') as { busy: number; log: number; checkpointed: number }[];
    this.restartCount++;
    const complete = r !== undefined && r.busy === 0 && r.checkpointed === r.log;
    this.restartAt = complete ? this.restartFrames : (r?.log ?? 0) + this.restartFrames;
  }

  /** The thread is gone: SQLite checkpoints inside commits again, as it does by default. */
  private fallBack(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    this.passed();
    if (this.options.db.open) this.options.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    this.options.onFallback?.(error);
    void this.worker.terminate();
  }
}

/**
 * The thread's module, compiled beside this one. Under vitest the sources run as TypeScript, which
 * a worker thread on Node 20 cannot load, so there the build in `dist/` is used (`npm test`
 * builds first), as for the commit worker.
 */
function defaultEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../../dist/adapters/local/sqliteCheckpointWorker.js', here)
    : new URL('./sqliteCheckpointWorker.js', here);
}
