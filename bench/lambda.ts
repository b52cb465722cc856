import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './lib/context.js';
import { type BenchResult, measured } from './lib/report.js';

/**
 * What the AWS work writes to `bench/lambda/results.json` for benchmark 6 (see bench/README.md).
 * Samples are raw measurements; the harness summarises them like every other figure.
 */
export interface LambdaResults {
  handlers: {
    name: string;
    bundleBytes: number;
    /** Cold init of a fresh `node` importing the bundle and building its clients, ms per run. */
    coldInitMs: number[];
    /** Optional baseline, e.g. an empty handler bundled the same way. */
    baselineColdInitMs?: number[];
  }[];
  /** From the AWS issue's cost model. */
  costPerMillionUsd?: number;
  notes?: string[];
}

/**
 * Benchmark 6 (slot): Lambda bundle size, cold init and cost per million transactions. Measured
 * by the AWS work, not here; this reads its results file when present.
 */
export function lambdaBenchmark(ctx: BenchContext): BenchResult[] {
  const file = join(ctx.paths.root, 'bench', 'lambda', 'results.json');
  if (!existsSync(file)) {
    ctx.log('[6 lambda] not yet measured (no bench/lambda/results.json; it comes with the AWS work)');
    return [];
  }
  const doc = JSON.parse(readFileSync(file, 'utf8')) as LambdaResults;
  const out: BenchResult[] = [];
  for (const h of doc.handlers) {
    out.push({
      id: `lambda.${h.name}.bundle`,
      benchmark: 6,
      figure: measured(`lambda ${h.name}: bundle`, 'KiB', [h.bundleBytes / 1024]),
      higherIsBetter: false,
      notes: [`from ${file}`],
    });
    const init = measured(`lambda ${h.name}: cold init`, 'ms', h.coldInitMs);
    const base = h.baselineColdInitMs ? measured('empty handler', 'ms', h.baselineColdInitMs) : undefined;
    out.push({
      id: `lambda.${h.name}.init`,
      benchmark: 6,
      figure: init,
      higherIsBetter: false,
      ...(base ? { baseline: base, ratio: init.summary.median / base.summary.median } : {}),
    });
  }
  if (doc.costPerMillionUsd !== undefined) {
    out.push({
      id: 'lambda.cost',
      benchmark: 6,
      figure: measured('lambda: cost per 1M transactions', 'USD', [doc.costPerMillionUsd]),
      higherIsBetter: false,
      notes: doc.notes ?? [],
    });
  }
  return out;
}
