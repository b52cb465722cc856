#!/usr/bin/env node
// In-process A/B of the score stage with a model, and of the model alone. Both checkouts must be
// built (`npm run build`); each is loaded from its own dist/. Usage:
//   node bench/ab/modelScore.mjs BEFORE AFTER FILE.csv MODEL.json [ROWS=300000] [RUNS=5]
// 1. scoreBatch with the model and label feedback (as `score --model` runs), batches of 500
//    rows (the CLI's), BEFORE and AFTER interleaved run by run on the same transactions, each run
//    from empty feature state: median tx/s.
// 2. The model alone, on the model vectors of the same rows computed once (AFTER's code): margins
//    per second row by row (marginFlat; explainFlat, the attribution walk scoring used for every
//    row) against tree at a time over blocks (marginsFlat, pathMarginsFlat), interleaved.
// Prints figures only; run it on a quiet machine and read them as ratios.
import { createReadStream, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [before, after, file, modelPath, rowsArg, runsArg] = process.argv.slice(2);
if (!before || !after || !file || !modelPath) {
  process.stderr.write('usage: modelScore.mjs BEFORE AFTER FILE.csv MODEL.json [ROWS] [RUNS]\n');
  process.exit(2);
}
const ROWS = Number(rowsArg ?? 300_000);
const RUNS = Number(runsArg ?? 5);
const TOKEN_KEY = 'fraudmini-bench-token-key-0123456789';

const load = (checkout, path) => import(pathToFileURL(join(resolve(checkout), 'dist', path)).href);
const side = async (checkout) => ({
  score: await load(checkout, 'pipeline/score.js'),
  features: await load(checkout, 'core/features.js'),
  labels: await load(checkout, 'core/labels.js'),
  model: await load(checkout, 'core/model/model.js'),
  rules: await load(checkout, 'adapters/local/FileRulesSource.js'),
});
const A = await side(before);
const B = await side(after);
const { ingestCsv } = await load(after, 'pipeline/ingest.js');
const { createPanTokenizer } = await load(after, 'core/pan.js');
const gbdt = await load(after, 'core/model/gbdt.js');
const { FEATURE_COUNT, modelVector } = await load(after, 'core/model/vector.js');

const txs = [];
read: for await (const batch of ingestCsv(createReadStream(file, { highWaterMark: 1 << 20 }), {
  fileKey: 'ab.csv',
  tokenizer: createPanTokenizer(TOKEN_KEY),
})) {
  for (const r of batch.rows) {
    if (txs.length >= ROWS) break read;
    txs.push(r.transaction);
  }
}
const BATCH = 500;
const batches = [];
for (let i = 0; i < txs.length; i += BATCH) batches.push(txs.slice(i, i + BATCH).map((transaction) => ({ transaction })));
const modelDoc = JSON.parse(readFileSync(modelPath, 'utf8'));
const none = new Set();
let sink = 0;

const stage = (S, explain) => {
  const rules = S.rules.loadRulesFile(join(resolve(after), 'rules', 'default.json'));
  const model = S.model.loadModel(modelDoc);
  return () => {
    const deps = {
      features: new S.features.FeatureWindows({ labels: new S.labels.LabelFeedback({ delayMs: model.labelDelayMs }) }),
      rules,
      model,
      ...(explain ? { explain } : {}),
    };
    for (const b of batches) sink += S.score.scoreBatch(b, none, deps).decided.length;
  };
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const gc = globalThis.gc;

/**
 * Runs each variant RUNS times, interleaved, after one warm-up each; returns the median rate of
 * `count` per second of wall time and per CPU-second (the process's user + system time: on a
 * shared machine, time spent waiting for a core is not counted).
 */
function interleaved(variants, count) {
  for (const run of Object.values(variants)) run();
  const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, { wall: [], cpu: [] }]));
  for (let r = 0; r < RUNS; r++) {
    for (const [name, run] of Object.entries(variants)) {
      gc?.();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      run();
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      rates[name].wall.push(count / (wall / 1000));
      rates[name].cpu.push(count / ((c.user + c.system) / 1e6));
    }
  }
  return Object.fromEntries(
    Object.entries(rates).map(([k, v]) => [k, { median: median(v.wall), cpu: median(v.cpu), runs: v.wall }]),
  );
}
const line = (k, v, width) =>
  `  ${k.padEnd(width)} ${fmt(v.median).padStart(11)} /s   ${fmt(v.cpu).padStart(11)} per CPU-s   runs ${v.runs.map(fmt).join(' ')}`;

console.log(`${txs.length.toLocaleString('en-US')} transactions from ${file}, model ${modelDoc.version} (${modelDoc.trees.length} trees), ${RUNS} runs`);
const s = interleaved(
  { before: stage(A), after: stage(B), 'after --explain all': stage(B, 'all') },
  txs.length,
);
console.log('\nscoreBatch with the model (features + rules + model + decisions), median tx:');
for (const [k, v] of Object.entries(s)) console.log(line(k, v, 22));
console.log(`  after / before: ${(s.after.median / s.before.median).toFixed(2)}× (per CPU-s ${(s.after.cpu / s.before.cpu).toFixed(2)}×)`);

// The model alone, on vectors computed once.
const model = B.model.loadModel(modelDoc);
const flat = model.flat;
const n = txs.length;
const x = new Float64Array(n * FEATURE_COUNT);
{
  const fw = new B.features.FeatureWindows({ labels: new B.labels.LabelFeedback({ delayMs: model.labelDelayMs }) });
  const v = new Float64Array(FEATURE_COUNT);
  txs.forEach((t, i) => x.set(modelVector(t, fw.observe(t), v), i * FEATURE_COUNT));
}
const rows = Array.from({ length: n }, (_, i) => x.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
const out = new Float64Array(n);
const contributions = new Float64Array(FEATURE_COUNT);
const blocked = (kernel, size) => () => {
  for (let i = 0; i < n; i += size) {
    const m = Math.min(size, n - i);
    kernel(flat, x.subarray(i * FEATURE_COUNT), FEATURE_COUNT, m, out.subarray(i, i + m));
  }
  sink += out[n - 1];
};
const m = interleaved(
  {
    'row: explainFlat': () => {
      for (let i = 0; i < n; i++) out[i] = gbdt.explainFlat(flat, rows[i], contributions);
      sink += out[n - 1];
    },
    'row: marginFlat': () => {
      for (let i = 0; i < n; i++) out[i] = gbdt.marginFlat(flat, rows[i]);
      sink += out[n - 1];
    },
    'block 128: pathMargins': blocked(gbdt.pathMarginsFlat, 128),
    'block 512: pathMargins': blocked(gbdt.pathMarginsFlat, 512),
    'block 2048: pathMargins': blocked(gbdt.pathMarginsFlat, 2048),
    'block 512: margins': blocked(gbdt.marginsFlat, 512),
  },
  n,
);
console.log('\nThe model alone on precomputed vectors, median margins:');
for (const [k, v] of Object.entries(m)) console.log(line(k, v, 24));
if (sink === 42) console.log('');
