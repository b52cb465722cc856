import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRulesFile } from '../adapters/local/FileRulesSource.js';
import { TextLogger } from '../adapters/local/TextLogger.js';
import { type Config, loadConfig, SETTINGS } from '../config.js';
import { parseDuration } from '../core/duration.js';
import { FraudminiError } from '../core/errors.js';
import { TOKEN_CACHE_CARDS, createPanTokenizer, maskPansInText } from '../core/pan.js';
import { parseFieldMap } from '../core/schema.js';
import { loadOrCreateTokenKey } from '../local/tokenKey.js';
import { BUNDLED_RULES, BUNDLED_SAMPLE } from '../local/bundled.js';
import { readModel } from './history.js';
import { scoreFile } from './score.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const USAGE = `fraudmini ${VERSION}: score card and account transactions for fraud

Usage:
  fraudmini start [--data-dir ./var] [--port 3000] [--host 127.0.0.1] [--api-key KEY] [--admin-key KEY]
                  [--rules rules.json] [--map THEIR=ours,...] [--webhook URL] [--model model.json] [--label-delay 7d]
                  [--max-record 65536] [--secure-cookies] [--shadow-rules rules.json] [--shadow-model model.json]
      Runs the local pipeline: watches <data-dir>/inbox for *.csv, serves the HTTP API and the
      analyst console at / (users: fraudmini users add; --secure-cookies when reached over TLS).
      --shadow-*: a challenger decides every transaction beside the rules and model in force,
      without acting; its decisions are stored apart (fraudmini compare, GET /stats/shadow).

  fraudmini compare [--data-dir ./var] [--json] [--promote]
      The shadow challenger against the decisions in force: agreement, outcomes, flagged,
      precision and recall on the labels known so far.
  fraudmini promote [--data-dir ./var]
      Puts the challenger's rules in force now (audited) and its model in <data-dir>/model.json,
      which the next start uses when no --model is given.

  fraudmini score <file.csv> --out <decisions.jsonl|decisions.csv> [--rules rules.json] [--map THEIR=ours,...]
                  [--model model.json] [--label-delay 7d] [--explain shown|all] [--max-record 65536]
      Scores a file offline; writes decisions and <out>.receipt.json. With a model, review and
      block decisions name the features behind the model score; --explain all names them on all.

  fraudmini generate --out tx.csv [--customers 1000] [--days 30] [--seed 1] [--start 2026-01-01]
      Writes realistic labelled traffic (label and scenario columns).
  fraudmini generate --style handbook --out tx.csv [--customers 5000] [--terminals 10000] [--days 183] [--seed 1]
      The fraud-detection handbook's simulator, in its columns. fraudmini generate --help: all flags.

  fraudmini train <labelled.csv> --out model.json [--from DATE] [--to DATE] [--label-delay 7d] [--map ...]
                  [--tune [--tune-budget 5m]]
  fraudmini train --from-db [--data-dir ./var] --out model.json [--from DATE] [--to DATE] [--label-delay 7d]
      Learns a gradient-boosted model from labelled history (--from inclusive, --to exclusive);
      its score is the calibrated fraud probability × 100. --tune: a small search of its parameters.

  fraudmini evaluate <labelled.csv> --model model.json [--from DATE] [--to DATE] [--report report.html] [--json]
                  [--review-capacity N/day] [--cost-fp X --cost-fn Y] [--validation-from DATE --validation-to DATE]
      AUC, average precision and card precision@100 for rules only, model only and combined, the
      model's calibration, and thresholds recommended for a review capacity and costs.
  fraudmini evaluate --protocol handbook [--seeds 1,2,3,4,5] [--tune] [--json] [labelled.csv]
      The fraud-detection handbook's protocol (train 7 days from 2018-07-25, label delay 7 days,
      test 7 days from 2018-08-08) on its simulator per seed, or on a file: mean ± sd.

  fraudmini backtest <labelled.csv> --rules rules.json [--against other.json] [--json]
      Hits, precision, recall, alert rate and money caught per rule and outcome.

  fraudmini rules audit [--data-dir ./var] [--limit 20] [--json]
      Every change of the rules in force, newest first: when, which credential, from where, versions.

  fraudmini users add NAME --role analyst|admin [--data-dir ./var | --aws-table NAME [--region R] [--endpoint URL]]
      Adds a user of the analyst console (at /), or sets a new role and password for one. The
      password is read from FRAUDMINI_PASSWORD, or asked for on a terminal.

  fraudmini upload <file.csv> --bucket NAME [--prefix inbox/] [--kms-key-id ARN] [--part-size 8] [--region R]
                  [--endpoint URL] [--no-progress]
      Uploads a file to the raw bucket on AWS (SSE-KMS, SHA-256 checksums, multipart above --part-size MiB,
      resumes an interrupted upload). A header that cannot be mapped is refused before anything is sent.

  fraudmini redrive --from DLQ_URL --to QUEUE_URL [--max N] [--region R] [--endpoint URL]
      Moves messages from a dead-letter queue back to its source queue (after a fix) and prints the counts.

  fraudmini export --out DIR [--format parquet|jsonl|csv] [--data-dir ./var] [--from DATE] [--to DATE]
      Writes the stored decisions (masked cards only) as files partitioned by day (date=YYYY-MM-DD/),
      the layout of the AWS decision lake, for DuckDB, Athena or any engine that reads Parquet.

  fraudmini help | --help        this text
  fraudmini --version

Environment (flags win):
${SETTINGS.map((s) => `  ${s.env.padEnd(22)} ${s.doc}`).join('\n')}
`;

/** Bad command-line usage: printed with a hint, exit code 2. */
class UsageError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The `fraudmini` command. Returns the exit code: 0 done, 1 failed while running,
 * 2 bad usage or unusable input (unreadable file, header that cannot be mapped, invalid rules).
 */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await start(rest, env);
      case 'score':
        return await score(rest, env);
      case 'generate':
        return await (await import('./generate.js')).generateCommand(rest);
      case 'train':
        return await (await import('./train.js')).trainCommand(rest, env);
      case 'evaluate':
        return await (await import('./evaluate.js')).evaluateCommand(rest, env);
      case 'backtest':
        return await (await import('./backtest.js')).backtestCommand(rest, env);
      case 'compare':
        return await (await import('./compare.js')).compareCommand(rest, env);
      case 'promote':
        return await (await import('./compare.js')).promoteCommand(rest, env);
      case 'rules':
        return await (await import('./rules.js')).rulesCommand(rest, env);
      case 'users':
        return await (await import('./users.js')).usersCommand(rest, env);
      case 'upload':
        return await (await import('./upload.js')).uploadCommand(rest, env);
      case 'redrive':
        return await (await import('./redrive.js')).redriveCommand(rest, env);
      case 'export':
        return await (await import('./export.js')).exportCommand(rest, env);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; try: fraudmini help`);
    }
  } catch (e) {
    if (e instanceof FraudminiError) {
      process.stderr.write(`fraudmini: ${maskPansInText(e.message)}\n`);
      return 2;
    }
    if (isArgError(e)) {
      process.stderr.write(`fraudmini: ${maskPansInText((e as Error).message)}; try: fraudmini help\n`);
      return 2;
    }
    throw e;
  }
}

function isArgError(e: unknown): boolean {
  const code = (e as { code?: string } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

function portFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be 0–65535, got "${v}"`);
  return n;
}

/** `--max-record`: the longest CSV row, in characters (the range of FRAUDMINI_MAX_RECORD). */
function maxRecordFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1024 || n > 64 << 20) {
    throw new UsageError(`--max-record must be an integer 1024–${64 << 20} (characters), got "${v}"`);
  }
  return n;
}

async function start(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'admin-key': { type: 'string' },
      rules: { type: 'string' },
      map: { type: 'string' },
      webhook: { type: 'string' },
      model: { type: 'string' },
      'label-delay': { type: 'string' },
      'max-record': { type: 'string' },
      'secure-cookies': { type: 'boolean' },
      'shadow-rules': { type: 'string' },
      'shadow-model': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const overrides: Partial<Config> = {
    dataDir: values['data-dir'],
    port: portFlag(values.port),
    host: values.host,
    apiKey: values['api-key'],
    adminKey: values['admin-key'],
    rulesPath: values.rules,
    fieldMap: values.map !== undefined ? parseFieldMap(values.map) : undefined,
    webhookUrl: values.webhook,
    modelPath: values.model,
    labelDelayMs: values['label-delay'] !== undefined ? parseDuration(values['label-delay'], '--label-delay') : undefined,
    maxRecord: maxRecordFlag(values['max-record']),
  };
  const config = loadConfig(env, overrides);
  const logger = new TextLogger();
  const { createLocalRuntime } = await import('../local/wiring.js');
  const wiring = createLocalRuntime(config, {
    logger,
    secureCookies: values['secure-cookies'] === true,
    shadow: { rulesPath: values['shadow-rules'], modelPath: values['shadow-model'] },
  });
  const address = await wiring.runtime.start({ host: config.host, port: config.port });
  const inbox = resolve(wiring.dataDir, 'inbox');
  process.stdout.write(
    [
      `fraudmini ${VERSION} is running`,
      `  inbox     ${inbox}  (drop *.csv files here)`,
      `  results   ${resolve(wiring.dataDir, 'processed')}  and  ${resolve(wiring.dataDir, 'failed')}`,
      `  API       ${address}  (POST /transactions, GET /transactions/:id, POST /transactions/:id/label, /alerts, /rules, /stats, /healthz)${config.apiKey ? '  x-api-key required' : ''}`,
      `  console   ${address}/  (sign in as a user added with: fraudmini users add NAME --role analyst|admin)`,
      `  rules     ${wiring.rulesVersion}  (${wiring.rulesPath}; edits${config.adminKey ? ' and PUT /rules (x-admin-key)' : ''} are picked up live${config.adminKey ? '' : '; PUT /rules is off without --admin-key'})`,
      `  model     ${wiring.modelVersion ?? 'none (rules only; add one with --model, see fraudmini train)'}${wiring.modelPath !== undefined && config.modelPath === undefined ? `  (${wiring.modelPath}, promoted)` : ''}`,
      ...(wiring.shadow
        ? [`  shadow    ${wiring.shadow.describe}, deciding without acting  (fraudmini compare, GET /stats/shadow; fraudmini promote)`]
        : []),
      `  alerts    ${wiring.sinks.join(', ')}  (${resolve(wiring.dataDir, 'alerts.jsonl')})`,
      wiring.replayed > 0
        ? `  state     ${wiring.replayed.toLocaleString('en-US')} recent transactions loaded into feature windows`
        : '',
      '',
      'Try it:',
      `  cp ${BUNDLED_SAMPLE} ${inbox}/`,
      `  curl -s -X POST ${address}/transactions -H 'content-type: application/json' \\`,
      `    -d '{"account_id":"A1","amount":"12500.00","timestamp":"2026-01-01T12:00:00Z","card_number":"4000 0000 0000 0002"}'`,
      'Stop with Ctrl-C.',
      '',
    ]
      .filter((l, i, all) => l !== '' || all[i - 1] !== '')
      .join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = (signal: string): void => {
      logger.info(`${signal}: finishing the current batch and stopping`);
      wiring.runtime.stop().then(done, (e: Error) => {
        logger.error(`stop failed: ${e.message}`);
        done();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

async function score(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      out: { type: 'string', short: 'o' },
      rules: { type: 'string' },
      map: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-progress': { type: 'boolean' },
      model: { type: 'string' },
      'label-delay': { type: 'string' },
      explain: { type: 'string' },
      'max-record': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [input, ...extra] = positionals;
  const explain = values.explain ?? 'shown';
  if (explain !== 'shown' && explain !== 'all') {
    throw new UsageError(`--explain must be shown (review and block decisions) or all, got "${explain}"`);
  }
  if (input === undefined)
    throw new UsageError('score needs a CSV file: fraudmini score <file.csv> --out <decisions.jsonl>');
  if (extra.length > 0) throw new UsageError(`score takes one file, got also: ${extra.join(' ')}`);
  if (values.out === undefined) throw new UsageError('score needs --out <decisions.jsonl|decisions.csv>');
  if (resolve(values.out) === resolve(input)) throw new UsageError('--out must not be the input file');
  try {
    accessSync(input, constants.R_OK);
    if (!statSync(input).isFile()) throw new UsageError(`cannot read ${maskPansInText(input)}: not a file`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${maskPansInText(input)}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`,
    );
  }
  const outDir = dirname(resolve(values.out));
  try {
    accessSync(outDir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot write ${values.out}: ${code === 'ENOENT' ? `no such folder ${outDir}` : code === 'EACCES' ? `permission denied in ${outDir}` : (e as Error).message}`,
    );
  }
  const config = loadConfig(env, {
    dataDir: values['data-dir'],
    rulesPath: values.rules,
    fieldMap: values.map !== undefined ? parseFieldMap(values.map) : undefined,
    maxRecord: maxRecordFlag(values['max-record']),
  });
  const rules = loadRulesFile(resolve(config.rulesPath ?? BUNDLED_RULES));
  const model = values.model !== undefined ? readModel(values.model) : undefined;
  // With a model, labels in the file feed back (default: the model's own delay), as in production.
  const labelDelayMs =
    values['label-delay'] !== undefined
      ? parseDuration(values['label-delay'], '--label-delay')
      : model?.labelDelayMs;
  const tokenKey = loadOrCreateTokenKey(resolve(config.dataDir), config.tokenKey);
  const tokenizer = createPanTokenizer(tokenKey, { cache: TOKEN_CACHE_CARDS });
  const started = Date.now();
  const receipt = await scoreFile({
    input,
    out: values.out,
    rules,
    tokenizer,
    parseThread: { tokenKey, tokenCache: TOKEN_CACHE_CARDS },
    fieldMap: config.fieldMap,
    defaultCurrency: config.defaultCurrency,
    progress: !values['no-progress'],
    model,
    explain,
    labelDelayMs,
    maxRecord: config.maxRecord,
  });
  const receiptPath = `${values.out}.receipt.json`;
  writeFileSync(receiptPath, `${JSON.stringify(receipt, null, 2)}\n`, { mode: 0o600 });
  const c = receipt.counts;
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(
    `${receipt.file}: ${c.rows.toLocaleString('en-US')} rows, ${c.decided.toLocaleString('en-US')} decided ` +
      `(allow ${c.outcomes.allow}, review ${c.outcomes.review}, block ${c.outcomes.block}), ` +
      `${c.rejected} rejected, ${c.duplicates} duplicates, ${c.alerts} alerts ` +
      `in ${secs.toFixed(1)}s (${Math.round(c.rows / Math.max(secs, 0.001)).toLocaleString('en-US')} rows/s)\n` +
      `  decisions: ${values.out}\n  receipt:   ${receiptPath}\n`,
  );
  for (const r of receipt.rejections.slice(0, 10)) {
    process.stderr.write(`  rejected row ${r.row} (line ${r.line}), column ${r.column}: ${r.reason}\n`);
  }
  if (c.rejected > 10) process.stderr.write(`  ... ${c.rejected - 10} more rejections in the receipt\n`);
  return 0;
}
