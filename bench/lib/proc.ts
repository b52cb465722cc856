import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** Every child still running: killed when the harness exits, however it exits. */
const live = new Set<ChildProcess>();

function killAll(): void {
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Where the harness's own helper scripts were transpiled to, and the repository root. */
export interface Paths {
  root: string;
  buildDir: string;
}

/** Options of {@link runNode} and {@link startNode}. */
export interface NodeRunOptions {
  env?: Record<string, string>;
  /** Extra `node` flags (e.g. `--max-old-space-size=4096`). */
  nodeFlags?: string[];
  /** Record the child's peak RSS (getrusage maxrss, read by a preload in the child at exit). */
  peakRssFile?: string;
  cwd?: string;
  /** Copy the child's stderr to ours as it comes (its progress lines). */
  echoStderr?: boolean;
}

/** How a child run ended. */
export interface RunResult {
  code: number | null;
  wallMs: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size in bytes, when asked for. */
  peakRss?: number;
}

function nodeArgs(paths: Paths, script: string, args: readonly string[], o: NodeRunOptions): string[] {
  const pre = o.peakRssFile ? ['--import', join(paths.buildDir, 'children', 'peakRss.js')] : [];
  return [...(o.nodeFlags ?? []), ...pre, script, ...args];
}

function childEnv(o: NodeRunOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...o.env, ...(o.peakRssFile ? { BENCH_PEAK_RSS_FILE: o.peakRssFile } : {}) };
}

/** Starts `node script args` and tracks it so it never outlives the harness. */
export function startNode(paths: Paths, script: string, args: readonly string[], o: NodeRunOptions = {}): ChildProcess {
  if (o.peakRssFile) rmSync(o.peakRssFile, { force: true });
  const child = spawn(process.execPath, nodeArgs(paths, script, args, o), {
    cwd: o.cwd ?? paths.root,
    env: childEnv(o),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Reads the peak RSS a child recorded at exit (bytes), if it did. */
export function readPeakRss(file: string | undefined): number | undefined {
  if (!file || !existsSync(file)) return undefined;
  const kb = Number(readFileSync(file, 'utf8'));
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

/**
 * Waits for a tracked child to end, keeping the tails of its output (a child may print a lot,
 * alerts for instance, and only its last lines matter here). An 'error' (no such program) comes
 * instead of 'exit': reported as exit code null, its message in stderr.
 */
async function collect(child: ChildProcess, t0: number, echoStderr = false): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout = (stdout + s).slice(-1 << 20);
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr = (stderr + s).slice(-1 << 16);
    if (echoStderr) process.stderr.write(s);
  });
  const code = await new Promise<number | null>((done) => {
    child.once('exit', (c) => done(c));
    child.once('error', (e) => {
      live.delete(child);
      stderr += e.message;
      done(null);
    });
  });
  return { code, wallMs: performance.now() - t0, stdout, stderr };
}

/** Runs `node script args` to the end; wall time is from spawn to exit. */
export async function runNode(
  paths: Paths,
  script: string,
  args: readonly string[],
  o: NodeRunOptions = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const result = await collect(startNode(paths, script, args, o), t0, o.echoStderr);
  return { ...result, peakRss: readPeakRss(o.peakRssFile) };
}

/**
 * Runs any program (not node: the pandas baseline's `python3`) to the end, tracked like the node
 * children so it never outlives the harness; wall time is from spawn to exit.
 */
export async function runProgram(command: string, args: readonly string[], o: { env?: Record<string, string>; cwd?: string } = {}): Promise<RunResult> {
  const t0 = performance.now();
  const child = spawn(command, args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return collect(child, t0);
}

/** Asks a tracked child to stop (SIGTERM), killing it after `graceMs`; resolves when it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Resolves with the first match of `pattern` in the child's stdout (e.g. the address a server prints). */
export async function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  return new Promise((resolveMatch, reject) => {
    let seen = '';
    let err = '';
    const onData = (s: Buffer): void => {
      seen += s.toString('utf8');
      const m = seen.match(pattern);
      if (m) {
        done();
        resolveMatch(m);
      }
    };
    const onErr = (s: Buffer): void => {
      err = (err + s.toString('utf8')).slice(-4000);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`child exited (${code}) before printing ${pattern}: ${err || seen}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${pattern}: ${err || seen}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.on('exit', onExit);
  });
}

/** Keeps reading a child's stdout and stderr so it never blocks on a full pipe (alert lines). */
export function drain(child: ChildProcess): void {
  child.stdout?.resume();
  child.stderr?.resume();
}
