import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ModelFile } from '../core/model/model.js';
import { MODEL_FEATURES } from '../core/model/vector.js';
import { trainModel } from '../pipeline/train.js';
import { CliInputError, HISTORY_FLAGS, DEFAULT_LABEL_DELAY, historyContext, writableTarget, historyOptions } from './history.js';
import { ProgressBar } from './progress.js';

/**
 * `fraudmini train <labelled.csv> [--from DATE] [--to DATE] [--label-delay 7d] [--map …] --out model.json`
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
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw new CliInputError('train takes one labelled CSV file');
  if (values.out === undefined) throw new CliInputError('train needs --out <model.json>');
  writableTarget(values.out, '--out');
  const ctx = historyContext(positionals[0], values, env);
  const trees = values.trees !== undefined ? Number(values.trees) : undefined;
  if (trees !== undefined && !(Number.isInteger(trees) && trees > 0)) throw new CliInputError('--trees must be a positive integer');
  const maxNegatives = values['max-negatives'] !== undefined ? Number(values['max-negatives']) : undefined;
  if (maxNegatives !== undefined && !(Number.isInteger(maxNegatives) && maxNegatives > 0)) {
    throw new CliInputError('--max-negatives must be a positive integer');
  }
  if (values['tune-budget'] !== undefined && !values.tune) throw new CliInputError('--tune-budget goes with --tune');
  const tune = values.tune ? { budgetSeconds: parseBudget(values['tune-budget']) } : undefined;
  const bar = new ProgressBar({ total: ctx.size, label: 'features' });
  const started = Date.now();
  let file: Awaited<ReturnType<typeof trainModel>>;
  try {
    file = await trainModel(createReadStream(ctx.input, { highWaterMark: 1 << 20 }), {
      ...historyOptions(ctx, (bytes, rows) => bar.update(bytes, rows)),
      maxNegatives,
      gbdt: trees !== undefined ? { trees } : undefined,
      tune,
    });
  } catch (e) {
    if (e instanceof RangeError) throw new CliInputError(e.message);
    throw e;
  } finally {
    bar.done();
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
