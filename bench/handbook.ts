import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, cliEnv, cliPath, perSecond } from './lib/context.js';
import type { HandbookInputs } from './lib/data.js';
import { runNode, runProgram } from './lib/proc.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';
import { summarize } from './lib/stats.js';

/** The baseline script, relative to the repository root. */
export const PANDAS_BASELINE = join('bench', 'baselines', 'handbook_features.py');

/** Where the first Python that can import pandas was found, or why none could. */
export type PandasPython = { ok: true; python: string; version: string } | { ok: false; reason: string };

/** What the baseline script prints (its last stdout line). */
interface PandasOutput {
  rows: number;
  seconds: Record<string, number>;
  maxrss_kib: number;
  pandas: string;
}

/**
 * The Python that runs the baseline: `chosen` when given, else the first of `python3` (on PATH)
 * and `/usr/bin/python3` (Debian's, where apt's python3-pandas goes) that can `import pandas`.
 */
export async function findPandasPython(chosen?: string): Promise<PandasPython> {
  const candidates = chosen ? [chosen] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = await runProgram(python, ['-c', 'import pandas; print(pandas.__version__)']);
    if (r.code === 0) return { ok: true, python, version: r.stdout.trim() };
    const why = r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`;
    tried.push(`${python} -c "import pandas": ${why}`);
  }
  return { ok: false, reason: tried.join('; ') };
}

/** One `fraudmini score --model --label-delay 7d` of the handbook file; checks every row was decided. */
async function runFraudmini(ctx: BenchContext, h: HandbookInputs): Promise<{ ms: number; rss: number }> {
  const out = join(ctx.tmp, 'handbook.decisions.jsonl');
  const rssFile = join(ctx.tmp, 'handbook.maxrss');
  const r = await runNode(
    ctx.paths,
    cliPath(ctx),
    ['score', h.file, '--model', h.model, '--label-delay', '7d', '--out', out, '--no-progress'],
    { env: cliEnv(), peakRssFile: rssFile },
  );
  if (r.code !== 0) throw new Error(`fraudmini score failed (${r.code}): ${r.stderr}`);
  const receipt = JSON.parse(readFileSync(`${out}.receipt.json`, 'utf8')) as {
    counts: { rows: number; decided: number; rejected: number };
    rejections: { row: number; column: string; reason: string }[];
  };
  const c = receipt.counts;
  // A figure over rows that were rejected instead of scored would flatter fraudmini.
  if (c.rows !== h.rows || c.decided !== h.rows || c.rejected !== 0) {
    const first = receipt.rejections[0];
    throw new Error(
      `fraudmini did not decide every handbook row: ${c.rows} rows, ${c.decided} decided, ${c.rejected} rejected` +
        (first ? ` (row ${first.row}, column ${first.column}: ${first.reason})` : ''),
    );
  }
  rmSync(out, { force: true });
  return { ms: r.wallMs, rss: r.peakRss ?? Number.NaN };
}

/** One run of the pandas baseline on the same file, writing its features CSV to the scratch folder. */
async function runPandas(ctx: BenchContext, python: string, h: HandbookInputs): Promise<{ ms: number; out: PandasOutput }> {
  const features = join(ctx.tmp, 'handbook.features.csv');
  // The vectorised variant: the faster of the script's two, so the ratio is not flattered by a
  // slow notebook (their features are the same; test/bench/handbook.test.ts).
  const r = await runProgram(python, [join(ctx.paths.root, PANDAS_BASELINE), h.file, '--method', 'vectorised', '--out', features]);
  if (r.code !== 0) throw new Error(`pandas baseline failed (${r.code}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as PandasOutput;
  if (out.rows !== h.rows) throw new Error(`pandas baseline wrote ${out.rows} rows, ${h.rows} expected`);
  rmSync(features, { force: true });
  return { ms: r.wallMs, out };
}

const median = (xs: readonly number[]): number => summarize(xs).median;

/**
 * Benchmark 7: `fraudmini score --model --label-delay 7d` on a file in the fraud-detection
 * handbook's format against the handbook's own feature transformation in pandas
 * (bench/baselines/handbook_features.py) on the same rows, each a child process timed from spawn
 * to exit, interleaved run by run. Skipped baseline (with a note) when no Python can import pandas.
 */
export async function handbookBenchmark(ctx: BenchContext, h: HandbookInputs, python: PandasPython): Promise<BenchResult[]> {
  const rows = h.rows;
  if (python.ok) {
    ctx.log(`[7 handbook] pandas ${python.version} (${python.python})`);
  } else {
    ctx.log(`[7 handbook] pandas baseline skipped: ${python.reason}`);
  }
  // Warm-up: the file into the page cache. A warm-up run would cost minutes and warm nothing
  // else: each run is a new process.
  if (existsSync(h.file)) readFileSync(h.file);
  const fm: number[] = [];
  const fmRss: number[] = [];
  const pd: number[] = [];
  const pdRss: number[] = [];
  const pdSteps: Record<string, number[]> = {};
  for (let r = 0; r < ctx.runs; r++) {
    const f = await runFraudmini(ctx, h);
    fm.push(f.ms);
    fmRss.push(f.rss / 2 ** 20);
    ctx.log(`[7 handbook] run ${r + 1}/${ctx.runs} fraudmini: ${fmt(f.ms / 1000)} s, ${fmt(perSecond(rows, f.ms))} rows/s`);
    if (python.ok) {
      const p = await runPandas(ctx, python.python, h);
      pd.push(p.ms);
      pdRss.push(p.out.maxrss_kib / 1024);
      for (const [step, s] of Object.entries(p.out.seconds)) (pdSteps[step] ??= []).push(s);
      ctx.log(`[7 handbook] run ${r + 1}/${ctx.runs} pandas: ${fmt(p.ms / 1000)} s, ${fmt(perSecond(rows, p.ms))} rows/s`);
    }
  }
  const rates = (ms: number[]): number[] => ms.map((t) => perSecond(rows, t));
  const notes = [
    `${rows.toLocaleString('en-US')} rows of the handbook's simulation (${ctx.sizes.handbook.simulation.customers.toLocaleString('en-US')} customers, ` +
      `${ctx.sizes.handbook.simulation.terminals.toLocaleString('en-US')} terminals); model trained on the first week; decisions to JSON Lines, features to CSV`,
    `peak RSS fraudmini ${fmt(Math.max(...fmRss))} MB` + (python.ok ? `, pandas ${fmt(Math.max(...pdRss))} MB` : ''),
  ];
  if (python.ok) {
    const steps = Object.entries(pdSteps)
      .map(([step, s]) => `${step} ${fmt(median(s))}`)
      .join(', ');
    notes.push(`pandas ${python.version} steps (median s): ${steps}`);
    // The write is part of the job, as fraudmini's decisions are; without it, for comparison.
    const featuresOnly = pd.map((ms, i) => ms - (pdSteps.write?.[i] ?? 0) * 1000);
    notes.push(`ratio against pandas without its CSV write: ${(median(featuresOnly) / median(fm)).toFixed(2)}×`);
  } else {
    notes.push(`pandas baseline skipped: ${python.reason}`);
  }
  const speed = result({
    id: 'handbook.model',
    benchmark: 7,
    figure: measured('handbook: fraudmini score --model', 'rows/s', rates(fm)),
    higherIsBetter: true,
    ...(python.ok ? { baseline: measured('pandas handbook features', 'rows/s', rates(pd)) } : {}),
    notes,
  });
  const memory = result({
    id: 'handbook.rss',
    benchmark: 7,
    figure: measured('handbook: fraudmini peak RSS', 'MB', fmRss),
    higherIsBetter: false,
    ...(python.ok ? { baseline: measured('pandas peak RSS', 'MB', pdRss) } : {}),
  });
  return [
    python.ok ? { ...speed, target: { text: '>= 3x the pandas baseline (ratio >= 3)', met: (speed.ratio ?? 0) >= 3 } } : speed,
    memory,
  ];
}
