import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchContext, cliEnv, cliPath, perSecond, runScore } from './lib/context.js';
import { drain, readPeakRss, startNode, stopChild, waitForOutput } from './lib/proc.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';

interface PipelineRun {
  ms: number;
  decided: number;
  persisted: number;
  rows: number;
  peakRss?: number;
}

/**
 * One drop: a fresh `fraudmini start` (own data dir, port 0, inbox polled every 50 ms), the file
 * copied beside the inbox and renamed into it (the clock starts at the rename), until
 * processed/<name>.receipt.json exists. Then GET /stats confirms the decisions are in SQLite.
 */
async function dropOnce(ctx: BenchContext, input: string, tag: string): Promise<PipelineRun> {
  const dataDir = join(ctx.tmp, `pipeline-${tag}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const rssFile = join(ctx.tmp, 'pipeline.maxrss');
  const child = startNode(ctx.paths, cliPath(ctx), ['start', '--data-dir', dataDir, '--port', '0'], {
    env: cliEnv({ FRAUDMINI_POLL_MS: '50' }),
    peakRssFile: rssFile,
  });
  try {
    const [, api] = await waitForOutput(child, /API\s+(http:\/\/\S+)/);
    drain(child);
    const staged = join(dataDir, 'bench.csv.staged');
    copyFileSync(input, staged);
    const receiptPath = join(dataDir, 'processed', 'bench.receipt.json');
    const t0 = performance.now();
    renameSync(staged, join(dataDir, 'inbox', 'bench.csv'));
    let receipt: { status: string; counts: { rows: number; decided: number } } | undefined;
    while (!receipt) {
      if (child.exitCode !== null) throw new Error(`fraudmini start exited (${child.exitCode}) before the receipt`);
      if (existsSync(join(dataDir, 'failed', 'bench.receipt.json'))) throw new Error('the file landed in failed/');
      if (existsSync(receiptPath)) {
        try {
          receipt = JSON.parse(readFileSync(receiptPath, 'utf8')) as typeof receipt;
          break;
        } catch {
          // still being written
        }
      }
      await sleep(10);
    }
    const ms = performance.now() - t0;
    const stats = (await (await fetch(`${api}/stats`)).json()) as { decisions: number };
    if (!receipt) throw new Error('no receipt');
    await stopChild(child);
    return { ms, decided: receipt.counts.decided, rows: receipt.counts.rows, persisted: stats.decisions, peakRss: readPeakRss(rssFile) };
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * Benchmark 3: the local pipeline, file dropped in the inbox until its receipt exists, decisions
 * persisted in SQLite, masked copy written. Baseline: `fraudmini score` on the same file (rules
 * only, as `start` runs by default), reused from benchmark 2 when it ran in the same harness run.
 */
export async function pipelineBenchmark(ctx: BenchContext): Promise<BenchResult[]> {
  const { file, warmupFile } = ctx.inputs;
  ctx.log(`[3 pipeline] warm-up on ${warmupFile}`);
  await dropOnce(ctx, warmupFile, 'warmup');
  const runs: PipelineRun[] = [];
  for (let r = 0; r < ctx.runs; r++) {
    const run = await dropOnce(ctx, file, String(r));
    runs.push(run);
    ctx.log(
      `[3 pipeline] run ${r + 1}/${ctx.runs}: ${fmt(run.ms / 1000)} s, ${fmt(perSecond(run.rows, run.ms))} rows/s, ` +
        `${run.persisted.toLocaleString('en-US')} decisions in SQLite`,
    );
    if (run.persisted !== run.decided) throw new Error(`receipt says ${run.decided} decided but SQLite holds ${run.persisted}`);
  }
  let scoreMs = ctx.shared.scoreRulesMs;
  let reused = true;
  if (!scoreMs) {
    reused = false;
    scoreMs = [];
    ctx.log('[3 pipeline] baseline: fraudmini score on the same file');
    await runScore(ctx, warmupFile);
    for (let r = 0; r < ctx.runs; r++) scoreMs.push((await runScore(ctx, file)).wallMs);
    rmSync(join(ctx.tmp, 'decisions.jsonl'), { force: true });
  }
  const rows = runs[0]?.rows ?? ctx.inputs.rows;
  const rss = Math.max(...runs.map((r) => r.peakRss ?? Number.NaN));
  const figure = measured('pipeline: inbox to receipt', 'rows/s', runs.map((r) => perSecond(r.rows, r.ms)));
  const pipeline = result({
    id: 'pipeline',
    benchmark: 3,
    figure,
    higherIsBetter: true,
    baseline: measured('fraudmini score (rules)', 'rows/s', scoreMs.map((ms) => perSecond(rows, ms))),
    notes: [
      `${rows.toLocaleString('en-US')} rows; every decision checked in SQLite via GET /stats; inbox polled every 50 ms`,
      `peak RSS of fraudmini start ${fmt(rss / 2 ** 20)} MB`,
      reused ? 'baseline runs shared with benchmark 2' : 'baseline measured here',
    ],
  });
  // The inbox does what `score` does and also stores every row and writes the masked copy: its
  // target is a share of `score`'s speed on the same file.
  return [{ ...pipeline, target: { text: 'ratio >= 0.8 (0.8x score)', met: (pipeline.ratio ?? 0) >= 0.8 } }];
}
