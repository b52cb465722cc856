#!/usr/bin/env node
// One run of a built checkout's local runtime, for A/B comparisons of two checkouts with
// farm-bench (docs/performance.md): `fraudmini start` on a fresh data dir, then either
//   inbox FILE.csv   the file renamed into the inbox, until its receipt is written, or
//   post N           N POST /transactions, 32 in flight, until every one is answered;
// prints one line of figures and exits. Usage:
//   farm-bench -n 5 --vs 'node bench/ab/runtimeOnce.mjs /tmp/base inbox f.csv' -- node bench/ab/runtimeOnce.mjs . inbox f.csv
/* global fetch */
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRuntime } from './startRuntime.mjs';

const [checkout, mode, arg] = process.argv.slice(2);
if (!checkout || (mode !== 'inbox' && mode !== 'post') || !arg) {
  process.stderr.write('usage: runtimeOnce.mjs CHECKOUT inbox FILE.csv | post N\n');
  process.exit(2);
}
const { child, api, dir } = await startRuntime(checkout, { env: { FRAUDMINI_POLL_MS: '50' } });
try {
  const t0 = performance.now();
  let count;
  if (mode === 'inbox') {
    const staged = join(dir, 'in.csv.staged');
    copyFileSync(arg, staged);
    const receipt = join(dir, 'processed', 'in.receipt.json');
    const start = performance.now();
    renameSync(staged, join(dir, 'inbox', 'in.csv'));
    while (!existsSync(receipt)) await sleep(20);
    count = JSON.parse(readFileSync(receipt, 'utf8')).counts.rows;
    const s = (performance.now() - start) / 1000;
    process.stdout.write(`inbox ${count} rows in ${s.toFixed(2)} s: ${Math.round(count / s)} rows/s\n`);
  } else {
    const n = Number(arg);
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const i = next++;
        const body = JSON.stringify({ transaction_id: `AB${i}`, account_id: `A${i % 500}`, amount: '12.50', timestamp: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(), card_number: '4000 0000 0000 0002' });
        const res = await fetch(`${api}/transactions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const s = (performance.now() - t0) / 1000;
    process.stdout.write(`post ${n} in ${s.toFixed(2)} s: ${Math.round(n / s)} req/s\n`);
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  rmSync(dir, { recursive: true, force: true });
}
