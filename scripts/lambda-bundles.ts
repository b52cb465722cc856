/**
 * `npm run lambda:bundles`: bundles every Lambda handler exactly as the CDK app does
 * (`LAMBDA_BUNDLE`), and measures per function the bundle size (raw and gzipped, as uploaded)
 * and the cold init: a fresh `node` process that imports the bundle (which builds its clients
 * and Powertools utilities) — median and range of several runs, next to a bare `node` start in
 * the same run as the baseline.
 *
 *   npm run lambda:bundles [-- --runs 7 --json]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE } from '../infra/constructs/fraudminiFunction.js';

const HANDLERS = ['ingest', 'score', 'api', 'stream', 'tableStream', 'notify'] as const;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '7' }, json: { type: 'boolean', default: false } },
});
const runs = Number(values.runs);
const out = resolve('var/lambda');

/** Environment a deployed function has (values are placeholders: nothing is called at init). */
const ENV = {
  ...process.env,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'init-only',
  AWS_SECRET_ACCESS_KEY: 'init-only',
  POWERTOOLS_SERVICE_NAME: 'fraudmini',
  POWERTOOLS_METRICS_NAMESPACE: 'fraudmini',
  POWERTOOLS_TRACE_ENABLED: 'false',
};

/** Milliseconds from spawning `node` to the end of its script (measured by the parent). */
function timeNode(args: string[]): number {
  const t0 = performance.now();
  execFileSync(process.execPath, args, { env: ENV, stdio: 'pipe' });
  return performance.now() - t0;
}

function stats(xs: number[]): { median: number; min: number; max: number; samples: number[] } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? Number.NaN, min: s[0] ?? Number.NaN, max: s.at(-1) ?? Number.NaN, samples: xs };
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  const bare = stats(Array.from({ length: runs }, () => timeNode(['-e', ''])));
  for (const name of HANDLERS) {
    const dir = join(out, name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'index.mjs');
    await build({
      entryPoints: [join('src/handlers', `${name}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: LAMBDA_BUNDLE.target,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      banner: { js: LAMBDA_BUNDLE.banner },
      minify: LAMBDA_BUNDLE.minify,
      sourcemap: 'external',
      sourcesContent: false,
      outfile: file,
      logLevel: 'error',
    });
    const bytes = statSync(file).size;
    const gz = gzipSync(readFileSync(file)).length;
    const script = `await import(${JSON.stringify(`file://${file}`)});`;
    timeNode(['--input-type=module', '-e', script]); // warm the file cache
    const init = stats(Array.from({ length: runs }, () => timeNode(['--input-type=module', '-e', script])));
    results.push({ function: name, bytes, gzipBytes: gz, initMs: init, overBareMs: init.median - bare.median });
    process.stderr.write(`${name}: ${(bytes / 1024).toFixed(0)} KiB, init ${init.median.toFixed(0)} ms\n`);
  }
  const rows = [
    ['function', 'bundle', 'gzipped', 'cold init (median, min–max)', 'over bare node'],
    ...results.map((r) => {
      const i = r.initMs as { median: number; min: number; max: number };
      return [
        String(r.function),
        `${((r.bytes as number) / 1024).toFixed(0)} KiB`,
        `${((r.gzipBytes as number) / 1024).toFixed(0)} KiB`,
        `${i.median.toFixed(0)} ms (${i.min.toFixed(0)}–${i.max.toFixed(0)})`,
        `+${(r.overBareMs as number).toFixed(0)} ms`,
      ];
    }),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const text = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
  process.stdout.write(
    `Lambda bundles (esbuild as in the CDK app) and cold init in a fresh node ${process.version} process, ${runs} runs\n` +
      `baseline: bare node start ${bare.median.toFixed(0)} ms (${bare.min.toFixed(0)}–${bare.max.toFixed(0)})\n\n${text.join('\n')}\n`,
  );
  if (values.json) {
    writeFileSync(join(out, 'latest.json'), `${JSON.stringify({ node: process.version, runs, bareMs: bare, functions: results }, null, 2)}\n`);
    process.stderr.write(`wrote ${join(out, 'latest.json')}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
