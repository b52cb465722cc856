import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FraudminiError } from '../core/errors.js';
import { generateTraffic, type TrafficChunk } from '../synth/generateTraffic.js';
import { HANDBOOK_DEFAULTS, handbookCsv, simulateHandbook } from '../synth/handbook.js';
import { SCENARIOS } from '../synth/scenarios.js';
import { ProgressBar } from './progress.js';

const USAGE =
  'fraudmini generate [--customers 1000] [--days 30] [--seed 1] [--start 2026-01-01] --out tx.csv [--no-progress]\n' +
  '       fraudmini generate --style handbook [--customers 5000] [--terminals 10000] [--days 183] [--seed 1] [--start 2018-04-01] --out tx.csv';

const HELP = `${USAGE}

Writes labelled synthetic transactions to --out (through <out>.part, renamed when complete).
The same flags always give the same bytes.

  --style fraudmini   (default) this project's world: customers in cities of nine countries,
                      cards, stores, online shops, transfers, balances; eight fraud scenarios;
                      columns transaction_id,timestamp,account_id,card_number,amount,... and
                      label, scenario.
  --style handbook    the simulator of the fraud-detection handbook (Le Borgne et al.,
                      "Reproducible Machine Learning for Credit Card Fraud Detection"), rebuilt
                      from its description: customers and terminals on a 100 x 100 grid, each
                      customer paying at terminals within radius 5; frauds are amounts over 220
                      (scenario 1), 2 terminals a day compromised for 28 days (2), and 3
                      customers a day with a third of their next 14 days' payments at 5x the
                      amount (3). Columns, as the handbook's: TRANSACTION_ID,TX_DATETIME,
                      CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,
                      TX_FRAUD_SCENARIO. fraudmini reads them without --map.

  --customers N       fraudmini: 1000 (at most 500,000); handbook: 5000 (at most 50,000)
  --terminals N       handbook only: 10000
  --days N            fraudmini: 30; handbook: 183 (customers x days at most 5,000,000)
  --seed N            1
  --start YYYY-MM-DD  first day (UTC); fraudmini: 2026-01-01, handbook: 2018-04-01
  --out FILE          required
  --no-progress       no progress bar

Exit codes: 0 written, 1 a write failed (disk full), 2 bad flags or an output folder that
cannot be written.
`;

/** Bad flags for `generate`: reported in one line, exit code 2. */
class GenerateUsageError extends FraudminiError {
  constructor(message: string) {
    super(message);
    this.name = 'GenerateUsageError';
  }
}

/** Parsed and checked flags of `fraudmini generate`. */
interface GenerateArgs {
  /** `fraudmini`: this project's world; `handbook`: the fraud-detection handbook's simulator. */
  style: 'fraudmini' | 'handbook';
  customers: number;
  /** Terminals of the handbook style. */
  terminals: number;
  days: number;
  seed: number;
  start: number;
  out: string;
  progress: boolean;
}

/**
 * `fraudmini generate`: writes realistic labelled traffic (a `label` and a `scenario` column)
 * to `--out`, through `<out>.part` renamed into place when complete. Prints a summary line on
 * stderr. Returns the exit code: 0 written, 1 a write failed (disk full), 2 bad flags or an
 * output folder that cannot be written.
 * @example await generateCommand(['--customers', '1000', '--days', '60', '--out', 'tx.csv'])
 */
export async function generateCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  let options: GenerateArgs;
  try {
    options = parseGenerateArgs(args);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const parseError = typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
    if (e instanceof GenerateUsageError || parseError) {
      process.stderr.write(`fraudmini: ${(e as Error).message}\nusage: ${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (options.style === 'handbook') return writeHandbook(options);
  const started = Date.now();
  const bar = new ProgressBar({ total: options.days, label: 'generating' });
  let last: TrafficChunk | undefined;
  const { customers, days, seed, start } = options;
  const written = writeInPlace(
    options.out,
    (fd) => {
      // Synchronous writes of 4 MiB chunks: generation waits for each write (back-pressure for
      // free), and with nothing else to do in this process they measured faster than a stream.
      for (const chunk of generateTraffic({ customers, days, seed, start, chunkBytes: 4 << 20 })) {
        writeFully(fd, chunk.csv);
        if (options.progress) bar.update(chunk.daysDone, chunk.rows);
        last = chunk;
      }
    },
    () => bar.done(),
  );
  if (!written) return 1;
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(`${summaryLine(options.out, last, secs)}\n`);
  return 0;
}

/**
 * `generate --style handbook`: the fraud-detection handbook's simulator (its columns, its three
 * fraud scenarios), whole in memory (about 20 bytes a transaction), then written in chunks.
 */
function writeHandbook(options: GenerateArgs): number {
  const started = Date.now();
  const start = new Date(options.start).toISOString().slice(0, 10);
  const t = simulateHandbook({ customers: options.customers, terminals: options.terminals, days: options.days, seed: options.seed, start });
  const written = writeInPlace(options.out, (fd) => {
    for (const chunk of handbookCsv(t, start)) writeFully(fd, Buffer.from(chunk));
  });
  if (!written) return 1;
  const counts = [0, 0, 0, 0];
  for (const s of t.scenario) counts[s] = (counts[s] as number) + 1;
  const fraud = t.length - (counts[0] as number);
  const n = (v: number): string => v.toLocaleString('en-US');
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(
    `${options.out}: ${n(t.length)} rows, ${n(fraud)} fraud (${t.length > 0 ? ((100 * fraud) / t.length).toFixed(2) : '0.00'}%): ` +
      `amount over 220 ${n(counts[1] as number)}, compromised terminal ${n(counts[2] as number)}, compromised customer ${n(counts[3] as number)} ` +
      `in ${secs.toFixed(1)}s (${n(Math.round(t.length / Math.max(secs, 0.001)))} rows/s)\n`,
  );
  return 0;
}

/**
 * Writes `out` through `write`, beside it (`<out>.part`) and renamed into place when complete, so a
 * failed run leaves no half file. A file-system error is reported on stderr (one line) and answered false;
 * `after` runs either way, before the partial file is removed.
 */
function writeInPlace(out: string, write: (fd: number) => void, after?: () => void): boolean {
  const partial = `${out}.part`;
  let fd: number | undefined;
  // Only a part file this run opened is removed: what stood at that path before is left alone.
  let opened = false;
  try {
    fd = openSync(partial, 'w', 0o644);
    opened = true;
    write(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(partial, out);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw e;
    process.stderr.write(`fraudmini: cannot write ${out}: ${(e as Error).message}\n`);
    return false;
  } finally {
    after?.();
    if (fd !== undefined) closeSync(fd);
    if (opened && existsSync(partial)) rmSync(partial, { force: true });
  }
}

/** Writes all of `bytes` (writeSync may write less than asked). */
function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** `tx.csv: 1,234 rows, 12 fraud (0.97%): card_testing 3, ... in 0.1s (500,000 rows/s)`. */
function summaryLine(out: string, last: TrafficChunk | undefined, secs: number): string {
  const rows = last?.rows ?? 0;
  const frauds = SCENARIOS.map((s) => [s, last?.frauds[s] ?? 0] as const);
  const fraud = frauds.reduce((sum, [, n]) => sum + n, 0);
  const pct = rows > 0 ? ((100 * fraud) / rows).toFixed(2) : '0.00';
  const n = (v: number): string => v.toLocaleString('en-US');
  return (
    `${out}: ${n(rows)} rows, ${n(fraud)} fraud (${pct}%): ${frauds.map(([s, k]) => `${s} ${n(k)}`).join(', ')} ` +
    `in ${secs.toFixed(1)}s (${n(Math.round(rows / Math.max(secs, 0.001)))} rows/s)`
  );
}

function parseGenerateArgs(args: string[]): GenerateArgs {
  const { values, positionals } = parseArgs({
    args,
    options: {
      style: { type: 'string' },
      customers: { type: 'string' },
      terminals: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'no-progress': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) {
    throw new GenerateUsageError(`generate takes no file arguments (got ${positionals.join(' ')}); use --out FILE`);
  }
  if (values.out === undefined || values.out === '') throw new GenerateUsageError('generate needs --out <file.csv>');
  const style = values.style ?? 'fraudmini';
  if (style !== 'fraudmini' && style !== 'handbook') {
    throw new GenerateUsageError(`--style must be fraudmini or handbook, got "${style}"`);
  }
  const handbook = style === 'handbook';
  if (!handbook && values.terminals !== undefined) throw new GenerateUsageError('--terminals goes with --style handbook');
  // About 4 KB of memory per customer: 500,000 stay well inside Node's default heap. The
  // handbook style holds every transaction in memory (about 2 a customer-day, 20 bytes each).
  const customers = intFlag('--customers', values.customers, handbook ? HANDBOOK_DEFAULTS.customers : 1000, 1, handbook ? 50_000 : 500_000);
  const terminals = intFlag('--terminals', values.terminals, HANDBOOK_DEFAULTS.terminals, 1, 1_000_000);
  const days = intFlag('--days', values.days, handbook ? HANDBOOK_DEFAULTS.days : 30, 1, 3660);
  if (handbook && customers * days > 5_000_000) {
    throw new GenerateUsageError(`--customers × --days must be at most 5,000,000 with --style handbook (got ${customers * days})`);
  }
  const seed = intFlag('--seed', values.seed, 1, 0, 4_294_967_295);
  const start = dateFlag(values.start ?? (handbook ? HANDBOOK_DEFAULTS.start : '2026-01-01'));
  if (start + days * 86_400_000 > Date.UTC(2199, 11, 31)) {
    throw new GenerateUsageError(`--start ${values.start ?? ''} plus ${days} days runs past the year 2199`);
  }
  const outDir = dirname(resolve(values.out));
  try {
    accessSync(outDir, constants.W_OK);
    if (!statSync(outDir).isDirectory()) {
      throw new GenerateUsageError(`cannot write ${values.out}: ${outDir} is not a folder`);
    }
  } catch (e) {
    if (e instanceof GenerateUsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such folder ${outDir}`
        : code === 'EACCES'
          ? `permission denied in ${outDir}`
          : (e as Error).message;
    throw new GenerateUsageError(`cannot write ${values.out}: ${why}`);
  }
  return { style, customers, terminals, days, seed, start, out: values.out, progress: !values['no-progress'] };
}

function intFlag(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const v = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    const range = `${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
    throw new GenerateUsageError(`${name} must be a whole number from ${range}, got "${raw}"`);
  }
  return v;
}

/** `YYYY-MM-DD` as epoch milliseconds of that day's 00:00 UTC. */
function dateFlag(raw: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw.trim());
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  const valid = m !== null && !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === raw.trim();
  if (!valid || ms < Date.UTC(1971, 0, 1)) {
    throw new GenerateUsageError(`--start must be a date YYYY-MM-DD from 1971 on (UTC), got "${raw}"`);
  }
  return ms;
}
