import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HeaderError, UnclosedQuoteError } from '../../src/core/errors.js';
import { type IngestBatch, ingestCsv, ingestHere } from '../../src/pipeline/ingest.js';
import { ingestOnThread, ingestOnThreadFrom } from '../../src/local/IngestThread.js';
import { ObjectChangedError } from '../../src/ports/ObjectStore.js';
import { PackedBatchBuilder, packBatch, packedTransferables, unpackBatch } from '../../src/local/packedBatch.js';
import { TEST_KEY, testTokenizer } from '../helpers/transactions.js';

const dir = mkdtempSync(join(tmpdir(), 'fraudmini-ingest-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A CSV that uses every field: cards that are card numbers and that are not, empty optional
 * columns, extra columns, labels, balances, quoted fields with line breaks, and bad rows.
 */
function csvText(rows: number): string {
  let text =
    'transaction_id,timestamp,account_id,card_number,amount,currency,merchant,merchant_category,terminal_id,' +
    'country,origin_country,destination_country,account_balance,channel,device_id,ip,label,note\n';
  for (let i = 1; i <= rows; i++) {
    const card = i % 5 === 0 ? '' : i % 5 === 1 ? 'tok_abc' : '4111111111111111';
    const amount = i % 101 === 0 ? 'oops' : `${i % 500}.25`;
    const opt = (v: string): string => (i % 3 === 0 ? '' : v);
    const note = i % 7 === 0 ? `"multi\nline, ""quoted"" ${i}"` : i % 2 === 0 ? '' : `note ${i}`;
    text +=
      `tx-${i},2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z,A${i % 97},${card},${amount},${i % 4 === 0 ? 'eur' : ''},` +
      `${opt(`M${i % 13}`)},${opt('grocery')},${opt(`T${i % 31}`)},${opt('fr')},${opt('de')},${opt('gb')},${opt('10.5')},` +
      `${opt('web')},${opt(`D${i}`)},${opt('10.0.0.1')},${i % 11 === 0 ? '1' : opt('0')},${note}\n`;
  }
  return text;
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** `ingestCsv` as `fraudmini score` runs it on one thread (1 MiB reads, as the thread's). */
async function onThisThread(path: string, batchSize: number): Promise<IngestBatch[]> {
  const { createReadStream } = await import('node:fs');
  const out: IngestBatch[] = [];
  for await (const b of ingestCsv(createReadStream(path, { highWaterMark: 1 << 20 }), { fileKey: 'f.csv', tokenizer: testTokenizer(), batchSize })) out.push(b);
  return out;
}

async function onTheThread(path: string, batchSize: number): Promise<IngestBatch[]> {
  const out: IngestBatch[] = [];
  for await (const b of ingestOnThread({ path, fileKey: 'f.csv', tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, batchSize, groupRows: 3 * batchSize })) out.push(b);
  return out;
}

/** Two runs' errors, for comparing class and message. */
async function failure(run: Promise<unknown>): Promise<Error> {
  try {
    await run;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a failure');
}

describe('packBatch', () => {
  it('gives back equal transactions with the same keys in the same order, and the same rows and rejections', async () => {
    // Arrange
    const [batch] = await onThisThread(file('pack.csv', csvText(300)), 1000);
    if (!batch) throw new Error('no batch');

    // Act
    const back = unpackBatch(packBatch(batch));

    // Assert
    expect(batch.rows.length).toBeGreaterThan(250);
    expect(batch.rejections.length).toBeGreaterThan(0);
    expect(back).toEqual(batch);
    back.rows.forEach((r, i) => expect(Object.keys(r.transaction)).toEqual(Object.keys(batch.rows[i]?.transaction ?? {})));
    // Both card shapes and an absent card went through.
    const cards = new Set(back.rows.map((r) => (r.transaction.card ? Object.keys(r.transaction.card).join() : 'none')));
    expect(cards).toEqual(new Set(['token,bin,last4,masked', 'token,masked', 'none']));
  });
});

describe('PackedBatchBuilder', () => {
  it('packs rows past its first capacity and batch after batch, each given back equal', async () => {
    // Arrange
    const batches = await onThisThread(file('builder.csv', csvText(2500)), 1100);
    const builder = new PackedBatchBuilder(1);

    // Act: every batch through one builder that starts with room for a single row
    const back = batches.map((b) => {
      for (const r of b.rows) builder.add(r.transaction, r.row.row, r.row.line);
      for (const r of b.rejections) builder.reject(r);
      return unpackBatch(builder.finish(b.rowsDone, b.bytesRead));
    });

    // Assert
    expect(batches.length).toBe(3);
    expect(back).toEqual(batches);
    expect(builder.count).toBe(0);
  });
});

describe('packBatch, extra columns', () => {
  it('gives back each row\'s extra columns, in its key order, across a structured clone and after rows without any', async () => {
    // Arrange: extra columns named like numbers (which objects order first), like object keys,
    // and plain, each empty on some rows, some rows with none at all
    const header = 'timestamp,account_id,amount,note,7,constructor,__proto__,2,x y\n';
    let text = header;
    for (let i = 1; i <= 1200; i++) {
      const v = (k: number, s: string): string => (i % k === 0 ? '' : s);
      text += `2026-01-01T00:00:00Z,A${i},1.00,${v(2, `n${i}`)},${v(3, `seven ${i}`)},${v(5, 'c')},${v(7, 'p')},${v(11, 'two')},${v(4, `${i} x y long enough to be a slice`)}\n`;
    }
    const [batch] = await onThisThread(file('extra.csv', text), 2000);
    if (!batch) throw new Error('no batch');
    const packed = packBatch(batch);

    // Act
    const back = unpackBatch(structuredClone(packed, { transfer: packedTransferables(packed) }));

    // Assert
    expect(batch.rows.length).toBe(1200);
    expect(batch.rows.some((r) => Object.keys(r.transaction.attributes).length === 0)).toBe(true);
    expect(back).toEqual(batch);
    back.rows.forEach((r, i) => expect(Object.keys(r.transaction.attributes)).toEqual(Object.keys(batch.rows[i]?.transaction.attributes ?? {})));
    // Each name once per batch; a column named __proto__ is never a key of the rows' attributes.
    expect([...packed.attributeNames].sort()).toEqual(['2', '7', 'constructor', 'note', 'x y']);
  });
});

describe('ingestOnThread', () => {
  it('gives the same batches as ingesting on this thread', async () => {
    // Arrange: several batches, quoted line breaks, rejections.
    const path = file('same.csv', csvText(5000));

    // Act
    const here = await onThisThread(path, 700);
    const there = await onTheThread(path, 700);

    // Assert
    expect(here.length).toBeGreaterThan(5);
    expect(there).toEqual(here);
  });

  it('raises a header that cannot be mapped as the same HeaderError', async () => {
    const path = file('header.csv', 'foo,bar\n1,2\n');
    const here = await failure(onThisThread(path, 10));
    const there = await failure(onTheThread(path, 10));
    expect(there).toBeInstanceOf(HeaderError);
    expect(there.message).toBe(here.message);
  });

  it('raises an unclosed quote as the same UnclosedQuoteError, after the batches before it', async () => {
    // Arrange: good rows, then a quote that never closes.
    const path = file('quote.csv', `${csvText(50)}tx-x,2026-01-01T00:00:00Z,A1,,5.00,,"open${'x'.repeat(2000)}\n`.repeat(1));
    const before: IngestBatch[] = [];
    const run = (async () => {
      for await (const b of ingestOnThread({ path, fileKey: 'f.csv', tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, batchSize: 10, groupRows: 20, maxRecord: 1000 })) {
        before.push(b);
      }
    })();

    // Act
    const there = await failure(run);

    // Assert
    expect(there).toBeInstanceOf(UnclosedQuoteError);
    expect((there as UnclosedQuoteError).line).toBeGreaterThan(50);
    expect(before.reduce((n, b) => n + b.rows.length + b.rejections.length, 0)).toBe(50);
  });

  it('raises a file it cannot read with its code', async () => {
    const there = await failure(onTheThread(join(dir, 'missing.csv'), 10));
    expect((there as NodeJS.ErrnoException).code).toBe('ENOENT');
  });

  it('stops the thread when the consumer stops early', async () => {
    // Arrange: far more batches than the thread may run ahead.
    const path = file('early.csv', csvText(3000));
    let seen = 0;

    // Act: a break runs the generator's return, which must end the thread (else this would hang).
    for await (const b of ingestOnThread({ path, fileKey: 'f.csv', tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, batchSize: 10, groupRows: 10 })) {
      seen += b.rows.length;
      if (seen >= 20) break;
    }

    // Assert
    expect(seen).toBeGreaterThanOrEqual(20);
  });

  it('takes the bytes from a source on this thread, and renders the same batches and masked copy as ingesting here', async () => {
    // Arrange: small chunks, so records and UTF-8 sequences are cut across them and the
    // calling thread must wait for the thread to take some before it reads on.
    const text = `${csvText(3000)}tx-u,2026-01-01T00:00:00Z,Aé,4111111111111111,1.00,,,,,,,,,,,,,note 4000000000000002 ünï\n`;
    const options = { fileKey: 'f.csv', batchSize: 700 };
    const here = { batches: [] as IngestBatch[], masked: '' };
    for await (const b of ingestHere(testTokenizer())(chunks(text, 1001), { ...options, onMasked: (t) => (here.masked += String(t)) })) here.batches.push(b);

    // Act
    const there = { batches: [] as IngestBatch[], masked: '' };
    const ingest = ingestOnThreadFrom({ tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, groupRows: 1400 });
    for await (const b of ingest(chunks(text, 1001), { ...options, onMasked: (t) => (there.masked += Buffer.from(t).toString()) })) there.batches.push(b);

    // Assert
    expect(here.batches.length).toBeGreaterThan(3);
    expect(there.batches).toEqual(here.batches);
    expect(there.masked).toBe(here.masked);
    expect(there.masked).toContain('411111******1111');
    expect(there.masked).not.toContain('4111111111111111');
    expect(there.masked).not.toContain('4000000000000002');
    expect(there.masked.split('\n').length).toBe(here.masked.split('\n').length);
  });

  it('raises a failed read of the source as the very error, after the batches of the bytes before it', async () => {
    // Arrange: a source that fails after two chunks of whole lines
    const head = csvText(40);
    const cut = head.indexOf('\n', head.length >> 1) + 1;
    const failure = new ObjectChangedError('inbox/f.csv', 'it shrank from 10 to 5 bytes');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from(head.slice(0, cut));
      yield Buffer.from(head.slice(cut));
      throw failure;
    }
    const got: IngestBatch[] = [];

    // Act
    const ingest = ingestOnThreadFrom({ tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, groupRows: 10 });
    let raised: unknown;
    try {
      for await (const b of ingest(failing(), { fileKey: 'f.csv', batchSize: 10 })) got.push(b);
    } catch (e) {
      raised = e;
    }

    // Assert
    expect(raised).toBe(failure);
    expect(got.reduce((n, b) => n + b.rows.length + b.rejections.length, 0)).toBe(40);
  });

  it('stops reading the source when the consumer stops early', async () => {
    // Arrange: an endless source that records whether it was closed
    let closed = false;
    let read = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('timestamp,account_id,amount\n');
        for (;;) {
          read++;
          yield Buffer.from('2026-01-01T00:00:00Z,A1,1.00\n'.repeat(100));
        }
      } finally {
        closed = true;
      }
    }

    // Act
    const ingest = ingestOnThreadFrom({ tokenKey: Buffer.from(TEST_KEY), tokenCache: 16, groupRows: 10 });
    let seen = 0;
    for await (const b of ingest(endless(), { fileKey: 'f.csv', batchSize: 10 })) {
      seen += b.rows.length;
      if (seen >= 500) break;
    }

    // Assert: the source was closed, having been read only a few chunks past what was parsed
    expect(closed).toBe(true);
    expect(read).toBeLessThan(500 / 100 + 20);
  });
});

/** `text` as chunks of `size` bytes. */
async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
