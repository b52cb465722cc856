import { createReadStream, existsSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStoredHistory } from '../adapters/local/SqliteStoredHistory.js';
import { SqliteSchemaError } from '../adapters/local/SqliteStateStore.js';
import { loadConfig } from '../config.js';
import { parseDuration } from '../core/duration.js';
import type { ModelFile } from '../core/model/model.js';
import { MODEL_FEATURES } from '../core/model/vector.js';
import { trainModel, trainModelFromStore } from '../pipeline/train.js';
import {
  CliInputError,
  DEFAULT_LABEL_DELAY,
  HISTORY_FLAGS,
  historyContext,
  historyOptions,
  parseDateFlag,
  writableTarget,
} from './history.js';
import { ProgressBar } from './progress.js';

/**
 * `fraudmini train <labelled.csv> [--from DATE] [--to DATE] [--label-delay 7d] [--map …] --out model.json`,
 * or `fraudmini train --from-db [--data-dir DIR] …`: learns from the transactions and labels stored
 * in the data dir instead of a file.
 */
export async function trainCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string', short: 'o' },
      ...HISTORY_FLAGS,
      trees: { type: 'string' },
      'max-negatives': { type: 'string' },
      tune: { type: 'boolean' },
      'tune-budget': { type: 'string' },
      'from-db': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const fromDb = values['from-db'] === true;
  if (fromDb && positionals.length > 0) throw new CliInputError('train --from-db reads the data dir: give no file');
  if (!fromDb && positionals.length !== 1) throw new CliInputError('train takes one labelled CSV file, or --from-db');
  if (values.out === undefined) throw new CliInputError('train needs --out <model.json>');
  writableTarget(values.out, '--out');
  const trees = values.trees !== undefined ? Number(values.trees) : undefined;
  if (trees !== undefined && !(Number.isInteger(trees) && trees > 0)) throw new CliInputError('--trees must be a positive integer');
  const maxNegatives = values['max-negatives'] !== undefined ? Number(values['max-negatives']) : undefined;
  if (maxNegatives !== undefined && !(Number.isInteger(maxNegatives) && maxNegatives > 0)) {
    throw new CliInputError('--max-negatives must be a positive integer');
  }
  if (values['tune-budget'] !== undefined && !values.tune) throw new CliInputError('--tune-budget goes with --tune');
  const tune = values.tune ? { budgetSeconds: parseBudget(values['tune-budget']) } : undefined;
  const started = Date.now();
  const learn = { maxNegatives, gbdt: trees !== undefined ? { trees } : undefined, tune };
  let file: Awaited<ReturnType<typeof trainModel>>;
  try {
    file = fromDb ? await trainFromDb(values, env, learn) : await trainFromFile(positionals[0], values, env, learn);
  } catch (e) {
    if (e instanceof RangeError) throw new CliInputError(e.message);
    throw e;
  }
  const part = `${values.out}.part`;
  writeFileSync(part, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  renameSync(part, values.out);
  const t = file.training;
  const top = Object.entries(file.importance)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`)
    .join(', ');
  process.stderr.write(
    `model ${file.version} -> ${values.out}\n` +
      `  trained on ${t.rows.toLocaleString('en-US')} labelled rows (${t.positives.toLocaleString('en-US')} fraud) ` +
      `from ${t.from ?? 'the start'} to ${t.to ?? 'the end'}, label delay ${values['label-delay'] ?? DEFAULT_LABEL_DELAY}\n` +
      `  ${t.best_iteration} trees (of ${t.trees_trained} grown; validation log-loss ${t.validation_logloss?.toFixed(4) ?? 'n/a'}), ` +
      `${MODEL_FEATURES.length} features, ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      `  most important: ${top}\n` +
      tuningLines(file) +
      calibrationLine(file),
  );
  return 0;
}

type TrainFlags = Parameters<typeof historyContext>[1];
type Learning = Pick<Parameters<typeof trainModel>[1], 'maxNegatives' | 'gbdt' | 'tune'>;

async function trainFromFile(input: string | undefined, values: TrainFlags, env: Record<string, string | undefined>, learn: Learning) {
  const ctx = historyContext(input, values, env);
  const bar = new ProgressBar({ total: ctx.size, label: 'features' });
  try {
    return await trainModel(createReadStream(ctx.input, { highWaterMark: 1 << 20 }), {
      ...historyOptions(ctx, (bytes, rows) => bar.update(bytes, rows)),
      ...learn,
    });
  } finally {
    bar.done();
  }
}

/** `--from-db`: the data dir's stored transactions, in event-time order, with the labels in force. */
async function trainFromDb(values: TrainFlags, env: Record<string, string | undefined>, learn: Learning) {
  if (values.map !== undefined || values.rules !== undefined) throw new CliInputError('--map and --rules do not apply to --from-db');
  const dataDir = resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir);
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) throw new CliInputError(`no database in ${dataDir}: has fraudmini start run with this data dir?`);
  const from = parseDateFlag(values.from, '--from');
  const to = parseDateFlag(values.to, '--to');
  if (from !== undefined && to !== undefined && to <= from) throw new CliInputError('--to must be after --from');
  let history: SqliteStoredHistory;
  try {
    history = SqliteStoredHistory.open(path);
  } catch (e) {
    if (e instanceof SqliteSchemaError) throw new CliInputError(e.message);
    throw e;
  }
  try {
    return await trainModelFromStore(history.byTime(), {
      labelDelayMs: parseDuration(values['label-delay'] ?? DEFAULT_LABEL_DELAY, '--label-delay'),
      from,
      to,
      ...learn,
    });
  } finally {
    history.close();
  }
}

/** How the score maps to a probability, for the summary. */
function calibrationLine(file: ModelFile): string {
  const c = file.calibration;
  if (!c) return '  not calibrated (too few frauds among the held-out rows): the score is the trees\' estimate × 100\n';
  return (
    `  calibrated on the ${c.rows.toLocaleString('en-US')} held-out rows (${c.frauds.toLocaleString('en-US')} fraud) from ${c.from}: ` +
    `the score is the fraud probability × 100 (Platt a ${c.a.toFixed(3)}, b ${c.b.toFixed(3)}; ` +
    `Brier ${c.brier_before.toFixed(5)} before, ${c.brier_after.toFixed(5)} after)\n`
  );
}

/** `--tune-budget`: seconds, or a duration like 90s or 5m. @default 300 s */
function parseBudget(raw: string | undefined): number {
  if (raw === undefined) return 300;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m)?\s*$/.exec(raw);
  if (!m || Number(m[1]) <= 0) throw new CliInputError(`--tune-budget must be seconds or minutes, e.g. 90s or 5m, got "${raw}"`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** What `--tune` tried and chose, for the summary. */
function tuningLines(file: ModelFile): string {
  const t = file.tuning;
  if (!t) return '';
  const name = (p: Record<string, unknown>): string =>
    Object.keys(p).length === 0 ? 'defaults' : Object.entries(p).map(([k, v]) => `${k}=${String(v)}`).join(' ');
  const tried = t.candidates.map((c) => `    ${name(c.params).padEnd(52)} AP ${Number.isFinite(c.averagePrecision) ? c.averagePrecision.toFixed(4) : 'n/a'}`);
  return (
    `  tuned on ${t.folds} prequential folds in ${t.seconds} s${t.complete ? '' : ' (budget reached before every candidate was tried)'}: chose ${name(t.chosen)}\n` +
    `${tried.join('\n')}\n`
  );
}
