import { join } from 'node:path';
import type { CoreResult, CoreSpec } from './children/core.js';
import { BENCH_TOKEN_KEY } from './lib/data.js';
import type { BenchContext } from './lib/context.js';
import { runNode } from './lib/proc.js';
import { type BenchResult, fmt, measured, result } from './lib/report.js';

/**
 * Benchmark 1: core scoring in process, transactions per second on one core (the score stage is
 * single-threaded). Baseline: the features-only pass over the same transactions, i.e. what the
 * windowed state costs before any rule or tree runs; the ratio is the share of that speed kept
 * once rules (and the model) run too.
 */
export async function coreBenchmark(ctx: BenchContext): Promise<BenchResult[]> {
  const spec: CoreSpec = {
    file: ctx.inputs.file,
    rows: ctx.inputs.rows,
    runs: ctx.runs,
    warmupRows: ctx.sizes.warmupRows,
    model: ctx.inputs.model || undefined,
    tokenKey: BENCH_TOKEN_KEY,
  };
  ctx.log(`[1 core] ${spec.rows.toLocaleString('en-US')} transactions in memory, ${ctx.runs} runs per variant`);
  const r = await runNode(ctx.paths, join(ctx.paths.buildDir, 'children', 'core.js'), [JSON.stringify(spec)], {
    nodeFlags: ['--max-old-space-size=8192', '--expose-gc'],
    echoStderr: true,
  });
  if (r.code !== 0) throw new Error(`core benchmark failed (${r.code}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as CoreResult;
  const rate = (name: string): number[] => (out.ms[name] ?? []).map((ms) => out.rows / (ms / 1000));
  const perCpu = (name: string): string => {
    const cpu = [...(out.cpuMs[name] ?? [])].sort((a, b) => a - b);
    const mid = cpu[Math.floor(cpu.length / 2)] ?? Number.NaN;
    return `${name}: ${fmt(out.rows / (mid / 1000))} tx per CPU-second`;
  };
  const c = out.cardinality;
  const notes = [
    `${out.rows.toLocaleString('en-US')} generated transactions, pre-validated in memory: ${c.accounts} accounts, ${c.cards} cards, ${c.terminals} terminals, ${c.merchants} merchants`,
    'one thread: tx/s is per core',
  ];
  const baseline = measured('features only', 'tx/s', rate('features'));
  const results = [
    result({
      id: 'core.rules',
      benchmark: 1,
      figure: measured('core: features + rules', 'tx/s', rate('rules')),
      higherIsBetter: true,
      baseline,
      notes: [...notes, perCpu('rules'), perCpu('features')],
    }),
  ];
  if (out.ms.model) {
    results.push(
      result({
        id: 'core.model',
        benchmark: 1,
        figure: measured('core: features + rules + model', 'tx/s', rate('model')),
        higherIsBetter: true,
        baseline,
        notes: [
          ...notes,
          `model ${out.model?.version ?? '?'} with ${out.model?.trees ?? '?'} trees, top-3 attributions on review and block, label feedback on (as score --model)`,
          perCpu('model'),
        ],
      }),
    );
  }
  const [rules, model] = results;
  if (rules) rules.target = { text: '>= 1,000,000 tx/s', met: rules.figure.summary.median >= 1_000_000 };
  if (model) model.target = { text: '>= 400,000 tx/s', met: model.figure.summary.median >= 400_000 };
  return results;
}
