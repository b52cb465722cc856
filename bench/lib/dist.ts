import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The repository root: the nearest folder above this file whose package.json is fraudmini's
 * (this file runs from var/bench/build/lib once transpiled).
 */
export function repoRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fraudmini') return dir;
  }
  throw new Error(`no fraudmini package.json above ${from}`);
}

/**
 * Loads a module of the tsc build (`dist/<rel>`), typed by its source:
 * `await fromDist<typeof Csv>('core/csv.js')` with `import type * as Csv from '../../src/core/csv.js'`.
 * The benchmarks measure dist/ because that is what `fraudmini` runs.
 */
export async function fromDist<T>(rel: string, root: string = repoRoot()): Promise<T> {
  const file = join(root, 'dist', rel);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return (await import(pathToFileURL(file).href)) as T;
}
