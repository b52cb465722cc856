import { csvEscape } from '../../core/csv.js';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import { LAKE_COLUMNS, LAKE_DECIMAL, type LakeColumn, type LakeRow, type LakeValue } from './lakeSchema.js';

/** The formats a lake slice can be written in: Parquet for query engines, JSONL and CSV for people. */
export type LakeFormat = 'parquet' | 'jsonl' | 'csv';

/** The file name extension of a format. */
export const LAKE_EXTENSIONS: Record<LakeFormat, string> = { parquet: 'parquet', jsonl: 'jsonl', csv: 'csv' };

function schemaElement(c: LakeColumn): SchemaElement {
  const repetition_type = c.nullable ? 'OPTIONAL' : 'REQUIRED';
  switch (c.kind) {
    case 'string':
      return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
    case 'json':
      // UTF8 rather than JSON: Athena maps a JSON-annotated column to nothing it can read.
      return { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
    case 'timestamp':
      return { name: c.name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type };
    case 'decimal':
      return {
        name: c.name,
        type: 'INT64',
        converted_type: 'DECIMAL',
        precision: LAKE_DECIMAL.precision,
        scale: LAKE_DECIMAL.scale,
        repetition_type,
      };
    case 'double':
      return { name: c.name, type: 'DOUBLE', repetition_type };
    case 'int':
      return { name: c.name, type: 'INT32', repetition_type };
  }
}

/** The Parquet schema of the lake (root first), derived from {@link LAKE_COLUMNS}. */
export const LAKE_PARQUET_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: LAKE_COLUMNS.length },
  ...LAKE_COLUMNS.map(schemaElement),
];

/**
 * One Parquet file (Snappy-compressed, one row group per 100,000 rows) holding these rows.
 *
 * @example
 * const bytes = encodeLakeParquet([lakeRow(tx, decision)]);
 */
export function encodeLakeParquet(rows: readonly LakeRow[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    schema: LAKE_PARQUET_SCHEMA,
    columnData: LAKE_COLUMNS.map((c) => ({ name: c.name, data: rows.map((r) => r[c.name] ?? null) })),
    rowGroupSize: 100_000,
    createdBy: 'fraudmini',
  });
  return new Uint8Array(buffer);
}

/** A cell as plain JSON/CSV text: money back in units with 4 decimals, times as ISO 8601. */
function plain(c: LakeColumn, v: LakeValue): string | number | null {
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') {
    const sign = v < 0n ? '-' : '';
    const abs = v < 0n ? -v : v;
    const scale = 10n ** BigInt(LAKE_DECIMAL.scale);
    return `${sign}${abs / scale}.${String(abs % scale).padStart(LAKE_DECIMAL.scale, '0')}`;
  }
  return c.kind === 'decimal' ? String(v) : v;
}

function csvCell(v: string | number | null): string {
  return v === null ? '' : csvEscape(String(v));
}

/** The rows as one file in the given format, with the same columns in the same order. */
export function encodeLakeFile(rows: readonly LakeRow[], format: LakeFormat): Uint8Array {
  if (format === 'parquet') return encodeLakeParquet(rows);
  if (format === 'jsonl') {
    const lines = rows.map(
      (r) => `${JSON.stringify(Object.fromEntries(LAKE_COLUMNS.map((c) => [c.name, plain(c, r[c.name] ?? null)])))}\n`,
    );
    return Buffer.from(lines.join(''), 'utf8');
  }
  const header = `${LAKE_COLUMNS.map((c) => c.name).join(',')}\n`;
  const lines = rows.map((r) => `${LAKE_COLUMNS.map((c) => csvCell(plain(c, r[c.name] ?? null))).join(',')}\n`);
  return Buffer.from(header + lines.join(''), 'utf8');
}
