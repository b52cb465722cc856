#!/usr/bin/env node
// Crash drill: drop a ROWS-row file (4 bad rows) into a fresh `fraudmini start`, SIGKILL it
// KILLS times at random moments of the ingest, start it again, and check that every valid row
// was decided exactly once and the receipt adds up. Prints what it measured.
//
//   node scripts/crash-drill.mjs [rows=200000] [kills=3]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const rows = Number(process.argv[2] ?? 200_000);
const kills = Number(process.argv[3] ?? 3);
const bin = new URL('../bin/fraudmini.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'fraudmini-drill-'));

const bad = new Set([Math.floor(rows * 0.2), Math.floor(rows * 0.4), Math.floor(rows * 0.6), Math.floor(rows * 0.8)]);
let csv = 'transaction_id,timestamp,account_id,card_number,amount,currency,terminal_id,country\n';
let t = Date.UTC(2026, 0, 1);
for (let r = 1; r <= rows; r++) {
  t += 1000 + ((r * 7919) % 5000);
  const amount = bad.has(r) ? 'not-a-number' : (1 + ((r * 104729) % 50000) / 100).toFixed(2);
  csv += `D${r},${new Date(t).toISOString()},ACC${r % 5000},4111111111${String(100000 + (r % 5000)).slice(-6)},${amount},USD,T${r % 10000},US\n`;
}

const start = () => spawn(process.execPath, [bin, 'start', '--data-dir', dir, '--port', '0'], { stdio: 'ignore' });
const rowsDone = () => {
  const path = join(dir, 'fraudmini.db');
  if (!existsSync(path)) return 0;
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT coalesce(max(rows_done), 0) FROM files').pluck().get();
  } catch {
    return 0;
  } finally {
    db.close();
  }
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let child = start();
while (!existsSync(join(dir, 'inbox'))) await sleep(20);
writeFileSync(join(dir, 'drill.csv.part'), csv);
renameSync(join(dir, 'drill.csv.part'), join(dir, 'inbox/drill.csv'));
const started = Date.now();
const killedAt = [];
for (let k = 0; k < kills; k++) {
  const target = Math.floor((rows * (k + 1 + Math.random() * 0.8)) / (kills + 1));
  while (rowsDone() < target) await sleep(5);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  killedAt.push(rowsDone());
  child = start();
}
const receiptPath = join(dir, 'processed/drill.receipt.json');
while (!existsSync(receiptPath)) await sleep(20);
const seconds = (Date.now() - started) / 1000;
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));

const receipt = JSON.parse(readFileSync(receiptPath, 'utf8'));
const db = new Database(join(dir, 'fraudmini.db'), { readonly: true });
const decisions = db.prepare('SELECT count(*) FROM decisions').pluck().get();
const distinct = db.prepare('SELECT count(DISTINCT row) FROM transactions').pluck().get();
db.close();
const ok =
  decisions === rows - bad.size &&
  distinct === decisions &&
  receipt.counts.rejected === bad.size &&
  receipt.counts.rows === rows &&
  receipt.counts.decided === decisions;
console.log(`rows ${rows}, SIGKILLs after rows ${killedAt.join(', ')} committed`);
console.log(`decisions ${decisions} (expected ${rows - bad.size}), distinct rows decided ${distinct}`);
console.log(`receipt counts ${JSON.stringify(receipt.counts)}`);
console.log(`wall time with restarts ${seconds.toFixed(1)} s; ${ok ? 'PASS' : 'FAIL'}`);
rmSync(dir, { recursive: true, force: true });
process.exitCode = ok ? 0 : 1;
