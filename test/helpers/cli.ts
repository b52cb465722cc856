import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The repository root and the built CLI launcher. */
export const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/fraudmini.js');

/** What a CLI process did. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI in `cwd` with no FRAUDMINI_* variables from the outer environment. */
export function runCli(args: string[], cwd: string): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FRAUDMINI_')) env[k] = v;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
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
