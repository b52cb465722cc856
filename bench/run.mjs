#!/usr/bin/env node
// Launcher for `npm run bench`: Node 20 cannot run TypeScript, so the benchmark sources
// (bench/**/*.ts) are transpiled one file to one file with esbuild (already a devDependency,
// used for the Lambda bundles) into var/bench/build-<pid> (one per run, so a smoke test and a
// full run never share files), then run, then removed. Type-checking stays with
// `npm run typecheck` (tsconfig.json includes bench/). Product code is not transpiled here:
// the benchmarks load the tsc build in dist/, the very code `fraudmini` runs.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const outdir = join(root, 'var', 'bench', `build-${process.pid}`);

const entryPoints = readdirSync(benchDir, { recursive: true })
  .map(String)
  .filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts') && !p.startsWith('results'))
  .map((p) => join(benchDir, p));

await build({
  entryPoints,
  outdir,
  outbase: benchDir,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

const args = process.argv.slice(2);
process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
try {
  if (args[0] === 'profile') {
    // `node bench/run.mjs profile <file.cpuprofile> [top]`: hot spots of a `node --cpu-prof` run.
    const { summarizeProfile } = await import(pathToFileURL(join(outdir, 'profile.js')).href);
    process.stdout.write(summarizeProfile(args[1], root, args[2] ? Number(args[2]) : undefined));
  } else if (args[0] === 'console') {
    // `node bench/run.mjs console [alerts]`: the console's queue and alert reads (bench/console.ts).
    const { main } = await import(pathToFileURL(join(outdir, 'console.js')).href);
    process.exitCode = await main(args.slice(1));
  } else {
    const { main } = await import(pathToFileURL(join(outdir, 'main.js')).href);
    process.exitCode = await main(args, { root, buildDir: outdir });
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
