import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { coreBenchmark } from './core.js';
import { fileBenchmark } from './file.js';
import { findPandasPython, handbookBenchmark } from './handbook.js';
import { httpBenchmark } from './http.js';
import { lambdaBenchmark } from './lambda.js';
import type { BenchContext } from './lib/context.js';
import { FULL, InputCache, QUICK } from './lib/data.js';
import type { Paths } from './lib/proc.js';
import { type BenchResult, table } from './lib/report.js';
import { memoryBenchmark } from './memory.js';
import { pipelineBenchmark } from './pipeline.js';

const BENCHMARKS = ['core', 'file', 'pipeline', 'http', 'memory', 'lambda', 'handbook'] as const;
type BenchmarkName = (typeof BENCHMARKS)[number];

const USAGE = `npm run bench -- [options]

  --only core,file,pipeline,http,memory,lambda,handbook   run these benchmarks only (default: all)
  --runs N          measured runs per figure, after a warm-up (default 5; 2 with --quick)
  --memory-runs N   runs of benchmark 5, each scores the ~1 GB file (default 1)
  --quick           tiny sizes: a smoke run of the harness, its figures mean nothing
  --json            also write the results to bench/results/latest.json
  --json-out FILE   ... or to FILE
  --cache DIR       where generated inputs are kept (default var/bench/cache)
  --python PATH     the Python of the pandas baseline (default: the first of python3 and
                    /usr/bin/python3 that can import pandas; none: the baseline is skipped)
`;

/** The figures, the machine they were measured on, and what was run. */
export interface BenchReport {
  format: 'fraudmini-bench/1';
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  runs: number;
  machine: { cpus: number; cpu: string; memoryGiB: number; node: string; loadavgStart: number[]; loadavgEnd: number[] };
  commit: { head: string; dirty: boolean };
  results: BenchResult[];
  failures: { benchmark: string; error: string }[];
  notMeasured: string[];
}

function git(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${raw}"`);
  return n;
}

/** `npm run bench`: runs the selected benchmarks, prints the table, optionally writes JSON. Returns the exit code. */
export async function main(argv: string[], paths: Paths): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      runs: { type: 'string' },
      'memory-runs': { type: 'string' },
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      'json-out': { type: 'string' },
      cache: { type: 'string' },
      python: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const quick = values.quick === true;
  const only = (values.only?.split(',').map((s) => s.trim()) ?? [...BENCHMARKS]) as BenchmarkName[];
  for (const name of only) {
    if (!BENCHMARKS.includes(name)) throw new Error(`unknown benchmark "${name}" (${BENCHMARKS.join(', ')})`);
  }
  const sizes = quick ? QUICK : FULL;
  const runs = positiveInt('--runs', values.runs, quick ? 2 : 5);
  const memoryRuns = positiveInt('--memory-runs', values['memory-runs'], 1);
  const cacheDir = resolve(values.cache ?? join(paths.root, 'var', 'bench', 'cache'));
  const tmp = join(dirname(cacheDir), `tmp-${process.pid}`);
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  };

  const startedAt = new Date();
  const loadavgStart = loadavg();
  const commit = { head: git(paths.root, ['rev-parse', '--short', 'HEAD']), dirty: git(paths.root, ['status', '--porcelain', '--', 'src']) !== '' };
  log(
    `fraudmini bench${quick ? ' --quick (smoke sizes: figures mean nothing)' : ''}: ${only.join(', ')}; ${runs} runs; ` +
      `${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavgStart.map((x) => x.toFixed(2)).join(' ')}; ` +
      `commit ${commit.head}${commit.dirty ? ' with uncommitted changes in src/' : ''}`,
  );
  mkdirSync(tmp, { recursive: true });
  // Also on Ctrl-C (proc.ts kills the children and exits): a scratch folder can hold 400 MB of decisions.
  process.once('exit', () => rmSync(tmp, { recursive: true, force: true }));
  const jsonOut = values['json-out'] ?? (values.json ? join(paths.root, 'bench', 'results', 'latest.json') : undefined);
  const results: BenchResult[] = [];
  const failures: BenchReport['failures'] = [];
  const notMeasured: string[] = [];
  const report = (): BenchReport => ({
    format: 'fraudmini-bench/1',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    runs,
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? '?',
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavgStart,
      loadavgEnd: loadavg(),
    },
    commit,
    results,
    failures,
    notMeasured,
  });
  const save = (): void => {
    if (!jsonOut) return;
    mkdirSync(dirname(resolve(jsonOut)), { recursive: true });
    // Written after every benchmark too, so a long run that is stopped keeps what it measured.
    writeFileSync(jsonOut, `${JSON.stringify(report(), null, 2)}\n`);
  };
  try {
    const cache = new InputCache(paths, cacheDir, sizes, log);
    const needs = (...names: BenchmarkName[]): boolean => names.some((n) => only.includes(n));
    log('inputs (cached in ' + cacheDir + ')');
    const inputs = await cache.inputs(needs('memory'), needs('core', 'file'), needs('core', 'file', 'pipeline'));
    const ctx: BenchContext = { paths, sizes, runs, memoryRuns, inputs, tmp, log, shared: {} };
    const run: Record<BenchmarkName, () => Promise<BenchResult[]> | BenchResult[]> = {
      core: () => coreBenchmark(ctx),
      file: () => fileBenchmark(ctx),
      pipeline: () => pipelineBenchmark(ctx),
      http: () => httpBenchmark(ctx),
      memory: () => memoryBenchmark(ctx),
      lambda: () => lambdaBenchmark(ctx),
      handbook: async () => handbookBenchmark(ctx, await cache.handbook(), await findPandasPython(values.python)),
    };
    for (const name of BENCHMARKS) {
      if (!only.includes(name)) continue;
      try {
        const got = await run[name]();
        if (name === 'lambda' && got.length === 0) notMeasured.push('6 lambda: not yet measured');
        results.push(...got);
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        log(`[${name}] FAILED: ${error}`);
        failures.push({ benchmark: name, error });
      }
      save();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const final = report();
  console.log(`\nfraudmini benchmarks${quick ? ' (--quick: smoke sizes, figures mean nothing)' : ''}, ${final.finishedAt}`);
  console.log(
    `${final.machine.cpus} × ${final.machine.cpu}, Node ${final.machine.node}, load average ` +
      `${loadavgStart.map((x) => x.toFixed(2)).join(' ')} at start, ${final.machine.loadavgEnd.map((x) => x.toFixed(2)).join(' ')} at end\n`,
  );
  console.log(table(results));
  for (const m of notMeasured) console.log(`\n${m}`);
  const withNotes = results.filter((r) => r.notes && r.notes.length > 0);
  if (withNotes.length > 0) {
    console.log('\nnotes:');
    for (const r of withNotes) console.log(`  ${r.id}: ${(r.notes ?? []).join('; ')}`);
  }
  for (const f of failures) console.log(`\nFAILED ${f.benchmark}: ${f.error}`);
  if (jsonOut) {
    save();
    console.log(`\nwrote ${jsonOut}`);
  }
  return failures.length > 0 ? 1 : 0;
}
