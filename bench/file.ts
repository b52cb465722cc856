import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, perSecond, runBareParse, runScore } from './lib/context.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';

/**
 * Benchmark 2: file ingest end to end. `fraudmini score` (the real CLI in a child process: parse,
 * validate, tokenise, features, rules, [model,] decisions written as JSON Lines) against a bare
 * parse of the same file by the same parser in a child process, interleaved run by run. Wall time
 * from spawn to exit for both, so Node's start-up is in both.
 */
export async function fileBenchmark(ctx: BenchContext): Promise<BenchResult[]> {
  const { file, warmupFile, model } = ctx.inputs;
  const variants: Record<string, (input: string) => Promise<{ ms: number; rss?: number; rows?: number }>> = {
    parse: async (input) => {
      const r = await runBareParse(ctx, input);
      return { ms: r.wallMs, rows: r.rows };
    },
    rules: async (input) => {
      const r = await runScore(ctx, input, { peakRss: true });
      return { ms: r.wallMs, rss: r.peakRss };
    },
  };
  if (model) {
    variants.model = async (input) => {
      const r = await runScore(ctx, input, { model, peakRss: true });
      return { ms: r.wallMs, rss: r.peakRss };
    };
  }
  ctx.log(`[2 file] warm-up on ${warmupFile}`);
  for (const run of Object.values(variants)) await run(warmupFile);
  const ms: Record<string, number[]> = {};
  const rss: Record<string, number[]> = {};
  let rows = ctx.inputs.rows;
  for (let r = 0; r < ctx.runs; r++) {
    for (const [name, run] of Object.entries(variants)) {
      const m = await run(file);
      (ms[name] ??= []).push(m.ms);
      if (m.rss !== undefined) (rss[name] ??= []).push(m.rss);
      if (m.rows !== undefined) rows = m.rows;
      ctx.log(`[2 file] run ${r + 1}/${ctx.runs} ${name}: ${fmt(m.ms / 1000)} s, ${fmt(perSecond(rows, m.ms))} rows/s`);
    }
  }
  rmSync(join(ctx.tmp, 'decisions.jsonl'), { force: true });
  rmSync(join(ctx.tmp, 'decisions.jsonl.receipt.json'), { force: true });
  ctx.shared.scoreRulesMs = ms.rules;
  const rate = (name: string): number[] => (ms[name] ?? []).map((t) => perSecond(rows, t));
  const baseline = measured('bare parse', 'rows/s', rate('parse'));
  const maxRss = (name: string): string => `peak RSS ${fmt(Math.max(...(rss[name] ?? [Number.NaN])) / 2 ** 20)} MB`;
  const target = (r: BenchResult): BenchResult => ({
    ...r,
    target: {
      text: '>= 250,000 rows/s and ratio >= 0.5 (<= 2x parse time)',
      met: r.figure.summary.median >= 250_000 && (r.ratio ?? 0) >= 0.5,
    },
  });
  const out = [
    target(
      result({
        id: 'file.rules',
        benchmark: 2,
        figure: measured('file: fraudmini score (rules)', 'rows/s', rate('rules')),
        higherIsBetter: true,
        baseline,
        notes: [`${rows.toLocaleString('en-US')}-row CSV, decisions to JSON Lines`, maxRss('rules')],
      }),
    ),
  ];
  if (ms.model) {
    out.push(
      target(
        result({
          id: 'file.model',
          benchmark: 2,
          figure: measured('file: fraudmini score --model', 'rows/s', rate('model')),
          higherIsBetter: true,
          baseline,
          notes: ['label feedback at the model delay, top-3 attributions on review and block decisions', maxRss('model')],
        }),
      ),
    );
  }
  return out;
}
