/**
 * Vitest global setup: brings `dist/` up to date with `src/` before any test runs. Tests that
 * spawn `bin/fraudmini.js` (and the SQLite worker threads, which cannot load TypeScript on
 * Node 20) execute `dist/`, so without this `npx vitest run` after an edit would test the
 * previous build. Compiles only when a source is newer than its output, incrementally (the
 * build info lives in `dist/`, so deleting `dist/` starts over), and adds nothing to a run when
 * the build is current.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const DIST = join(ROOT, 'dist');

/** Every TypeScript source under `dir`, recursively. */
function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Where tsc writes the JavaScript of a source (`root/src/a/b.ts` → `root/dist/a/b.js`). */
function outputOf(src: string, root = ROOT): string {
  return join(root, 'dist', relative(join(root, 'src'), src)).replace(/\.ts$/, '.js');
}

/**
 * The sources whose compiled output is missing or older than the source (an edit since the last
 * build), relative to the repository root. The build configuration counts as a source of every
 * output.
 */
export function staleSources(root = ROOT): string[] {
  const configTime = Math.max(
    statSync(join(root, 'tsconfig.json')).mtimeMs,
    statSync(join(root, 'tsconfig.build.json')).mtimeMs,
  );
  const stale: string[] = [];
  for (const src of sources(join(root, 'src'))) {
    const out = outputOf(src, root);
    const built = existsSync(out) ? statSync(out).mtimeMs : -1;
    if (built < Math.max(statSync(src).mtimeMs, configTime)) stale.push(relative(root, src));
  }
  return stale;
}

/** Runs `tsc -p tsconfig.build.json` (incrementally unless told otherwise); resolves to its output. */
function tsc(incremental: boolean): Promise<{ ok: boolean; output: string }> {
  const bin = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [bin, '-p', 'tsconfig.build.json'];
  if (incremental) args.push('--incremental', '--tsBuildInfoFile', join(DIST, '.tsbuildinfo'));
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ ok: !error, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Builds `dist/` and marks every output as current. tsc skips a source whose content did not
 * change (a touch, a checkout of the same text), leaving its output older than the source: its
 * time is set to when the build started, so a later edit is still seen. An output tsc's build
 * info believes written but that is gone (deleted by hand) needs a full build.
 */
async function build(): Promise<void> {
  const started = new Date();
  let result = await tsc(true);
  if (staleSources().some((src) => !existsSync(outputOf(join(ROOT, src))))) result = await tsc(false);
  const missing = staleSources().filter((src) => !existsSync(outputOf(join(ROOT, src))));
  if (missing.length > 0) {
    throw new Error(`test setup: building dist/ failed (no output for ${missing.join(', ')}):\n${result.output}`);
  }
  for (const src of staleSources()) utimesSync(outputOf(join(ROOT, src)), started, started);
  // tsc still writes every output when it reports type errors, so the tests run the sources as
  // they are; `npm run typecheck` judges the types.
  if (!result.ok) process.stderr.write(`test setup: tsc reported errors (dist/ was rebuilt anyway):\n${result.output}\n`);
}

export default async function setup(): Promise<void> {
  const stale = staleSources();
  if (stale.length === 0) return;
  const shown = stale.length > 3 ? `${stale.slice(0, 3).join(', ')} and ${stale.length - 3} more` : stale.join(', ');
  process.stderr.write(`test setup: dist/ is older than ${shown}; building it\n`);
  await build();
}
