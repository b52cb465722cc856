import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { loadRulesFile } from '../adapters/local/FileRulesSource.js';
import { loadConfig } from '../config.js';
import { createPanTokenizer, TOKEN_CACHE_CARDS } from '../core/pan.js';
import { parseFieldMap } from '../core/schema.js';
import { loadOrCreateTokenKey } from '../local/tokenKey.js';
import { BUNDLED_RULES } from '../local/bundled.js';
import { HANDBOOK_SPLIT, type ProtocolOptions, type ProtocolResult, runProtocol } from '../pipeline/protocol.js';
import { HANDBOOK_DEFAULTS, handbookCsv, simulateHandbook } from '../synth/handbook.js';
import { CliInputError, readableFile } from './history.js';
import { int, ratio, table } from './table.js';

/** The flags of `evaluate --protocol`. */
export interface ProtocolFlags {
  protocol?: string;
  seeds?: string;
  customers?: string;
  terminals?: string;
  trees?: string;
  tune?: boolean;
  json?: boolean;
  rules?: string;
  map?: string;
  'data-dir'?: string;
}

/** The handbook's published figures on this split (AUC, average precision, card precision@100). */
export const PUBLISHED = [
  { name: 'handbook XGBoost (published)', auc: 0.862, ap: 0.639, cp: 0.273 },
  { name: 'handbook random forest (published)', auc: 0.867, ap: 0.658, cp: 0.287 },
] as const;

/**
 * `fraudmini evaluate --protocol handbook [--seeds 1,2,3,4,5] [file.csv]`: the fraud-detection
 * handbook's protocol (train on the 7 days from 2018-07-25 with a 7-day label delay, test on the
 * 7 days from 2018-08-08) with fraudmini's default training, on the handbook simulator for each
 * seed, or on a given file in the handbook's period. Prints each run and mean ± sd.
 */
export async function protocolCommand(positionals: string[], values: ProtocolFlags, env: Record<string, string | undefined>): Promise<number> {
  if (values.protocol !== 'handbook') throw new CliInputError(`--protocol must be handbook, got "${values.protocol ?? ''}"`);
  if (positionals.length > 1) throw new CliInputError('evaluate --protocol takes at most one labelled CSV file');
  const file = positionals[0];
  if (file !== undefined && (values.seeds !== undefined || values.customers !== undefined || values.terminals !== undefined)) {
    throw new CliInputError('--seeds, --customers and --terminals simulate data: give them or a file, not both');
  }
  const seeds = file === undefined ? list(values.seeds ?? '1,2,3,4,5') : [];
  const customers = whole(values.customers, '--customers', HANDBOOK_DEFAULTS.customers, 50_000);
  const terminals = whole(values.terminals, '--terminals', HANDBOOK_DEFAULTS.terminals, 1_000_000);
  const trees = values.trees !== undefined ? whole(values.trees, '--trees', 0, 10_000) : undefined;
  if (file !== undefined) readableFile(file);
  const config = loadConfig(env, {
    dataDir: values['data-dir'],
    rulesPath: values.rules,
    fieldMap: values.map !== undefined ? parseFieldMap(values.map) : undefined,
  });
  const base = (fileKey: string): ProtocolOptions => ({
    fileKey,
    tokenizer: createPanTokenizer(loadOrCreateTokenKey(resolve(config.dataDir), config.tokenKey), { cache: TOKEN_CACHE_CARDS }),
    fieldMap: config.fieldMap,
    rules: loadRulesFile(resolve(config.rulesPath ?? BUNDLED_RULES)),
    defaultCurrency: config.defaultCurrency,
    split: HANDBOOK_SPLIT,
    gbdt: trees !== undefined ? { trees } : undefined,
    tune: values.tune ? { budgetSeconds: 600 } : undefined,
  });
  const runs: { name: string; result: ProtocolResult; seconds: number }[] = [];
  const started = Date.now();
  if (file !== undefined) {
    const result = await runProtocol(createReadStream(file, { highWaterMark: 1 << 20 }), base(file.slice(file.lastIndexOf('/') + 1)));
    runs.push({ name: file, result, seconds: (Date.now() - started) / 1000 });
  }
  for (const seed of seeds) {
    const t0 = Date.now();
    const sim = simulateHandbook({ seed, customers, terminals });
    const result = await runProtocol(chunks(handbookCsv(sim, HANDBOOK_DEFAULTS.start)), base(`handbook-seed${seed}.csv`));
    runs.push({ name: `seed ${seed}`, result, seconds: (Date.now() - t0) / 1000 });
    if (!values.json) process.stderr.write(`seed ${seed}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  if (runs.some((r) => r.result.testFrauds === 0)) {
    throw new CliInputError('no fraud in the test period (2018-08-08 to 2018-08-15): is the file in the handbook period?');
  }
  const summary = (pick: (r: ProtocolResult) => number): { mean: number; sd: number } => meanSd(runs.map((r) => pick(r.result)));
  const means = { auc: summary((r) => r.auc), averagePrecision: summary((r) => r.averagePrecision), cardPrecisionAt100: summary((r) => r.cardPrecisionAt100) };
  if (values.json) {
    const out = {
      protocol: 'handbook',
      split: { train: '2018-07-25', trainDays: 7, delayDays: 7, test: '2018-08-08', testDays: 7 },
      runs: runs.map((r) => ({
        name: r.name,
        trainRows: r.result.trainRows,
        trainFrauds: r.result.trainFrauds,
        testRows: r.result.testRows,
        testFrauds: r.result.testFrauds,
        auc: r.result.auc,
        averagePrecision: r.result.averagePrecision,
        cardPrecisionAt100: r.result.cardPrecisionAt100,
        trees: r.result.model.training.best_iteration,
        brier: r.result.brier,
        tuning: r.result.model.tuning,
        seconds: r.seconds,
      })),
      mean: means,
      published: PUBLISHED,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const pm = (s: { mean: number; sd: number }): string => `${ratio(s.mean)} ± ${ratio(s.sd)}`;
  const rows = runs.map((r) => [
    r.name,
    int(r.result.trainRows),
    int(r.result.trainFrauds),
    int(r.result.testRows),
    int(r.result.testFrauds),
    String(r.result.model.training.best_iteration),
    ratio(r.result.auc),
    ratio(r.result.averagePrecision),
    ratio(r.result.cardPrecisionAt100),
  ]);
  rows.push([`mean ± sd (${runs.length})`, '', '', '', '', '', pm(means.auc), pm(means.averagePrecision), pm(means.cardPrecisionAt100)]);
  for (const p of PUBLISHED) rows.push([p.name, '', '', '', '', '', ratio(p.auc), ratio(p.ap), ratio(p.cp)]);
  process.stdout.write(
    'handbook protocol: train on the 7 days from 2018-07-25, label delay 7 days, test on the 7 days from 2018-08-08\n' +
      '(test days leave out cards with a fraud known by then; card P@100 per day, detected cards removed, averaged)\n\n' +
      `${table(['run', 'train rows', 'train fraud', 'test rows', 'test fraud', 'trees', 'AUC', 'avg precision', 'card P@100'], rows)}\n`,
  );
  return 0;
}

/** Mean and sample standard deviation (0 for one value). */
export function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/** A synchronous generator of text as an async iterable (the replay reads async sources). */
async function* chunks(text: Iterable<string>): AsyncGenerator<string> {
  for (const chunk of text) yield chunk;
}

function list(raw: string): number[] {
  const seeds = raw.split(',').map((s) => s.trim());
  if (seeds.length === 0 || seeds.some((s) => !/^\d+$/.test(s) || Number(s) > 4_294_967_295)) {
    throw new CliInputError(`--seeds must be whole numbers separated by commas (e.g. 1,2,3), got "${raw}"`);
  }
  return seeds.map(Number);
}

function whole(raw: string | undefined, flag: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new CliInputError(`${flag} must be a whole number from 1 to ${max}, got "${raw}"`);
  return v;
}
