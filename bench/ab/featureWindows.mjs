#!/usr/bin/env node
// In-process A/B of the windowed feature state (features only: no rules, no model) between two
// built checkouts, on the same transactions:
//   base      FeatureWindows.observe, one transaction at a time, from BASE's dist/
//   observe   FeatureWindows.observe, one at a time, from NEW's dist/
//   batch     FeatureWindows.observeBatch over blocks of 4,096 into one reused matrix (NEW)
// each with label feedback off and on (7-day delay). Runs are interleaved, each from an empty
// store, and the median is printed; machine contention hits every variant alike. Throughput is
// per CPU second of this process (user + system), steadier than wall time on a shared machine.
// `--memory` instead runs each variant once in a child process of its own and prints the heap
// and array-buffer bytes the store holds after the last transaction (after a full collection),
// per retained event, and the peak seen while observing.
//
// Usage (both checkouts built with `npm run build`):
//   node --expose-gc bench/ab/featureWindows.mjs BASE NEW FILE.csv [--rows N] [--runs R] [--memory]
import { spawnSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
/** Flags that take a value; every other argument not starting with -- is positional. */
const VALUED = new Set(['--rows', '--runs', '--child']);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const [baseDir, newDir, file] = args.filter((a, i) => !a.startsWith('--') && !VALUED.has(args[i - 1]));
if (!baseDir || !newDir || !file) {
  process.stderr.write('usage: featureWindows.mjs BASE NEW FILE.csv [--rows N] [--runs R] [--memory]\n');
  process.exit(2);
}
const rows = Number(flag('--rows', '1000000'));
const runs = Number(flag('--runs', '5'));
const child = flag('--child', undefined);
const BLOCK = 4096;
const DAY = 86_400_000;

const load = async (dir, rel) => import(pathToFileURL(join(resolve(dir), 'dist', rel)).href);
const [base, next, labelsBase, labelsNext, ingest, pan] = await Promise.all([
  load(baseDir, 'core/features.js'),
  load(newDir, 'core/features.js'),
  load(baseDir, 'core/labels.js'),
  load(newDir, 'core/labels.js'),
  load(newDir, 'pipeline/ingest.js'),
  load(newDir, 'core/pan.js'),
]);

/** The first `rows` valid transactions of the file, parsed once, outside every timing. */
async function readTransactions() {
  const txs = [];
  const tokenizer = pan.createPanTokenizer('fraudmini-bench-token-key-0123456789');
  read: for await (const batch of ingest.ingestCsv(createReadStream(file, { highWaterMark: 1 << 20 }), { fileKey: 'ab.csv', tokenizer })) {
    for (const r of batch.rows) {
      if (txs.length >= rows) break read;
      txs.push(r.transaction);
    }
  }
  return txs;
}

/** A fresh store of a variant. */
function storeOf(variant, labels) {
  const mod = variant === 'base' ? base : next;
  const feedback = labels ? new (variant === 'base' ? labelsBase : labelsNext).LabelFeedback({ delayMs: 7 * DAY }) : undefined;
  return new mod.FeatureWindows(feedback ? { labels: feedback } : {});
}

let sink = 0;
const matrix = new Float64Array(BLOCK * next.FEATURE_ROW);

/** Observes every transaction with the variant's API; `each` runs every 65,536 transactions. */
function observeAll(variant, store, txs, each) {
  if (variant === 'batch') {
    const row = store.row(matrix);
    for (let i = 0; i < txs.length; i += BLOCK) {
      const to = Math.min(txs.length, i + BLOCK);
      store.observeBatch(txs, i, to, matrix);
      row.at = (to - i - 1) * next.FEATURE_ROW;
      sink += next.featureValue(row, 'account', '1h', 'count', 0);
      if ((i & 65535) === 0) each?.();
    }
    return;
  }
  for (let i = 0; i < txs.length; i++) {
    const f = store.observe(txs[i]);
    if ((i & 65535) === 0) each?.();
    if (i === txs.length - 1) sink += f.values.length;
  }
}

const variants = ['base', 'observe', 'batch'];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

if (child) {
  // One variant's memory, in a process of its own.
  const [variant, labels] = child.split(':');
  const txs = await readTransactions();
  globalThis.gc?.();
  const before = used();
  const store = storeOf(variant, labels === 'on');
  let peak = 0;
  observeAll(variant, store, txs, () => (peak = Math.max(peak, used() - before)));
  globalThis.gc?.();
  const held = used() - before;
  const size = store.size();
  process.stdout.write(`${JSON.stringify({ variant, labels, ...size, heldBytes: held, peakBytes: Math.max(peak, held), bytesPerEvent: held / size.events })}\n`);
  process.exit(0);
}

if (args.includes('--memory')) {
  for (const labels of ['off', 'on']) {
    for (const variant of variants) {
      const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=8192', ...process.argv.slice(1), '--child', `${variant}:${labels}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      process.stdout.write(r.stdout);
    }
  }
  process.exit(0);
}

const txs = await readTransactions();
process.stderr.write(`${txs.length.toLocaleString('en-US')} transactions, ${runs} interleaved runs per variant\n`);
for (const labels of [false, true]) {
  const ms = Object.fromEntries(variants.map((v) => [v, []]));
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < runs; r++) {
    for (const variant of variants) {
      globalThis.gc?.();
      const store = storeOf(variant, labels);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      observeAll(variant, store, txs);
      const c = process.cpuUsage(c0);
      ms[variant].push(performance.now() - t0);
      cpu[variant].push((c.user + c.system) / 1000);
    }
  }
  for (const variant of variants) {
    const m = median(cpu[variant]);
    process.stdout.write(
      `${JSON.stringify({ variant, labels: labels ? 'on' : 'off', medianCpuMs: Math.round(m), txPerCpuS: Math.round(txs.length / (m / 1000)), cpuMs: cpu[variant].map(Math.round), wallMs: ms[variant].map(Math.round) })}\n`,
    );
  }
}
process.stderr.write(`(sink ${sink})\n`);
