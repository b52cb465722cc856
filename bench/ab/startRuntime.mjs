// Starts `fraudmini start` of a built checkout on a fresh data folder and a free port, for the
// A/B scripts here: resolves with the child, its API address and the folder once the API is up.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const TOKEN_KEY = 'fraudmini-bench-token-key-0123456789';

export async function startRuntime(checkout, { env = {}, nodeFlags = [], prefix = 'fraudmini-ab-' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const child = spawn(process.execPath, [...nodeFlags, join(resolve(checkout), 'bin/fraudmini.js'), 'start', '--data-dir', dir, '--port', '0'], {
    env: { ...process.env, FRAUDMINI_TOKEN_KEY: TOKEN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const api = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /API\s+(http:\/\/\S+)/.exec(out);
      if (m) res(m[1]);
    });
    child.once('exit', (code) => rej(new Error(`fraudmini start exited ${code}`)));
  });
  child.stdout.resume();
  return { child, api, dir };
}
