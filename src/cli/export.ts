import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeLakeFile, LAKE_EXTENSIONS, type LakeFormat } from '../adapters/aws/lakeFiles.js';
import { LAKE_PARTITION, lakeDate, lakeRow, type LakeRow } from '../adapters/aws/lakeSchema.js';
import { SqliteDecisionReader } from '../adapters/local/SqliteDecisionReader.js';
import { SqliteSchemaError } from '../adapters/local/SqliteStateStore.js';
import { loadConfig } from '../config.js';
import type { DecidedItem } from '../core/records.js';
import { CliInputError, parseDateFlag } from './history.js';

/** Rows per file unless `--rows-per-file` says otherwise: one row group, a few MB of Parquet. */
export const DEFAULT_ROWS_PER_FILE = 100_000;

/** What an export wrote. */
export interface ExportSummary {
  rows: number;
  files: string[];
  partitions: number;
}

/**
 * Writes decided transactions, in event-time order, as files partitioned by UTC day
 * (`out/date=YYYY-MM-DD/part-00000.parquet`), at most `rowsPerFile` rows a file. Each file is
 * written beside its final name and renamed, so a file under its final name is complete.
 */
export function writeLakeExport(
  items: Iterable<Pick<DecidedItem, 'transaction' | 'decision'>>,
  out: string,
  format: LakeFormat,
  rowsPerFile = DEFAULT_ROWS_PER_FILE,
): ExportSummary {
  const files: string[] = [];
  const partitions = new Set<string>();
  let rows = 0;
  let date: string | undefined;
  let slice: LakeRow[] = [];
  let part = 0;
  const flush = (): void => {
    if (date === undefined || slice.length === 0) return;
    const dir = join(out, `${LAKE_PARTITION}=${date}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `part-${String(part).padStart(5, '0')}.${LAKE_EXTENSIONS[format]}`);
    writeFileSync(`${file}.part`, encodeLakeFile(slice, format), { mode: 0o600 });
    renameSync(`${file}.part`, file);
    files.push(file);
    partitions.add(date);
    part++;
    slice = [];
  };
  for (const { transaction, decision } of items) {
    const d = lakeDate(transaction.timestamp);
    if (d !== date) {
      flush();
      date = d;
      part = 0;
    }
    slice.push(lakeRow(transaction, decision));
    rows++;
    if (slice.length >= rowsPerFile) flush();
  }
  flush();
  return { rows, files, partitions: partitions.size };
}

/**
 * `fraudmini export --out DIR [--format parquet|jsonl|csv] [--data-dir DIR] [--from DATE] [--to DATE]
 * [--rows-per-file N]`: the stored decisions of a data dir, with their masked transactions, as
 * the same partitioned files the AWS pipeline writes to its lake, for DuckDB, Athena or any
 * engine that reads Parquet. Reads the database without writing to it, so it works while
 * `fraudmini start` runs. Returns 0, or 2 for bad usage.
 *
 * @example
 * await exportCommand(['--format', 'parquet', '--out', 'lake'], process.env);
 */
export async function exportCommand(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
      'data-dir': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'rows-per-file': { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new CliInputError(`export takes no file, got: ${positionals.join(' ')}`);
  const format = (values.format ?? 'parquet') as LakeFormat;
  if (!(format in LAKE_EXTENSIONS)) throw new CliInputError(`--format must be parquet, jsonl or csv, got "${values.format}"`);
  if (values.out === undefined) throw new CliInputError('export needs --out DIR (a new or empty folder)');
  const out = resolve(values.out);
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0)) {
    throw new CliInputError(`--out ${values.out} must be a new or empty folder, so one export's files are not mixed with another's`);
  }
  let rowsPerFile = DEFAULT_ROWS_PER_FILE;
  if (values['rows-per-file'] !== undefined) {
    rowsPerFile = Number(values['rows-per-file']);
    if (!Number.isInteger(rowsPerFile) || rowsPerFile < 1) {
      throw new CliInputError(`--rows-per-file must be a positive integer, got "${values['rows-per-file']}"`);
    }
  }
  const from = parseDateFlag(values.from, '--from');
  const to = parseDateFlag(values.to, '--to');
  if (from !== undefined && to !== undefined && to <= from) throw new CliInputError('--to must be after --from');
  const dataDir = resolve(loadConfig(env, { dataDir: values['data-dir'] }).dataDir);
  const path = join(dataDir, 'fraudmini.db');
  if (!existsSync(path)) throw new CliInputError(`no database in ${dataDir}: has fraudmini start run with this data dir?`);
  let reader: SqliteDecisionReader;
  try {
    reader = new SqliteDecisionReader(path);
  } catch (e) {
    if (e instanceof SqliteSchemaError) throw new CliInputError(e.message);
    throw e;
  }
  let summary: ExportSummary;
  try {
    mkdirSync(out, { recursive: true, mode: 0o700 });
    summary = writeLakeExport(reader.decisions(from, to), out, format, rowsPerFile);
  } finally {
    reader.close();
  }
  process.stdout.write(
    `exported ${summary.rows.toLocaleString('en-US')} decisions to ${out} ` +
      `(${summary.files.length} ${format} files in ${summary.partitions} ${LAKE_PARTITION}= partitions)\n`,
  );
  return 0;
}
