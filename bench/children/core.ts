// Benchmark 1, core scoring in process. Runs in its own process (a clean heap, and room for a
// million transactions in memory). Reads the bench file once into validated transactions, then
// times, interleaved run by run so machine contention hits all alike:
//   features  FeatureWindows.observe only (the baseline: the windowed state every decision needs)
//   rules     the score stage (scoreBatch: features + rules), batches of 5,000 as the pipeline does
//   model     the score stage with the model, and label feedback on (as `score --model` runs)
// Each run starts from empty feature state. Prints one JSON line.
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as FileRulesSource from '../../src/adapters/local/FileRulesSource.js';
import type * as FeaturesMod from '../../src/core/features.js';
import type * as LabelsMod from '../../src/core/labels.js';
import type * as ModelMod from '../../src/core/model/model.js';
import type * as PanMod from '../../src/core/pan.js';
import type { Transaction } from '../../src/core/transaction.js';
import type * as IngestMod from '../../src/pipeline/ingest.js';
import type * as ScoreMod from '../../src/pipeline/score.js';
import { fromDist, repoRoot } from '../lib/dist.js';

/** What the harness asks for. */
export interface CoreSpec {
  file: string;
  rows: number;
  runs: number;
  warmupRows: number;
  model?: string;
  tokenKey: string;
}

/** What this child prints. */
export interface CoreResult {
  rows: number;
  cardinality: { accounts: number; cards: number; terminals: number; merchants: number };
  /** Wall milliseconds per run, per variant. */
  ms: Record<string, number[]>;
  /** CPU milliseconds (user + system, all threads) per run, per variant. */
  cpuMs: Record<string, number[]>;
  model?: { version: string; trees: number };
}

const spec = JSON.parse(process.argv[2] ?? '{}') as CoreSpec;
const root = repoRoot();
const [{ ingestCsv }, { createPanTokenizer }, { FeatureWindows }, { LabelFeedback }, { loadModel }, { scoreBatch }, rulesSrc] =
  await Promise.all([
    fromDist<typeof IngestMod>('pipeline/ingest.js', root),
    fromDist<typeof PanMod>('core/pan.js', root),
    fromDist<typeof FeaturesMod>('core/features.js', root),
    fromDist<typeof LabelsMod>('core/labels.js', root),
    fromDist<typeof ModelMod>('core/model/model.js', root),
    fromDist<typeof ScoreMod>('pipeline/score.js', root),
    fromDist<typeof FileRulesSource>('adapters/local/FileRulesSource.js', root),
  ]);

const progress = (s: string): void => {
  process.stderr.write(`  [core] ${s}\n`);
};

// Read and validate once, outside every timing: the benchmark is scoring, not parsing.
progress(`reading ${spec.rows.toLocaleString('en-US')} transactions into memory`);
const txs: Transaction[] = [];
const tokenizer = createPanTokenizer(spec.tokenKey);
read: for await (const batch of ingestCsv(createReadStream(spec.file, { highWaterMark: 1 << 20 }), {
  fileKey: 'core.csv',
  tokenizer,
})) {
  for (const r of batch.rows) {
    if (txs.length >= spec.rows) break read;
    txs.push(r.transaction);
  }
}
const distinct = (key: (t: Transaction) => string | undefined): number => {
  const s = new Set<string>();
  for (const t of txs) {
    const k = key(t);
    if (k !== undefined) s.add(k);
  }
  return s.size;
};
const cardinality = {
  accounts: distinct((t) => t.accountId),
  cards: distinct((t) => t.card?.token),
  terminals: distinct((t) => t.terminalId),
  merchants: distinct((t) => t.merchant),
};
progress(
  `${txs.length.toLocaleString('en-US')} transactions: ${cardinality.accounts} accounts, ${cardinality.cards} cards, ` +
    `${cardinality.terminals} terminals, ${cardinality.merchants} merchants`,
);

const rules = rulesSrc.loadRulesFile(join(root, 'rules', 'default.json'));
const modelFile = spec.model ? (JSON.parse(readFileSync(spec.model, 'utf8')) as ModelMod.ModelFile) : undefined;
const model = modelFile ? loadModel(modelFile) : undefined;

type Items = { transaction: Transaction }[];
const BATCH = 5000;
const batchesOf = (n: number): Items[] => {
  const out: Items[] = [];
  for (let i = 0; i < n; i += BATCH) out.push(txs.slice(i, Math.min(n, i + BATCH)).map((transaction) => ({ transaction })));
  return out;
};
const allBatches = batchesOf(txs.length);
const warmBatches = batchesOf(Math.min(spec.warmupRows, txs.length));
const none = new Set<string>();

/** Touches the result so the work cannot be optimised away. */
let sink = 0;

const variants: Record<string, (batches: Items[]) => void> = {
  features: (batches) => {
    const fw = new FeatureWindows();
    for (const b of batches) for (const it of b) sink += fw.observe(it.transaction).values.length;
  },
  rules: (batches) => {
    const deps = { features: new FeatureWindows(), rules };
    for (const b of batches) sink += scoreBatch(b, none, deps).decided.length;
  },
};
if (model) {
  variants.model = (batches) => {
    const deps = {
      features: new FeatureWindows({ labels: new LabelFeedback({ delayMs: model.labelDelayMs }) }),
      rules,
      model,
    };
    for (const b of batches) sink += scoreBatch(b, none, deps).decided.length;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const ms: Record<string, number[]> = {};
const cpuMs: Record<string, number[]> = {};
for (const [name, run] of Object.entries(variants)) {
  progress(`warm-up ${name} (${Math.min(spec.warmupRows, txs.length).toLocaleString('en-US')} rows)`);
  run(warmBatches);
  ms[name] = [];
  cpuMs[name] = [];
}
for (let r = 0; r < spec.runs; r++) {
  for (const [name, run] of Object.entries(variants)) {
    gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    run(allBatches);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    ms[name]?.push(wall);
    cpuMs[name]?.push((c.user + c.system) / 1000);
    progress(`run ${r + 1}/${spec.runs} ${name}: ${Math.round(txs.length / (wall / 1000)).toLocaleString('en-US')} tx/s`);
  }
}
const result: CoreResult = { rows: txs.length, cardinality, ms, cpuMs };
if (model && modelFile) result.model = { version: model.version, trees: modelFile.trees.length };
if (sink < 0) progress('unreachable');
console.log(JSON.stringify(result));
