import { describe, expect, it } from 'vitest';
import { type IngestBatch, ingestCsv } from '../../src/pipeline/ingest.js';
import { testTokenizer } from '../helpers/transactions.js';

/** A CSV of `rows` rows, some with quoted fields holding delimiters, quotes and line breaks. */
function csvText(rows: number): string {
  let text = 'transaction_id,timestamp,account_id,card_number,amount,merchant,note\n';
  for (let i = 1; i <= rows; i++) {
    const note = i % 7 === 0 ? `"multi\nline, ""quoted"" ${i}"` : `note ${i}`;
    const amount = i % 101 === 0 ? 'oops' : `${i % 500}.25`;
    text += `tx-${i},2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z,A${i % 97},4111111111111111,${amount},Merchant with a long name ${i % 13},${note}\n`;
  }
  return text;
}

async function collect(source: AsyncIterable<string | Buffer>, batchSize: number): Promise<IngestBatch[]> {
  const out: IngestBatch[] = [];
  for await (const b of ingestCsv(source, { fileKey: 'f.csv', tokenizer: testTokenizer(), batchSize })) out.push(b);
  return out;
}

async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('ingestCsv', () => {
  it('gives the same rows, rejections and batches whatever the chunking of a file over many parse slices', async () => {
    // Prepare: ~1.3 MB, so 1 MiB chunks are parsed in several 64 KiB slices with records across them.
    const text = csvText(12_000);

    // Act
    const whole = await collect(chunks(text, 1 << 20), 1000);
    const small = await collect(chunks(text, 777), 1000);

    // Assess
    const summary = (batches: IngestBatch[]) =>
      batches.map((b) => ({
        rows: b.rows.map((r) => [r.row.row, r.row.line, r.transaction.transactionId, r.transaction.attributes.note]),
        rejections: b.rejections,
        rowsDone: b.rowsDone,
      }));
    expect(summary(whole)).toEqual(summary(small));
    const rows = whole.flatMap((b) => b.rows);
    const rejected = whole.flatMap((b) => b.rejections);
    expect(rows.length + rejected.length).toBe(12_000);
    expect(rejected.length).toBe(Math.floor(12_000 / 101));
    expect(whole.every((b) => b.rows.length + b.rejections.length <= 1000)).toBe(true);
    expect(rows.find((r) => r.row.row === 7)?.transaction.attributes.note).toBe('multi\nline, "quoted" 7');
    expect(rows.find((r) => r.row.row === 8)?.row.line).toBe(10);
  });
});
