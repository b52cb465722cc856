import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

/** The built CLI launcher (it runs `dist/`: build first). */
export const BIN = join(import.meta.dirname, '../../bin/fraudmini.js');

/** How to start `fraudmini start` for a chaos run. */
export interface FraudminiProcessOptions {
  dataDir: string;
  port: number;
  webhookUrl: string;
  /** A fixed tokenisation key, so every restart tokenises cards the same way. */
  tokenKey: string;
  batchSize: number;
  /** Both output streams of every run are appended here (the runtime's log and console alerts). */
  logPath: string;
}

/**
 * One `fraudmini start` child at a time: started, waited for until it answers `/healthz`,
 * SIGKILLed or stopped with SIGTERM. Its output goes straight to a log file, so nothing this
 * process does (or fails to read) can slow the child down.
 */
export class FraudminiProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private alive = false;
  /** Answered `/healthz` since it was last started. */
  ready = false;
  starts = 0;
  /** Milliseconds from spawn to the first `/healthz` answer, per start that got that far. */
  readonly readyMs: number[] = [];
  private startedAt = 0;

  constructor(private readonly options: FraudminiProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get running(): boolean {
    return this.alive;
  }

  start(): void {
    if (this.alive) throw new Error('fraudmini is already running');
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) env[k] = v;
    Object.assign(env, {
      FRAUDMINI_TOKEN_KEY: this.options.tokenKey,
      FRAUDMINI_BATCH_SIZE: String(this.options.batchSize),
      FRAUDMINI_POLL_MS: '100',
    });
    const o = this.options;
    const fd = openSync(o.logPath, 'a');
    const child = spawn(
      process.execPath,
      [BIN, 'start', '--data-dir', o.dataDir, '--port', String(o.port), '--webhook', o.webhookUrl],
      { env, stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    this.child = child;
    this.alive = true;
    this.ready = false;
    this.starts++;
    this.startedAt = Date.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        this.alive = false;
        resolve();
      });
    });
  }

  /** Resolves once `/healthz` answers; throws if the process exits first or `timeoutMs` passes. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.alive) throw new Error('fraudmini exited before it was ready');
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.ok) {
          if (!this.ready) this.readyMs.push(Date.now() - this.startedAt);
          this.ready = true;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`fraudmini did not answer /healthz within ${timeoutMs} ms`);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (finish the current batch, flush alerts, close); SIGKILL after `timeoutMs`. Returns false if it had to. */
  async stop(timeoutMs = 60_000): Promise<boolean> {
    if (!this.alive) return true;
    this.child?.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) !== 'timeout') return true;
    await this.kill();
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
