import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (the directory whose package.json is fraudmini's). Found by walking up
 * from this module rather than from the working directory, so it is the same whether the app
 * runs from source under Vitest or from the esbuild bundle `cdk.json` runs.
 */
export function projectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'fraudmini') {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no fraudmini package.json above ${from}`);
  }
}
