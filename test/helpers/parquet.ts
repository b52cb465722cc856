import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';

/** A Parquet file read back with hyparquet (a reader, not the writer the code uses). */
export interface ReadParquet {
  rows: Record<string, unknown>[];
  /** Column name → its physical type, converted type and repetition, as the file declares them. */
  columns: Map<string, { type?: string; converted?: string; repetition?: string; scale?: number }>;
  /** Column names in file order. */
  names: string[];
}

/** Reads every row and the schema of a Parquet file held in memory. */
export async function readParquet(bytes: Uint8Array): Promise<ReadParquet> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const metadata = parquetMetadata(file);
  const schema = parquetSchema(metadata);
  const columns = new Map<string, { type?: string; converted?: string; repetition?: string; scale?: number }>();
  for (const child of schema.children) {
    const e = child.element;
    columns.set(e.name, { type: e.type, converted: e.converted_type, repetition: e.repetition_type, scale: e.scale });
  }
  const rows = (await parquetReadObjects({ file, metadata })) as Record<string, unknown>[];
  return { rows, columns, names: schema.children.map((c) => c.element.name) };
}
