import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Sfc32 } from '../../src/synth/random.js';
import { ApiClients, type ApiLog } from './ApiClients.js';
import { FlakyWebhook } from './FlakyWebhook.js';
import { FraudminiProcess, sleep } from './FraudminiProcess.js';
import { type EndState, verify, type VerifyInput } from './verify.js';
import { buildWorkload, type PlannedFile } from './workload.js';

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** SIGKILLs before the final, undisturbed run. */
  kills: number;
  /** Seeds the workload and every random choice of the run (the timing of the machine still varies). */
  seed: number;
  /** Inbox files. @default kills + 10 */
  files?: number;
  /** Rows of the largest file. @default 30000 */
  maxRows?: number;
  /** Distinct POSTed transactions. @default 150 per kill, at least 300 */
  posts?: number;
  /** Rows per committed batch of a file (small batches: many checkpoints to die between). @default 250 */
  batchSize?: number;
  /** The data dir; a fresh temporary one when unset. */
  dataDir?: string;
  /** Keep the data dir even when every check passed. @default false */
  keep?: boolean;
  /** Progress lines (one per kill). */
  progress?: (line: string) => void;
}

/** Where a kill was aimed. */
export type KillTarget = 'delay' | 'startup' | 'claim' | 'ingest' | 'finalize' | 'post' | 'label' | 'webhook';

/** One SIGKILL: what it waited for and what was under way when it landed. */
export interface KillRecord {
  target: KillTarget;
  /** The awaited moment did not come in time: killed anyway. */
  fellBack: boolean;
  /** What was under way: startup, ingest, finalize, POST, label, webhook. */
  during: string[];
}

/** The outcome of a chaos run. */
export interface ChaosResult {
  seed: number;
  dataDir: string;
  /** Whether the data dir was left in place. */
  kept: boolean;
  kills: KillRecord[];
  /** Times fraudmini was started. */
  starts: number;
  /** Milliseconds from spawn to answering `/healthz`, per start that got that far. */
  readyMs: number[];
  /** `resuming ...` lines in fraudmini's log: unfinished files taken up again after a kill. */
  resumed: number;
  /** Lines of fraudmini's log that report recovered failures (`file processing stopped`, `request failed`). */
  recoveredErrors: { fileProcessing: number; requests: number };
  files: number;
  api: ApiLog;
  end: EndState | undefined;
  /** What the end state was checked against (the checks can be run again on a kept data dir). */
  checked: VerifyInput;
  violations: string[];
  seconds: number;
}

const TARGETS: [KillTarget, number][] = [
  ['delay', 0.25],
  ['claim', 0.05],
  ['ingest', 0.2],
  ['finalize', 0.1],
  ['post', 0.1],
  ['label', 0.1],
  ['webhook', 0.1],
  ['startup', 0.1],
];

/** How long a kill waits for the moment it aims at before it lands anyway. */
const TARGET_WAIT_MS = 5000;
/** How long the final run may take to finish the inbox, and then to deliver every alert. */
const FINISH_MS = 300_000;
const DELIVER_MS = 120_000;

/**
 * A chaos run against the real `fraudmini start`: drops files into the inbox, POSTs transactions
 * and labels, and runs a webhook that fails part of the time, while SIGKILLing the process
 * `kills` times at random moments (aimed at startup, a file just claimed, ingest, finalizing, a
 * POST, a label or a webhook delivery) and starting it again each time. Then it heals the
 * webhook, lets one last run finish everything, stops it and checks the end state ({@link verify}).
 *
 * @example
 * const result = await runChaos({ kills: 3, seed: 7, maxRows: 2000 });
 * if (result.violations.length > 0) process.exitCode = 1;
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const seed = options.seed >>> 0;
  const say = options.progress ?? (() => undefined);
  const files = options.files ?? options.kills + 10;
  const workload = buildWorkload({
    seed,
    files,
    maxRows: options.maxRows ?? 30_000,
    posts: options.posts ?? Math.max(300, 150 * options.kills),
  });
  const rng = new Sfc32((seed ^ 0x9e3779b9) >>> 0);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'fraudmini-chaos-'));
  const inbox = join(dataDir, 'inbox');
  mkdirSync(inbox, { recursive: true });
  const logPath = join(dataDir, 'chaos-fraudmini.log');
  const webhook = new FlakyWebhook(new Sfc32((seed + 0x51) >>> 0));
  const proc = new FraudminiProcess({
    dataDir,
    port: await freePort(),
    webhookUrl: await webhook.listen(),
    tokenKey: 'chaos-token-key-0123456789abcdef',
    batchSize: options.batchSize ?? 250,
    logPath,
  });

  const dropped: PlannedFile[] = [];
  const droppedIds: string[] = [];
  const drop = (file: PlannedFile): void => {
    // Written under a name the watcher ignores, then renamed: the inbox never shows half a file.
    writeFileSync(join(inbox, `${file.name}.part`), file.csv);
    renameSync(join(inbox, `${file.name}.part`), join(inbox, file.name));
    dropped.push(file);
    file.ids.forEach((id, i) => {
      if (!file.invalidRows.has(i + 1)) droppedIds.push(id);
    });
  };
  const clients = new ApiClients({ url: proc.url, posts: workload.posts, fileIds: () => droppedIds, rng });

  const checked: VerifyInput = { dataDir, files: workload.files, posts: workload.posts, api: clients.log, webhook: webhook.log };
  const kills: KillRecord[] = [];
  const violations: string[] = [];
  let end: EndState | undefined;
  let chaosOver = false;
  try {
    proc.start();
    await proc.waitReady();
    clients.start();
    say(`seed ${seed}: ${workload.files.length} files, ${workload.posts.length} POSTs, ${options.kills} kills, data dir ${dataDir}`);
    drop(workload.files[0] as PlannedFile);
    const dropper = (async () => {
      for (const file of workload.files.slice(1)) {
        await sleep(200 + rng.int(1000));
        if (chaosOver) return;
        drop(file);
      }
    })();

    for (let k = 0; k < options.kills; k++) {
      // The first kill always waits for a file mid-ingest, so every run proves a resume.
      const target: KillTarget = k === 0 ? 'ingest' : pick(rng);
      const startedAt = Date.now();
      if (target !== 'startup') await proc.waitReady();
      const fellBack = !(await aim(target, { rng, proc, clients, webhook, dataDir, startedAt }));
      const during: string[] = [];
      if (!proc.ready) during.push('startup');
      if (clients.postsInFlight > 0) during.push('POST');
      if (clients.labelsInFlight > 0) during.push('label');
      if (webhook.inFlight > 0) during.push('webhook');
      if (!proc.running) throw new Error('fraudmini exited on its own');
      await proc.kill();
      during.push(...unfinishedStages(dataDir));
      kills.push({ target, fellBack, during });
      say(`kill ${k + 1}/${options.kills}: aimed at ${target}${fellBack ? ' (not seen in time)' : ''}, landed during ${during.join(', ') || 'idle'}`);
      if (k < options.kills - 1) {
        await sleep(rng.int(200));
        proc.start();
      }
    }

    // The end: the webhook comes back, the rest of the files go in, one run finishes everything.
    chaosOver = true;
    await dropper;
    for (const file of workload.files) if (!dropped.includes(file)) drop(file);
    webhook.heal();
    if (options.kills > 0) proc.start();
    await proc.waitReady();
    // Re-POSTs and labels go on while the last files are processed; then every POST gets its answer.
    await waitUntil(() => inboxDone(dataDir, dropped), FINISH_MS, 'the final run did not finish every file', violations);
    await clients.finish();
    await waitUntil(() => alertsDelivered(dataDir, webhook), DELIVER_MS, 'the final run did not deliver every alert', violations);
    if (!(await proc.stop())) violations.push('fraudmini did not stop on SIGTERM within a minute');
    const verdict = verify(checked);
    violations.push(...verdict.violations);
    end = verdict.end;
  } catch (e) {
    violations.push(`the run stopped: ${(e as Error).message}`);
    await clients.abort();
  } finally {
    chaosOver = true;
    await proc.kill();
    await webhook.close();
  }

  const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
  const count = (re: RegExp): number => (log.match(re) ?? []).length;
  const kept = options.keep === true || violations.length > 0;
  if (!kept) rmSync(dataDir, { recursive: true, force: true });
  return {
    seed,
    dataDir,
    kept,
    kills,
    starts: proc.starts,
    readyMs: proc.readyMs,
    resumed: count(/^\S+ resuming /gm),
    recoveredErrors: { fileProcessing: count(/file processing stopped/g), requests: count(/request failed/g) },
    files: workload.files.length,
    api: clients.log,
    end,
    checked,
    violations,
    seconds: (Date.now() - started) / 1000,
  };
}

function pick(rng: Sfc32): KillTarget {
  let p = rng.float();
  for (const [target, weight] of TARGETS) {
    if (p < weight) return target;
    p -= weight;
  }
  return 'delay';
}

interface AimContext {
  rng: Sfc32;
  proc: FraudminiProcess;
  clients: ApiClients;
  webhook: FlakyWebhook;
  dataDir: string;
  startedAt: number;
}

/** Waits for the moment a kill aims at; false when it did not come within {@link TARGET_WAIT_MS}. */
async function aim(target: KillTarget, c: AimContext): Promise<boolean> {
  switch (target) {
    case 'delay':
      await sleep(100 + c.rng.int(2400));
      return true;
    case 'startup':
      // From the spawn: somewhere in start-up, replay, or the resume of unfinished files.
      await sleep(Math.max(0, c.startedAt + c.rng.int(600) - Date.now()));
      return true;
    case 'claim':
      // A file just registered: being moved out of the inbox, or before its first batch.
      return pollDb(c.dataDir, "SELECT 1 FROM files WHERE status = 'processing' AND rows_done = 0", 1);
    case 'ingest':
      return pollDb(c.dataDir, "SELECT 1 FROM files WHERE status = 'processing' AND rows_done > 0", 10);
    case 'finalize':
      return pollDb(c.dataDir, "SELECT 1 FROM files WHERE status = 'finalizing'", 2);
    case 'post':
      return nextCall((f) => (c.clients.onPost = f), () => (c.clients.onPost = undefined));
    case 'label':
      return nextCall((f) => (c.clients.onLabel = f), () => (c.clients.onLabel = undefined));
    case 'webhook':
      return nextCall((f) => (c.webhook.onRequest = f), () => (c.webhook.onRequest = undefined));
  }
}

/** Resolves true at the next call of the hook `set` installs, false after {@link TARGET_WAIT_MS}. */
function nextCall(set: (f: () => void) => void, unset: () => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unset();
      resolve(false);
    }, TARGET_WAIT_MS);
    set(() => {
      clearTimeout(timer);
      unset();
      resolve(true);
    });
  });
}

/**
 * Polls the live database (WAL lets a reader in) until `sql` returns a row. One connection for the
 * whole wait, so short states (a file finalizing) can be seen; it is closed before the kill.
 */
async function pollDb(dataDir: string, sql: string, everyMs: number): Promise<boolean> {
  const until = Date.now() + TARGET_WAIT_MS;
  let db: Database.Database | undefined;
  try {
    while (Date.now() < until) {
      try {
        db ??= new Database(join(dataDir, 'fraudmini.db'), { readonly: true, fileMustExist: true });
        if (db.prepare(sql).get() !== undefined) return true;
      } catch {
        // not created yet, or busy recovering after the last kill: try again
        db?.close();
        db = undefined;
      }
      await sleep(everyMs);
    }
    return false;
  } finally {
    db?.close();
  }
}

/** Runs `read` on a read-only connection; undefined when the database cannot be read yet. */
function queryDb<T>(dataDir: string, read: (db: Database.Database) => T): T | undefined {
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    return read(db);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

/** `ingest` / `finalize` when a file was left in that stage (read after the kill). */
function unfinishedStages(dataDir: string): string[] {
  const statuses =
    queryDb(dataDir, (db) =>
      db.prepare("SELECT DISTINCT status FROM files WHERE status IN ('processing', 'finalizing')").pluck().all(),
    ) ?? [];
  return (statuses as string[]).map((s) => (s === 'processing' ? 'ingest' : 'finalize'));
}

/** Every dropped file finished (a receipt, no unfinished ledger entry), inbox/ and processing/ empty. */
function inboxDone(dataDir: string, dropped: PlannedFile[]): boolean {
  const empty = (folder: string): boolean => readdirSync(join(dataDir, folder)).length === 0;
  if (!empty('inbox') || !existsSync(join(dataDir, 'processing')) || !empty('processing')) return false;
  const unfinished = queryDb(dataDir, (db) =>
    db.prepare("SELECT count(*) FROM files WHERE status IN ('processing', 'finalizing')").pluck().get(),
  );
  if (unfinished !== 0) return false;
  return dropped.every((f) => {
    const receipt = `${f.name.replace(/\.csv$/, '')}.receipt.json`;
    return existsSync(join(dataDir, 'processed', receipt)) || existsSync(join(dataDir, 'failed', receipt));
  });
}

/** Every sink's cursor at the last alert, and the webhook has received every alert. */
function alertsDelivered(dataDir: string, webhook: FlakyWebhook): boolean {
  const state = queryDb(dataDir, (db) => ({
    ids: db.prepare('SELECT id FROM alerts').pluck().all() as number[],
    cursors: db.prepare('SELECT cursor FROM deliveries').pluck().all() as number[],
  }));
  if (!state) return false;
  if (state.ids.length === 0) return true;
  const last = Math.max(0, ...state.ids);
  if (state.cursors.length < 3 || state.cursors.some((c) => c !== last)) return false;
  const accepted = webhook.accepted();
  return state.ids.every((id) => accepted.has(id));
}

/** Polls `done` every 200 ms; records `failure` as a violation after `timeoutMs`. */
async function waitUntil(done: () => boolean, timeoutMs: number, failure: string, violations: string[]): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) {
      violations.push(`${failure} within ${timeoutMs / 1000} s`);
      return;
    }
    await sleep(200);
  }
}

/** A TCP port nobody listens on now (fraudmini gets the same one on every restart). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
