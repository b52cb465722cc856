import { statSync } from 'node:fs';
import { type BenchContext, perSecond, runBareParse, runScore } from './lib/context.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';

/**
 * Benchmark 5: peak RSS of `fraudmini score` (rules only) on a ~1 GB CSV, against the bare
 * parse of the same file. Peak RSS is the kernel's maxrss of the child (read by a preload at
 * exit), so no short peak is missed.
 */
export async function memoryBenchmark(ctx: BenchContext): Promise<BenchResult[]> {
  const big = ctx.inputs.big;
  const mb = statSync(big).size / 2 ** 20;
  const score: number[] = [];
  const parse: number[] = [];
  const rates: number[] = [];
  let rows = 0;
  for (let r = 0; r < ctx.memoryRuns; r++) {
    ctx.log(`[5 memory] run ${r + 1}/${ctx.memoryRuns}: bare parse of ${fmt(mb)} MiB`);
    const p = await runBareParse(ctx, big, { peakRss: true });
    rows = p.rows;
    parse.push((p.peakRss ?? Number.NaN) / 2 ** 20);
    ctx.log(`[5 memory] run ${r + 1}/${ctx.memoryRuns}: fraudmini score of ${rows.toLocaleString('en-US')} rows (minutes)`);
    const s = await runScore(ctx, big, { peakRss: true });
    score.push((s.peakRss ?? Number.NaN) / 2 ** 20);
    rates.push(perSecond(rows, s.wallMs));
    ctx.log(`[5 memory] peak RSS: score ${fmt(score[score.length - 1] ?? 0)} MB, parse ${fmt(parse[parse.length - 1] ?? 0)} MB`);
  }
  const figure = measured(`memory: score peak RSS, ${fmt(mb)} MiB CSV`, 'MB', score);
  return [
    {
      ...result({
        id: 'memory',
        benchmark: 5,
        figure,
        higherIsBetter: false,
        baseline: measured('bare parse', 'MB', parse),
        notes: [
          `${rows.toLocaleString('en-US')} rows, rules only, default V8 heap limits; MB = MiB`,
          `score throughput on this file: ${rates.map((x) => fmt(x)).join(', ')} rows/s`,
        ],
      }),
      target: { text: '<= 300 MB', met: figure.summary.median <= 300 },
    },
  ];
}
