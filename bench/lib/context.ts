import { join } from 'node:path';
import type { Inputs, Sizes } from './data.js';
import { BENCH_TOKEN_KEY } from './data.js';
import { type Paths, type RunResult, runNode } from './proc.js';

/** What every benchmark gets from the harness. */
export interface BenchContext {
  paths: Paths;
  sizes: Sizes;
  /** Measured runs per figure (after a warm-up). */
  runs: number;
  /** Runs of benchmark 5 (each scores the ~1 GB file). */
  memoryRuns: number;
  inputs: Inputs;
  /** Scratch folder for outputs and data dirs, emptied as runs go. */
  tmp: string;
  log: (line: string) => void;
  /** Series measured by one benchmark that a later one reuses as its baseline. */
  shared: { scoreRulesMs?: number[] };
}

/** The CLI every end-to-end benchmark runs. */
export function cliPath(ctx: BenchContext): string {
  return join(ctx.paths.root, 'bin', 'fraudmini.js');
}

/** The environment of every fraudmini child: a fixed tokenisation key, nothing written to ./var. */
export function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { FRAUDMINI_TOKEN_KEY: BENCH_TOKEN_KEY, ...extra };
}

/** `fraudmini score <input> --out <tmp>/decisions.jsonl` to the end; throws unless it exits 0. */
export async function runScore(ctx: BenchContext, input: string, opts: { model?: string; peakRss?: boolean } = {}): Promise<RunResult> {
  const out = join(ctx.tmp, 'decisions.jsonl');
  const r = await runNode(
    ctx.paths,
    cliPath(ctx),
    ['score', input, '--out', out, '--no-progress', ...(opts.model ? ['--model', opts.model] : [])],
    { env: cliEnv(), ...(opts.peakRss ? { peakRssFile: join(ctx.tmp, 'score.maxrss') } : {}) },
  );
  if (r.code !== 0) throw new Error(`fraudmini score failed (${r.code}): ${r.stderr}`);
  return r;
}

/** The bare-parse baseline child to the end; returns the run and the rows it counted. */
export async function runBareParse(ctx: BenchContext, input: string, opts: { peakRss?: boolean } = {}): Promise<RunResult & { rows: number }> {
  const r = await runNode(ctx.paths, join(ctx.paths.buildDir, 'children', 'bareParse.js'), [input], {
    ...(opts.peakRss ? { peakRssFile: join(ctx.tmp, 'parse.maxrss') } : {}),
  });
  if (r.code !== 0) throw new Error(`bare parse failed (${r.code}): ${r.stderr}`);
  const { rows } = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { rows: number };
  return { ...r, rows };
}

/** Rows per second from a row count and wall milliseconds. */
export const perSecond = (rows: number, ms: number): number => rows / (ms / 1000);
