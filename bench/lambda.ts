import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { type BenchResult, measured, result } from './lib/report.js';

/** What `npm run lambda:bundles -- --json` writes to `var/lambda/latest.json`. */
interface BundleResults {
  bareMs: { samples: number[] };
  functions: { function: string; bytes: number; gzipBytes: number; initMs: { samples: number[] } }[];
}

/** What `npm run cost -- --json` writes to `var/cost/latest.json` (totals only are read here). */
interface CostResults {
  file: { totalUsd: number; measuredTransactions: number };
  api: { totalUsd: number; measuredTransactions: number };
}

/**
 * Benchmark 6: per Lambda handler, the bundle size (esbuild as in the CDK app) and the cold init
 * of a fresh `node` importing it (baseline: a bare `node` start, same run); and the cost per
 * million transactions from the cost model (the real handlers on the emulators, every AWS
 * request counted). Both run as the npm scripts a user would run.
 */
export function lambdaBenchmark(ctx: BenchContext): BenchResult[] {
  const npm = (script: string, args: string[]): void => {
    ctx.log(`[6 lambda] npm run ${script} ${args.join(' ')}`);
    execFileSync('npm', ['run', '--silent', script, '--', ...args], { cwd: ctx.paths.root, stdio: ['ignore', 'ignore', 'inherit'] });
  };
  // A --quick smoke run: fewer cold starts and no cost run.
  const quick = ctx.sizes.rows < 100_000;
  npm('lambda:bundles', ['--json', '--runs', String(quick ? 2 : Math.max(5, ctx.runs))]);
  const bundles = JSON.parse(readFileSync(join(ctx.paths.root, 'var', 'lambda', 'latest.json'), 'utf8')) as BundleResults;
  const bare = measured('bare node start', 'ms', bundles.bareMs.samples);
  const out: BenchResult[] = [];
  for (const f of bundles.functions) {
    out.push({
      id: `lambda.${f.function}.bundle`,
      benchmark: 6,
      figure: measured(`lambda ${f.function}: bundle`, 'KiB', [f.bytes / 1024]),
      higherIsBetter: false,
      notes: [`${(f.gzipBytes / 1024).toFixed(0)} KiB gzipped`],
    });
    out.push(
      result({
        id: `lambda.${f.function}.init`,
        benchmark: 6,
        figure: measured(`lambda ${f.function}: cold init`, 'ms', f.initMs.samples),
        baseline: bare,
        higherIsBetter: false,
      }),
    );
  }
  if (quick) return out;
  npm('cost', ['--json']);
  const costFile = join(ctx.paths.root, 'var', 'cost', 'latest.json');
  if (existsSync(costFile)) {
    const cost = JSON.parse(readFileSync(costFile, 'utf8')) as CostResults;
    for (const [path, c] of [['file', cost.file], ['API', cost.api]] as const) {
      out.push({
        id: `lambda.cost.${path.toLowerCase()}`,
        benchmark: 6,
        figure: measured(`AWS cost per 1M transactions (${path} path)`, 'USD', [c.totalUsd]),
        higherIsBetter: false,
        notes: [`measured on ${c.measuredTransactions} transactions; breakdown: npm run cost`],
      });
    }
  }
  return out;
}
