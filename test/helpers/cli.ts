import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { staleSources } from '../setup/build.js';

/** The repository root and the CLI launcher (which runs the build in `dist/`). */
export const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/fraudmini.js');

let checked = false;

/**
 * The CLI launcher, once `dist/` is known to match `src/`: the test setup builds it, and this
 * refuses to run a stale build (a run under a configuration without that setup) rather than
 * test yesterday's code.
 */
export function builtBin(): string {
  if (!checked) {
    const stale = staleSources();
    if (stale.length > 0) {
      throw new Error(`dist/ is older than ${stale.join(', ')}: run the tests with vitest.config.ts (it builds), or npm run build`);
    }
    checked = true;
  }
  return BIN;
}

/** What a CLI process did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI (built from the current sources) in `cwd` with no FRAUDMINI_* variables from the outer environment. */
export function runCli(args: string[], cwd: string): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) env[k] = v;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [builtBin(), ...args], { cwd, env, timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      if (code === undefined) reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}

/** Non-empty lines of an output. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}
