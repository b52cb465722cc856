import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { handOffFile, type HandOffDeps } from '../../src/app/handOffFile.js';
import type { IngestCheckpoint, IngestCheckpoints } from '../../src/ports/IngestCheckpoints.js';
import { silentLogger } from '../../src/ports/Logger.js';
import type { QueuedTransaction, TransactionQueue } from '../../src/ports/TransactionQueue.js';
import { scenarioFile, tempDir } from '../helpers/fixtures.js';
import { testTokenizer } from '../helpers/transactions.js';
import { canaries, leakedPans, nameSafe } from '../security/panShapes.js';

/** The queue as a list; `failAfter` sends succeed, then one throws (a crash mid-file). */
class ListQueue implements TransactionQueue {
  readonly items: QueuedTransaction[] = [];
  calls = 0;
  failAt: number | undefined;
  async send(items: readonly QueuedTransaction[]): Promise<{ messages: number }> {
    this.calls++;
    if (this.failAt !== undefined && this.calls === this.failAt) throw new Error('connection reset');
    this.items.push(...structuredClone([...items]));
    return { messages: Math.ceil(items.length / 500) };
  }
}

class MemoryCheckpoints implements IngestCheckpoints {
  readonly saved = new Map<string, IngestCheckpoint>();
  async get(file: string, etag: string): Promise<IngestCheckpoint | undefined> {
    const cp = this.saved.get(`${file}|${etag}`);
    return cp ? structuredClone(cp) : undefined;
  }
  async put(cp: IngestCheckpoint): Promise<void> {
    this.saved.set(`${cp.file}|${cp.etag}`, structuredClone(cp));
  }
}

describe('handOffFile', () => {
  let tmp: ReturnType<typeof tempDir>;
  let deps: HandOffDeps & { queue: ListQueue; checkpoints: MemoryCheckpoints };

  beforeEach(() => {
    tmp = tempDir();
    mkdirSync(join(tmp.dir, 'raw/inbox'), { recursive: true });
    deps = {
      raw: new FolderObjectStore({ root: join(tmp.dir, 'raw') }),
      refined: new FolderObjectStore({ root: join(tmp.dir, 'refined') }),
      queue: new ListQueue(),
      checkpoints: new MemoryCheckpoints(),
      tokenizer: testTokenizer(),
      batchSize: 500,
      logger: silentLogger,
    };
  });
  afterEach(() => tmp.cleanup());

  const drop = (name: string, csv: string): { key: string; etag: string } => {
    writeFileSync(join(tmp.dir, 'raw/inbox', name), csv);
    return { key: `inbox/${name}`, etag: `"etag-${name}"` };
  };

  it('queues every valid row once, writes the receipt and masked copy, deletes the raw file', async () => {
    const file = scenarioFile(2100, 3, 2);
    const result = await handOffFile(drop('a.csv', file.csv), deps);
    expect(result.status).toBe('processed');
    expect(deps.queue.items).toHaveLength(2097);
    expect(new Set(deps.queue.items.map((i) => i.transaction.transactionId)).size).toBe(2097);
    expect(deps.queue.items[0]?.source).toMatchObject({ file: 'a.csv', row: 1, line: 2 });
    const receipt = JSON.parse(readFileSync(join(tmp.dir, 'refined/processed/a.receipt.json'), 'utf8')) as {
      counts: { rows: number; accepted: number; rejected: number; queued: number; messages: number };
      rejections: { row: number }[];
    };
    expect(receipt.counts).toEqual({ rows: 2100, accepted: 2097, rejected: 3, queued: 2097, messages: 5 });
    expect(receipt.rejections.map((r) => r.row)).toEqual(file.badRows);
    const copy = readFileSync(join(tmp.dir, 'refined/processed/a.csv'), 'utf8');
    for (const pan of file.pans) expect(copy).not.toContain(pan);
    expect(existsSync(join(tmp.dir, 'raw/inbox/a.csv'))).toBe(false);
  });

  it('pauses when time runs short and resumes from the checkpoint: each row queued once', async () => {
    const file = scenarioFile(2100, 2, 3);
    const ref = drop('b.csv', file.csv);
    let left = 1;
    const paused = await handOffFile(ref, { ...deps, remainingMs: () => (left-- > 0 ? 1e6 : 0), reserveMs: 1000 });
    expect(paused.status).toBe('paused');
    let runs = 1;
    let result = paused;
    while (result.status === 'paused') {
      let budget = 1;
      result = await handOffFile(ref, { ...deps, remainingMs: () => (budget-- > 0 ? 1e6 : 0), reserveMs: 1000 });
      runs++;
    }
    expect(result.status).toBe('processed');
    expect(runs).toBeGreaterThan(2);
    const ids = deps.queue.items.map((i) => i.transaction.transactionId);
    expect(ids).toHaveLength(2098);
    expect(new Set(ids).size).toBe(2098);
  });

  it('after a crash mid-file, a rerun re-sends at most the unfinished batch and loses nothing', async () => {
    const file = scenarioFile(2100, 0, 4);
    const ref = drop('c.csv', file.csv);
    deps.queue.failAt = 3;
    await expect(handOffFile(ref, deps)).rejects.toThrow('connection reset');
    deps.queue.failAt = undefined;
    const result = await handOffFile(ref, deps);
    expect(result.status).toBe('processed');
    const ids = deps.queue.items.map((i) => i.transaction.transactionId);
    expect(new Set(ids).size).toBe(2100);
    expect(ids.length).toBe(2100);
  });

  it('does nothing new for a redelivered event once the file is done', async () => {
    const file = scenarioFile(300, 1, 5);
    const ref = drop('d.csv', file.csv);
    const first = await handOffFile(ref, deps);
    const receiptBefore = readFileSync(join(tmp.dir, 'refined/processed/d.receipt.json'), 'utf8');
    const again = await handOffFile(ref, deps);
    expect(again.status).toBe(first.status);
    expect(deps.queue.items).toHaveLength(299);
    expect(readFileSync(join(tmp.dir, 'refined/processed/d.receipt.json'), 'utf8')).toBe(receiptBefore);
  });

  it('keeps a second upload under the same name apart from the first', async () => {
    const one = scenarioFile(50, 0, 6);
    await handOffFile(drop('e.csv', one.csv), deps);
    writeFileSync(join(tmp.dir, 'raw/inbox/e.csv'), scenarioFile(60, 0, 7).csv);
    const second = await handOffFile({ key: 'inbox/e.csv', etag: '"second-upload"' }, deps);
    expect(second.status).toBe('processed');
    if (second.status !== 'processed') return;
    expect(second.outputs.receipt).toBe('processed/e.secondupload.receipt.json');
    expect(existsSync(join(tmp.dir, 'refined/processed/e.receipt.json'))).toBe(true);
  });

  it('never overwrites another upload\'s results, even one named like its ETag-tagged names', async () => {
    // Prepare: the first upload takes the plain names; a second upload is itself named like the
    // tagged name a third upload of e.csv would get
    const receiptOf = (key: string) => JSON.parse(readFileSync(join(tmp.dir, 'refined', key), 'utf8')) as { etag: string };
    await handOffFile(drop('e.csv', scenarioFile(50, 0, 6).csv), deps);
    await handOffFile(drop('e.third.csv', scenarioFile(40, 0, 8).csv), deps);
    writeFileSync(join(tmp.dir, 'raw/inbox/e.csv'), scenarioFile(60, 0, 7).csv);

    // Act
    const third = await handOffFile({ key: 'inbox/e.csv', etag: '"third"' }, deps);
    const again = await handOffFile({ key: 'inbox/e.csv', etag: '"third"' }, deps);

    // Assess: every upload keeps its own receipt; a redelivery finds the names it chose
    expect(third.status).toBe('processed');
    if (third.status !== 'processed' || again.status !== 'processed') throw new Error('not processed');
    expect(third.outputs.receipt).toBe('processed/e.third-2.receipt.json');
    expect(again.outputs).toEqual(third.outputs);
    expect(receiptOf('processed/e.receipt.json').etag).toBe('"etag-e.csv"');
    expect(receiptOf('processed/e.third.receipt.json').etag).toBe('"etag-e.third.csv"');
    expect(receiptOf('processed/e.third-2.receipt.json').etag).toBe('"third"');
  });

  it('rejects a row longer than maxRecord with its row and line, and queues the rest', async () => {
    // Prepare
    deps.maxRecord = 1024;
    // Eight notes of 200 characters: each within the attribute limit, the row over 1,024
    const notes = Array.from({ length: 8 }, (_, i) => `n${i}`).join(',');
    const long = Array.from({ length: 8 }, () => 'x'.repeat(200)).join(',');
    const short = Array.from({ length: 8 }, () => 'ok').join(',');
    const csv = `transaction_id,timestamp,account_id,amount,${notes}\nL1,2026-01-01T00:00:00Z,A1,5.00,${short}\nL2,2026-01-01T00:01:00Z,A1,6.00,${long}\nL3,2026-01-01T00:02:00Z,A1,7.00,${short}\n`;

    // Act
    const result = await handOffFile(drop('long.csv', csv), deps);

    // Assess
    if (result.status !== 'processed') throw new Error(result.status);
    expect(deps.queue.items.map((i) => i.transaction.transactionId)).toEqual(['L1', 'L3']);
    expect(result.receipt.counts).toMatchObject({ rows: 3, accepted: 2, rejected: 1 });
    expect(result.receipt.rejections[0]).toMatchObject({ row: 2, line: 3 });
  });

  it('sends a file without a usable header to failed/ with the reason, masked', async () => {
    const result = await handOffFile(drop('f.csv', `foo,bar\n${['4111', '1111', '1111', '1111'].join('')},2\n`), deps);
    expect(result.status).toBe('failed');
    const receipt = JSON.parse(readFileSync(join(tmp.dir, 'refined/failed/f.receipt.json'), 'utf8')) as { error: string };
    expect(receipt.error).toMatch(/timestamp|account|amount/);
    const copy = readFileSync(join(tmp.dir, 'refined/failed/f.csv'), 'utf8');
    expect(copy).not.toContain(['4111', '1111', '1111', '1111'].join(''));
    expect(deps.queue.items).toHaveLength(0);
  });

  it('reports an object that is gone (already handled, another ETag) without touching anything', async () => {
    expect(await handOffFile({ key: 'inbox/nothing.csv', etag: '"x"' }, deps)).toEqual({ status: 'gone' });
  });

  it('masks a card number in the file name in checkpoints, queued rows, outputs, receipts and logs', async () => {
    // Prepare
    const named = canaries().filter((c) => nameSafe(c.text));
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const results: unknown[] = [];

    for (const [i, c] of named.entries()) {
      // An ETag as S3 makes them (the test helper's holds the name)
      const ref = { ...drop(`batch_${c.text}.csv`, i % 2 === 0 ? scenarioFile(30, 1, 10 + i).csv : 'foo,bar\n1,2\n'), etag: `"e${i}"` };

      // Act: the first run pauses after one batch, the second finishes from the checkpoint
      let budget = 1;
      const paused = await handOffFile(ref, { ...deps, logger, batchSize: 10, remainingMs: () => (budget-- > 0 ? 1e6 : 0), reserveMs: 1000 });
      const done = await handOffFile(ref, { ...deps, logger, batchSize: 10 });
      results.push(paused, done);

      // Assess
      expect(done.status, c.shape).toBe(i % 2 === 0 ? 'processed' : 'failed');
      expect(existsSync(join(tmp.dir, 'raw', ref.key)), c.shape).toBe(false);
    }
    const refined = readdirSync(join(tmp.dir, 'refined'), { recursive: true, withFileTypes: true }).flatMap((e) =>
      e.isFile() ? [e.name, readFileSync(join(e.parentPath, e.name), 'utf8')] : [e.name],
    );
    const everything = JSON.stringify([results, [...deps.checkpoints.saved], deps.queue.items, refined, lines]);
    expect(leakedPans(everything, named.map((c) => c.pan))).toEqual([]);
  });
});
