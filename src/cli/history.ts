import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadRulesFile } from '../adapters/local/FileRulesSource.js';
import { loadConfig } from '../config.js';
import { parseDuration } from '../core/duration.js';
import { FraudminiError } from '../core/errors.js';
import { loadModel, type Model } from '../core/model/model.js';
import { TOKEN_CACHE_CARDS, createPanTokenizer, type PanTokenizer } from '../core/pan.js';
import type { RuleSet } from '../core/rules.js';
import { type FieldMap, parseFieldMap } from '../core/schema.js';
import { parseTimestamp } from '../core/timestamp.js';
import { loadOrCreateTokenKey } from '../local/tokenKey.js';
import { BUNDLED_RULES } from '../local/bundled.js';

/** Options shared by the commands that read labelled history (train, evaluate, backtest, score). */
export interface HistoryContext {
  input: string;
  rules: RuleSet;
  tokenizer: PanTokenizer;
  fieldMap: FieldMap;
  defaultCurrency: string;
  labelDelayMs: number;
  from: number | undefined;
  to: number | undefined;
  size: number;
}

/** Default delay before a label is known: chargebacks and investigations take about a week. */
export const DEFAULT_LABEL_DELAY = '7d';

/** The flags `train` and `evaluate` share: the period, the label delay, the column map, rules and data dir. */
export const HISTORY_FLAGS = {
  from: { type: 'string' },
  to: { type: 'string' },
  'label-delay': { type: 'string' },
  map: { type: 'string' },
  rules: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** Fails with exit code 2 and the message (bad usage or input). */
export class CliInputError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'CliInputError';
  }
}

/** Checks a readable file and returns its size. */
export function readableFile(path: string): number {
  try {
    accessSync(path, constants.R_OK);
    const s = statSync(path);
    if (!s.isFile()) throw new CliInputError(`cannot read ${path}: not a file`);
    return s.size;
  } catch (e) {
    if (e instanceof CliInputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliInputError(
      `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`,
    );
  }
}

/** Fails before any work when an output's folder does not exist or cannot be written. */
export function writableTarget(path: string, flag: string): void {
  const dir = dirname(resolve(path));
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliInputError(
      `${flag} ${path}: ${code === 'ENOENT' ? `no such folder ${dir}` : `cannot write in ${dir}`}`,
    );
  }
}

/** Parses a `--from`/`--to` date (ISO 8601 or epoch). */
export function parseDateFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const t = parseTimestamp(value);
  if (!t.ok) throw new CliInputError(`${flag} ${t.reason}`);
  return t.value;
}

/** Builds the shared context from flags and the environment. */
export function historyContext(
  input: string | undefined,
  values: {
    rules?: string;
    map?: string;
    'data-dir'?: string;
    'label-delay'?: string;
    from?: string;
    to?: string;
  },
  env: Record<string, string | undefined>,
): HistoryContext {
  if (input === undefined) throw new CliInputError('a labelled CSV file is required');
  const size = readableFile(input);
  const config = loadConfig(env, {
    dataDir: values['data-dir'],
    rulesPath: values.rules,
    fieldMap: values.map !== undefined ? parseFieldMap(values.map) : undefined,
  });
  const from = parseDateFlag(values.from, '--from');
  const to = parseDateFlag(values.to, '--to');
  if (from !== undefined && to !== undefined && to <= from) throw new CliInputError('--to must be after --from');
  return {
    input,
    rules: loadRulesFile(resolve(config.rulesPath ?? BUNDLED_RULES)),
    tokenizer: createPanTokenizer(loadOrCreateTokenKey(resolve(config.dataDir), config.tokenKey), { cache: TOKEN_CACHE_CARDS }),
    fieldMap: config.fieldMap,
    defaultCurrency: config.defaultCurrency,
    labelDelayMs: parseDuration(values['label-delay'] ?? DEFAULT_LABEL_DELAY, '--label-delay'),
    from,
    to,
    size,
  };
}

/** Reads and validates a model file. */
export function readModel(path: string): Model {
  readableFile(path);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliInputError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
  try {
    return loadModel(doc);
  } catch (e) {
    throw new CliInputError(`${path}: ${(e as Error).message}`);
  }
}

/** The replay options every history command passes on, from its context and progress bar. */
export function historyOptions(ctx: HistoryContext, onProgress: (bytesRead: number, rows: number) => void) {
  return {
    fileKey: ctx.input.slice(ctx.input.lastIndexOf('/') + 1),
    tokenizer: ctx.tokenizer,
    fieldMap: ctx.fieldMap,
    rules: ctx.rules,
    labelDelayMs: ctx.labelDelayMs,
    defaultCurrency: ctx.defaultCurrency,
    from: ctx.from,
    to: ctx.to,
    onProgress,
  };
}
