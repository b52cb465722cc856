/**
 * Generated CSV files, valid, invalid and hostile, through the real parser, validator and
 * pipeline. FUZZ_RUNS sets the number of files per property (default 10,000), FUZZ_SEED replays
 * a run; a failure prints the seed and the smallest file found.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { csvEscape } from '../../src/core/csv.js';
import { FileFormatError } from '../../src/core/errors.js';
import { FeatureWindows } from '../../src/core/features.js';
import type { Field } from '../../src/core/schema.js';
import type { Transaction } from '../../src/core/transaction.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import { claimFile, processFile } from '../../src/app/processFile.js';
import type { Receipt, Rejection } from '../../src/core/receipt.js';
import { silentLogger } from '../../src/ports/Logger.js';
import type { ObjectStore } from '../../src/ports/ObjectStore.js';
import { TEST_PANS } from '../helpers/fixtures.js';
import { testTokenizer } from '../helpers/transactions.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
/** One file in this many also goes through processFile (SQLite, receipts). */
const PIPELINE_EVERY = 20;
const tokenizer = testTokenizer();

// ---------------------------------------------------------------------------------------------
// What ingest makes of a file

interface Outcome {
  rows: { row: number; line: number; tx: Transaction }[];
  rejections: Rejection[];
  /** The message of the FileFormatError that failed the file. */
  error?: string;
}

/** `bytes` as chunks cut at `cuts` (byte offsets, any order), so UTF-8 sequences may be split. */
async function* chunked(bytes: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of points) {
    yield bytes.subarray(from, p);
    from = p;
  }
  yield bytes.subarray(from);
}

/** Ingests `bytes` cut at `cuts`; anything but a FileFormatError is thrown (a crash). */
async function ingest(bytes: Buffer, cuts: readonly number[], maxRecord: number, batchSize: number): Promise<Outcome> {
  const out: Outcome = { rows: [], rejections: [] };
  try {
    for await (const b of ingestCsv(chunked(bytes, cuts), { fileKey: 'fuzz.csv', tokenizer, maxRecord, batchSize })) {
      for (const r of b.rows) out.rows.push({ row: r.row.row, line: r.row.line, tx: r.transaction });
      out.rejections.push(...b.rejections);
    }
  } catch (e) {
    if (!(e instanceof FileFormatError)) throw e;
    out.error = e.message;
  }
  return out;
}

/** What holds for every outcome, whatever the file. */
function expectSound(o: Outcome): void {
  // Every data row is accepted or rejected exactly once, numbered 1..n in file order.
  const handled = [...o.rows.map((r) => [r.row, r.line]), ...o.rejections.map((r) => [r.row, r.line])].sort(
    (a, b) => (a[0] as number) - (b[0] as number),
  );
  handled.forEach(([row, line], i) => {
    expect(row).toBe(i + 1);
    expect(Number.isInteger(line) && (line as number) >= 2).toBe(true);
    if (i > 0) expect(line).toBeGreaterThan(handled[i - 1]?.[1] as number);
  });
  for (const r of o.rejections) {
    expect(typeof r.column === 'string' && r.column.length > 0).toBe(true);
    expect(typeof r.reason === 'string' && r.reason.length > 0).toBe(true);
    expect(r.reason.length).toBeLessThan(400);
  }
  for (const { tx } of o.rows) {
    expect(Number.isSafeInteger(tx.amount) && tx.amount > 0).toBe(true);
    expect(Number.isFinite(tx.timestamp)).toBe(true);
    expect(tx.accountId.length).toBeGreaterThan(0);
    for (const v of [tx.accountId, tx.merchant, tx.country, tx.transactionId, ...Object.values(tx.attributes)]) {
      if (v !== undefined) expect(v.length).toBeLessThanOrEqual(256);
    }
  }
  if (o.error !== undefined) expect(o.error).toMatch(/^fuzz\.csv: /);
}

// ---------------------------------------------------------------------------------------------
// Files whose every row's fate is known: valid rows, rows with one known defect, over-long rows

/** Header names per field: our names, aliases, other spellings. */
const NAMES: Partial<Record<Field, string[]>> = {
  timestamp: ['timestamp', 'Timestamp', 'TIME', 'event_time'],
  account_id: ['account_id', 'customer_id', 'Account ID'],
  amount: ['amount', 'amt', 'Amount'],
  transaction_id: ['transaction_id', 'txn_id'],
  card_number: ['card_number', 'pan'],
  currency: ['currency'],
  merchant: ['merchant', 'Merchant Name'],
  country: ['country'],
  label: ['label', 'is_fraud'],
  account_balance: ['balance'],
};
const OPTIONAL: Field[] = ['transaction_id', 'card_number', 'currency', 'merchant', 'country', 'label', 'account_balance'];
const ATTRIBUTES = ['note', 'Ref 2', 'comment', 'x'];

/** Text that CSV must carry through quoting: delimiters, quotes, line breaks, odd characters. */
const awkward = fc
  .array(
    fc.oneof(
      fc.constantFrom(',', ';', '\t', '|', '"', '""', '\n', '\r', '\r\n', ' ', '\0', '\uFEFF', '\u2028', 'é', '🙂', '４', '\uD800'),
      fc.stringMatching(/^[A-Za-z0-9 ]{1,12}$/),
    ),
    { maxLength: 8 },
  )
  .map((p) => p.join('').slice(0, 256));
/** Text that needs no quoting. */
const plain = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,15}$/);

const cents = fc.integer({ min: 1, max: 99_999_999 });
/** A valid value for each field. */
const VALID: Record<string, fc.Arbitrary<string>> = {
  timestamp: fc
    .tuple(fc.integer({ min: 1_500_000_000, max: 1_900_000_000 }), fc.constantFrom('iso', 's', 'ms'))
    .map(([s, f]) => (f === 'iso' ? new Date(s * 1000).toISOString() : f === 's' ? String(s) : String(s * 1000))),
  account_id: fc.oneof(plain, awkward.filter((t) => t.trim() !== '')),
  amount: cents.map((c) => (c / 100).toFixed(2)),
  transaction_id: plain.map((p) => `T${p}`),
  card_number: fc.constantFrom(...TEST_PANS, '', 'tok-123'),
  currency: fc.constantFrom('USD', 'eur', 'GBP', ''),
  merchant: awkward,
  country: fc.constantFrom('US', 'fr', '', 'Deutschland'),
  label: fc.constantFrom('0', '1', 'fraud', 'legit', 'TRUE', ''),
  account_balance: fc.oneof(cents.map((c) => (c / 100).toFixed(2)), fc.constant('')),
  attribute: awkward,
};
/** Values each field refuses, so a row holding one is rejected naming that column. */
const DEFECTS: Record<string, string[]> = {
  timestamp: ['soon', '2024-02-30T00:00:00Z', ''],
  account_id: ['', ' ', 'a'.repeat(257)],
  amount: ['oops', '0', '-5.00', '1.00001', ''],
  currency: ['US', 'dollars'],
  merchant: ['m'.repeat(257)],
  label: ['maybe'],
  card_number: ['4'.repeat(65)],
  account_balance: ['lots'],
  attribute: ['y'.repeat(257)],
};

interface Column {
  header: string;
  kind: string;
}

interface KnownRow {
  cells: string[];
  /** Index of the column holding a defect, or -1. */
  defect: number;
  /** A row past the record limit (plain cells and one very long one). */
  tooLong: boolean;
  /** Blank lines written before the row. */
  blanks: number;
}

const MAX_KNOWN_RECORD = 8192;

const knownFile = fc
  .record({
    fields: fc.shuffledSubarray(OPTIONAL),
    attributes: fc.shuffledSubarray(ATTRIBUTES, { maxLength: 3 }),
    picks: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
    order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
  })
  .map(({ fields, attributes, picks, order }): Column[] => {
    const cols: Column[] = (['timestamp', 'account_id', 'amount', ...fields] as Field[]).map((f, i) => {
      const names = NAMES[f] as string[];
      return { header: names[(picks[i] ?? 0) % names.length] as string, kind: f };
    });
    cols.push(...attributes.map((a) => ({ header: a, kind: 'attribute' })));
    // A stable shuffle of the columns by the drawn keys.
    return cols
      .map((c, i) => ({ c, k: order[i] ?? 0 }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.c);
  })
  .chain((cols) =>
    fc.record({
      cols: fc.constant(cols),
      rows: fc.array(
        fc.record({
          cells: fc.tuple(...cols.map((c) => VALID[c.kind] as fc.Arbitrary<string>)),
          defect: fc.oneof(
            { weight: 3, arbitrary: fc.constant(-1) },
            { weight: 1, arbitrary: fc.nat(cols.length - 1) },
          ),
          defectPick: fc.nat(),
          tooLong: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
          longCell: fc.nat(cols.length - 1),
          blanks: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(2) }),
        }),
        { maxLength: 20 },
      ),
      delimiter: fc.constantFrom(',', ';', '\t', '|'),
      eol: fc.constantFrom('\n', '\r\n'),
      finalEol: fc.boolean(),
      bom: fc.boolean(),
    }),
  )
  .map(({ cols, rows, delimiter, eol, finalEol, bom }) => {
    const known: KnownRow[] = rows.map((r) => {
      if (r.tooLong) {
        // Plain cells, one of them past the limit: the limit falls outside quotes.
        const cells = cols.map((_, i) => (i === r.longCell ? 'z'.repeat(MAX_KNOWN_RECORD + 100) : 'p'));
        return { cells, defect: -1, tooLong: true, blanks: r.blanks };
      }
      const cells = [...r.cells];
      let defect = -1;
      const defects = r.defect === -1 ? undefined : DEFECTS[(cols[r.defect] as Column).kind];
      if (defects) {
        defect = r.defect;
        cells[defect] = defects[r.defectPick % defects.length] as string;
      }
      return { cells, defect, tooLong: false, blanks: r.blanks };
    });
    const lines = [cols.map((c) => c.header).join(delimiter)];
    for (const r of known) {
      for (let b = 0; b < r.blanks; b++) lines.push('');
      lines.push(r.cells.map((v) => csvEscape(v, delimiter)).join(delimiter));
    }
    const text = lines.join(eol) + (finalEol ? eol : '');
    return { cols, known, bytes: Buffer.from(bom ? `\uFEFF${text}` : text), delimiter };
  });

/** The rows and rejections a known file must give. */
function expectedOf(file: { cols: Column[]; known: KnownRow[]; delimiter: string }): {
  accepted: { row: number; line: number; amount?: string }[];
  rejected: { row: number; line: number; column: string }[];
} {
  const accepted: { row: number; line: number; amount?: string }[] = [];
  const rejected: { row: number; line: number; column: string }[] = [];
  let line = 2;
  file.known.forEach((r, i) => {
    line += r.blanks;
    const at = { row: i + 1, line };
    if (r.tooLong) rejected.push({ ...at, column: '(row)' });
    else if (r.defect !== -1) rejected.push({ ...at, column: (file.cols[r.defect] as Column).header });
    else accepted.push({ ...at, amount: r.cells[file.cols.findIndex((c) => c.kind === 'amount')] });
    line += 1 + r.cells.map((v) => csvEscape(v, file.delimiter)).join('').split('\n').length - 1;
  });
  return { accepted, rejected };
}

// ---------------------------------------------------------------------------------------------
// Hostile files: byte soup around CSV

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const VALID_HEADER = 'transaction_id,timestamp,account_id,card_number,amount,currency,merchant,note';

const hostileText = fc.oneof(
  fc.constantFrom(
    ',', ';', '\t', '|', '"', '""', '"\n', '\n', '\r', '\r\n', '\n\n', '\0', '\uFEFF', ' ', '\\', '\u00a0',
    '1e309', '-1e309', '9'.repeat(400), '0.' + '0'.repeat(300) + '1', '-0', '0x1F', 'NaN', 'Infinity', '1,000.00',
    '2026-01-01T00:00:00Z', '1767225600', '1767225600000', '99999999999999999999', '12.34', 'A1', 'USD',
    '4111 1111 1111 1111', '4111-1111-1111-1111', '４１１１１１１１１１１１１１１１', 'é', '🙂', '\uD800', '\uDFFF',
    'x'.repeat(300), 'y'.repeat(2000), ','.repeat(2000), '"",'.repeat(500),
  ),
  fc.constantFrom(...TEST_PANS),
  fc.string({ maxLength: 12 }),
);
/** One piece of a hostile file: text, or raw bytes that are not valid UTF-8. */
const hostilePiece = fc.oneof(
  { weight: 8, arbitrary: hostileText.map((t) => Buffer.from(t)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      [0xff],
      [0xc3],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe2, 0x82],
      [0xfe, 0xff],
    ).map((b) => Buffer.from(b)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)) },
);
const hostileHeader = fc.oneof(
  fc.constant(VALID_HEADER),
  fc.constant(VALID_HEADER.replaceAll(',', ';')),
  fc.constant('timestamp,account_id,amount'),
  fc.constant('"timestamp","account_id","amount","note'),
  fc.constant(Array.from({ length: 300 }, (_, i) => `c${i}`).join(',') + ',timestamp,account_id,amount'),
  fc.constant('foo,bar'),
  fc.constant(''),
  hostileText,
);
const hostileFile = fc
  .record({
    bom: fc.constantFrom<number[]>([], [], UTF8_BOM, [0xff, 0xfe], [0xfe, 0xff]),
    header: hostileHeader,
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    rows: fc.array(
      fc.oneof(
        fc.array(hostilePiece, { maxLength: 14 }).map((p) => Buffer.concat(p)),
        fc
          .tuple(fc.integer({ min: 1_700_000_000, max: 1_800_000_000 }), cents, fc.array(hostileText, { maxLength: 3 }))
          .map(([t, c, extra]) =>
            Buffer.from(`T${t},${new Date(t * 1000).toISOString()},A${c % 7},,${(c / 100).toFixed(2)},USD,M,${extra.join('"')}`),
          ),
      ),
      { maxLength: 15 },
    ),
    utf16: fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  })
  .map(({ bom, header, eol, rows, utf16 }) => {
    const body = Buffer.concat([Buffer.from(header + eol), ...rows.flatMap((r) => [r, Buffer.from(eol)])]);
    return Buffer.concat([Buffer.from(bom), utf16 ? Buffer.from(body.toString('latin1'), 'utf16le') : body]);
  });

// ---------------------------------------------------------------------------------------------
// The pipeline: processFile over SQLite and an in-memory object store

/** Objects in a map; reads come in chunks cut where the test says. */
class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  cuts: readonly number[] = [];

  async *read(key: string): AsyncIterable<Buffer> {
    const body = this.objects.get(key);
    if (!body) throw new Error(`no object ${key}`);
    yield* chunked(body, this.cuts);
  }

  async write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void> {
    if (typeof body === 'string') {
      this.objects.set(key, Buffer.from(body));
      return;
    }
    const pieces: Buffer[] = [];
    for await (const piece of body) pieces.push(Buffer.from(piece));
    this.objects.set(key, Buffer.concat(pieces));
  }

  async move(from: string, to: string): Promise<void> {
    const body = this.objects.get(from);
    if (!body) throw new Error(`no object ${from}`);
    this.objects.set(to, body);
    this.objects.delete(from);
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async exists(key: string): Promise<boolean> {
    return this.objects.has(key);
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

describe('fuzzing CSV files through the parser, the validator and the pipeline', () => {
  let state: SqliteStateStore;
  let objects: MemoryObjectStore;
  const rules = loadRulesFile(BUNDLED_RULES);
  let files = 0;
  let piped = 0;

  beforeAll(() => {
    state = new SqliteStateStore({ path: ':memory:' });
    objects = new MemoryObjectStore();
  });

  afterAll(() => state.close());

  /** Runs `bytes` through claimFile and processFile; checks the receipt against ingest's outcome. */
  const throughPipeline = async (bytes: Buffer, cuts: number[], maxRecord: number, outcome: Outcome): Promise<void> => {
    const name = `fuzz-${++piped}.csv`;
    objects.objects.set(`inbox/${name}`, bytes);
    objects.cuts = cuts;
    const deps = {
      objects,
      decisions: state,
      ledger: state,
      commits: state,
      features: new FeatureWindows(),
      rules: () => rules,
      tokenizer,
      batchSize: 7,
      maxRecord,
      logger: silentLogger,
    };
    const receipt: Receipt = await processFile(await claimFile(`inbox/${name}`, deps), deps);
    const c = receipt.counts;
    expect(c.rows).toBe(c.accepted + c.rejected);
    expect(c.accepted).toBe(c.decided + c.duplicates);
    expect(c.rows).toBe(outcome.rows.length + outcome.rejections.length);
    expect(c.rejected).toBe(outcome.rejections.length);
    expect(receipt.rejections.map((r) => [r.row, r.line, r.column, r.reason])).toEqual(
      outcome.rejections.map((r) => [r.row, r.line, r.column, r.reason]),
    );
    expect(receipt.status).toBe(outcome.error === undefined ? 'processed' : 'failed');
    if (outcome.error !== undefined) expect(receipt.error).toBe(outcome.error.replace(/^fuzz\.csv/, name));
    const saved = JSON.parse(objects.objects.get(`${receipt.status}/${name.replace('.csv', '.receipt.json')}`)?.toString() ?? '{}');
    expect(saved.counts).toEqual(c);
    const left = [...objects.objects.keys()].filter((k) => k.includes(name) && !/^(processed|failed)\//.test(k));
    expect(left).toEqual([]);
  };

  it(`gives each row of ${RUNS.toLocaleString('en-US')} generated files its known fate, however the bytes are chunked`, async () => {
    await fc.assert(
      fc.asyncProperty(
        knownFile,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 1, max: 30 }),
        async (file, cuts, batchSize) => {
          files++;
          // Act
          const whole = await ingest(file.bytes, [], MAX_KNOWN_RECORD, 5000);
          const split = await ingest(file.bytes, cuts, MAX_KNOWN_RECORD, batchSize);

          // Assess
          expect(split).toEqual(whole);
          expectSound(whole);
          expect(whole.error).toBeUndefined();
          const expected = expectedOf(file);
          expect(whole.rows.map((r) => ({ row: r.row, line: r.line, amount: (r.tx.amount / 10_000).toFixed(2) }))).toEqual(
            expected.accepted,
          );
          expect(whole.rejections.map((r) => ({ row: r.row, line: r.line, column: r.column }))).toEqual(
            expected.rejected,
          );
          if (files % PIPELINE_EVERY === 0) await throughPipeline(file.bytes, cuts, MAX_KNOWN_RECORD, whole);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);

  it(`never crashes on ${RUNS.toLocaleString('en-US')} hostile files, and rejects or fails them the same whatever the chunking`, async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileFile,
        fc.oneof(fc.array(fc.nat(), { maxLength: 8 }), fc.constant('bytes' as const)),
        fc.constantFrom(256, 1024, 65_536),
        fc.integer({ min: 1, max: 30 }),
        async (bytes, cutsOrBytes, maxRecord, batchSize) => {
          files++;
          // Prepare: sometimes one byte at a time
          const cuts = cutsOrBytes === 'bytes' ? Array.from({ length: Math.min(bytes.length, 2000) }, (_, i) => i) : cutsOrBytes;

          // Act
          const whole = await ingest(bytes, [], maxRecord, 5000);
          const split = await ingest(bytes, cuts, maxRecord, batchSize);

          // Assess
          expect(split).toEqual(whole);
          expectSound(whole);
          if (files % PIPELINE_EVERY === 0) await throughPipeline(bytes, cuts, maxRecord, whole);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);
});
