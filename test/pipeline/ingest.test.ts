import { describe, expect, it } from 'vitest';
import { HeaderError, UnclosedQuoteError } from '../../src/core/errors.js';
import { type IngestBatch, ingestCsv, ingestHere } from '../../src/pipeline/ingest.js';
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

describe('ingestCsv text decoding', () => {
  it('decodes ASCII chunks, then characters split across chunks, then ASCII again, as the whole text', async () => {
    // Prepare: ASCII rows, then rows of 2-, 3- and 4-byte characters, then ASCII rows; cut every
    // 5 and every 7 bytes, so chunks end inside characters after chunks that were all ASCII
    const ascii = (from: number, to: number): string => {
      let t = '';
      for (let i = from; i <= to; i++) t += `tx-${i},2026-01-01T00:00:00Z,A${i},1.00,plain ${i}\n`;
      return t;
    };
    let text = `transaction_id,timestamp,account_id,amount,note\n${ascii(1, 40)}`;
    for (let i = 41; i <= 60; i++) text += `tx-${i},2026-01-01T00:00:00Z,Ä${i},1.00,€ ${i} 😀 é\n`;
    text += ascii(61, 100);
    const expected = (await collect((async function* () { yield text; })(), 1000))
      .flatMap((b) => b.rows.map((r) => [r.transaction.accountId, r.transaction.attributes.note]));

    // Act / Assess
    for (const size of [5, 7, 64]) {
      const rows = (await collect(chunks(text, size), 1000)).flatMap((b) => b.rows.map((r) => [r.transaction.accountId, r.transaction.attributes.note]));
      expect(rows).toEqual(expected);
    }
    expect(expected).toHaveLength(100);
    expect(expected[41]).toEqual(['Ä42', '€ 42 😀 é']);
  });

  it('decodes a character cut short before an ASCII chunk as the decoder does, after ASCII chunks', async () => {
    // Prepare: the first bytes of a euro sign end a chunk, and the chunk after it is ASCII
    const head = Buffer.from('transaction_id,timestamp,account_id,amount,note\ntx-1,2026-01-01T00:00:00Z,A1,1.00,x', 'latin1');
    const cut = Buffer.from([0xe2, 0x82]);
    const tail = Buffer.from('y\ntx-2,2026-01-01T00:00:00Z,A2,1.00,z\n', 'latin1');
    const notes = async (parts: Buffer[]): Promise<unknown[]> =>
      (await collect((async function* () { yield* parts; })(), 1000)).flatMap((b) => b.rows.map((r) => r.transaction.attributes.note));

    // Act
    const whole = await notes([Buffer.concat([head, cut, tail])]);
    const split = await notes([head, cut, tail]);

    // Assess
    expect(whole).toEqual(['x\ufffdy', 'z']);
    expect(split).toEqual(whole);
  });
});

describe('ingestCsv row limit', () => {
  const header = 'timestamp,account_id,amount,note\n';
  const row = (i: number, note = 'ok') => `2026-01-01T00:00:0${i}Z,A${i},1${i}.00,${note}\n`;
  const ingest = async (text: string, maxRecord?: number, size = 4096) => {
    const batches: IngestBatch[] = [];
    for await (const b of ingestCsv(chunks(text, size), { fileKey: 'long.csv', tokenizer: testTokenizer(), maxRecord }))
      batches.push(b);
    return { rows: batches.flatMap((b) => b.rows), rejections: batches.flatMap((b) => b.rejections) };
  };

  it('rejects a row longer than the limit with its row and line, keeps none of it, and goes on', async () => {
    // Prepare: row 2 is 1 MiB long and starts on line 3; row 3 comes after it
    const text = header + row(1) + row(2, 'x'.repeat(1 << 20)) + row(3);

    // Act
    const { rows, rejections } = await ingest(text);

    // Assess
    expect(rows.map((r) => [r.row.row, r.row.line, r.transaction.accountId])).toEqual([
      [1, 2, 'A1'],
      [3, 4, 'A3'],
    ]);
    expect(rejections).toEqual([
      { row: 2, line: 3, column: '(row)', reason: 'the row is longer than 65,536 characters, the longest row allowed' },
    ]);
  });

  it('takes the limit from its options', async () => {
    // Act
    const { rows, rejections } = await ingest(header + row(1, 'y'.repeat(2000)) + row(2), 1024);

    // Assess
    expect(rows.map((r) => r.row.row)).toEqual([2]);
    expect(rejections[0]?.reason).toContain('1,024 characters');
  });

  it('fails the file when a quoted field is still open at the limit, naming the file and the line', async () => {
    // Act
    const run = ingest(`${header}${row(1)}2026-01-01T00:00:02Z,A2,12.00,"${'z\n'.repeat(50_000)}`);

    // Assess
    await expect(run).rejects.toBeInstanceOf(UnclosedQuoteError);
    await expect(run).rejects.toThrow(/^long\.csv: line 3: a quoted field is still open 65,536 characters into its record/);
  });

  it('fails the file when the header is longer than the limit, even with no line break at all', async () => {
    // Act
    const withBreak = ingest(`${'h,'.repeat(40_000)}h\n${row(1)}`);
    const withoutBreak = ingest('h,'.repeat(400_000));

    // Assess
    await expect(withBreak).rejects.toBeInstanceOf(HeaderError);
    await expect(withBreak).rejects.toThrow('long.csv: the header row is longer than 65,536 characters');
    await expect(withoutBreak).rejects.toThrow('long.csv: the header row is longer than 65,536 characters');
  });

  it('fails a header in an open quote with the same error wherever the file is cut', async () => {
    // Prepare: a lone CR, a quoted field open past the limit, and a comma on the first line feed's
    // line, after the limit: a sample cut at that line feed would pick the comma over the bar
    const text = `\r|"${'y'.repeat(300)}\r,\r\n\r`;
    const failure = async (size: number) => {
      try {
        await ingest(text, 256, size);
        return 'no error';
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    };

    // Act
    const whole = await failure(4096);
    const cut = await Promise.all([1, 2, 3, 4, 50, 255, 256, 257, 258, 300].map(failure));

    // Assess
    expect(whole).toMatch(/^(HeaderError|UnclosedQuoteError): long\.csv: /);
    expect(cut).toEqual(cut.map(() => whole));
  });
});

describe('ingestHere', () => {
  it('hands the masked copy on every few hundred lines within a batch, the parts adding up to the whole copy', async () => {
    // Prepare: one batch of 1,300 rows, some spanning lines
    const text = csvText(1300);
    const parts: string[] = [];

    // Act
    const batches: IngestBatch[] = [];
    for await (const b of ingestHere(testTokenizer())(chunks(text, 4096), { fileKey: 'f.csv', batchSize: 5000, onMasked: (p) => parts.push(String(p)) })) batches.push(b);

    // Assess
    expect(batches).toHaveLength(1);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const p of parts) expect(p.endsWith('\n')).toBe(true);
    const copy = parts.join('');
    expect(copy).not.toContain('4111111111111111');
    expect(copy.match(/^tx-\d+,/gm)).toHaveLength(1300);
    expect(copy.split('\n')[0]).toBe('transaction_id,timestamp,account_id,card_number,amount,merchant,note');
  });
});

