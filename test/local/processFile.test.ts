import { Readable } from 'node:stream';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteWorkerBatchCommitter } from '../../src/adapters/local/SqliteWorkerBatchCommitter.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { deriveTransactionId } from '../../src/core/schema.js';
import type { Decision } from '../../src/core/scoring.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { maskedCsv } from '../../src/pipeline/maskedCopy.js';
import { claimedInboxKey, claimFile, type FileProcessorDeps, maskedCopyKey, maskFileName, processFile } from '../../src/app/processFile.js';
import type { FileRecord } from '../../src/ports/FileLedger.js';
import { silentLogger } from '../../src/ports/Logger.js';
import type { DecidedItem } from '../../src/core/records.js';
import type { BatchCommitter } from '../../src/ports/BatchCommitter.js';
import { HEADER, scenarioFile, TEST_PANS, tempDir } from '../helpers/fixtures.js';
import { canaries, leakedPans, nameSafe } from '../security/panShapes.js';

describe('processFile (local pipeline over SQLite and a folder)', () => {
  let dir: string;
  let cleanup: () => void;
  let state: SqliteStateStore;
  let deps: FileProcessorDeps;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    state = new SqliteStateStore({ path: join(dir, 'db.sqlite') });
    const rules = new FileRulesSource(BUNDLED_RULES, silentLogger);
    deps = {
      objects: new FolderObjectStore({ root: dir }),
      decisions: state,
      ledger: state,
      commits: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      tokenizer: createPanTokenizer('test-key-0123456789abcdef'),
      batchSize: 250,
      logger: silentLogger,
    };
  });

  afterEach(() => {
    state.close();
    cleanup();
  });

  const drop = async (name: string, csv: string) => {
    writeFileSync(join(dir, 'in.tmp'), csv);
    await deps.objects.move('in.tmp', `inbox/${name}`);
    return claimFile(`inbox/${name}`, deps);
  };

  /** Runs `file` with `options` until a simulated crash once `batches` batches are committed. */
  const crashAfter = async (file: FileRecord, options: FileProcessorDeps, batches: number): Promise<void> => {
    let done = 0;
    await expect(
      processFile(file, {
        ...options,
        onProgress: () => {
          if (++done === batches) throw new Error('simulated crash');
        },
      }),
    ).rejects.toThrow('simulated crash');
  };

  it('decides every valid row once, rejects bad rows with row/column/reason, and writes a receipt', async () => {
    // Prepare
    const f = scenarioFile(2000, 4);
    const file = await drop('tx.csv', f.csv);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.counts.rows).toBe(2000);
    expect(receipt.counts.decided).toBe(1996);
    expect(receipt.counts.rejected).toBe(4);
    expect(receipt.counts.accepted + receipt.counts.rejected).toBe(receipt.counts.rows);
    expect(receipt.rejections.map((r) => r.row)).toEqual(f.badRows);
    for (const r of receipt.rejections) {
      expect(r.line).toBe(r.row + 1);
      expect(r.column).not.toBe('');
      expect(r.reason.length).toBeGreaterThan(3);
    }
    expect((await state.stats()).decisions).toBe(1996);
    const saved = JSON.parse(readFileSync(join(dir, 'processed/tx.receipt.json'), 'utf8'));
    expect(saved.counts).toEqual(receipt.counts);
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
    expect(readdirSync(join(dir, 'processing'))).toEqual([]);
  });

  it('fires high_value, cross_border, low_balance_high_amount and velocity on the rows built for them', async () => {
    // Prepare
    const f = scenarioFile(2000, 4);
    const file = await drop('tx.csv', f.csv);

    // Act
    await processFile(file, deps);

    // Assess
    for (const [rule, ids] of Object.entries(f.expected)) {
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        const found = await state.getTransaction(id);
        expect(found, id).toBeDefined();
        expect(
          found?.decision.reasons.map((r) => r.rule),
          `${rule} on ${id}`,
        ).toContain(rule);
      }
    }
  });

  it('never writes a full card number to the database, the processed copy or the receipt', async () => {
    // Prepare
    const f = scenarioFile(500, 2);
    const file = await drop('tx.csv', f.csv);

    // Act
    await processFile(file, deps);
    state.db.pragma('wal_checkpoint(TRUNCATE)');

    // Assess
    const outputs = ['processed/tx.csv', 'processed/tx.receipt.json', 'db.sqlite'].map((p) =>
      readFileSync(join(dir, p)).toString('latin1'),
    );
    for (const pan of f.pans) for (const text of outputs) expect(text.includes(pan)).toBe(false);
    const copy = readFileSync(join(dir, 'processed/tx.csv'), 'utf8').split('\n');
    expect(copy[0]).toBe(HEADER);
    expect(copy[1]).toMatch(/,\d{6}\*+\d{4},/);
  });

  /** The masked copy of `csv` as rendered from the raw text alone, in a pass of its own. */
  const maskedAlone = async (csv: string): Promise<string> => {
    let out = '';
    for await (const part of maskedCsv(Readable.from([csv]), { tokenizer: deps.tokenizer })) out += part;
    return out;
  };

  it('writes the masked copy during ingest: every row, rejected and blank ones too, PANs masked wherever they are', async () => {
    // Prepare: PANs in the card column (with separators too) and in a quoted note; a rejected
    // row; a blank line; quoted fields holding the delimiter, quotes and a line break
    const [p1, p2, p3] = TEST_PANS as [string, string, string];
    const csv = [
      `${HEADER},note`,
      `t1,2026-01-01T00:00:00Z,A1,${p1},10.00,USD,m1,T1,US,US,US,100.00,plain`,
      `t2,2026-01-01T00:01:00Z,A1,${p2.replace(/(\d{4})(?=\d)/g, '$1 ')},11.00,USD,m1,T1,US,US,US,100.00,"card ${p3} in a note"`,
      `t3,not-a-time,A2,${p1},12.00,USD,m1,T1,US,US,US,100.00,"a, b"`,
      '',
      `t4,2026-01-01T00:02:00Z,A2,${p3},13.00,USD,"m, ""2""",T1,US,US,US,100.00,"two\nlines"`,
      't5,2026-01-01T00:03:00Z,A3,card-ref-77,14.00,USD,m1,T1,US,US,US,100.00,',
    ].join('\n');
    const file = await drop('tx.csv', csv);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.counts.rejected).toBe(1);
    expect(receipt.counts.decided).toBe(4);
    const copy = readFileSync(join(dir, 'processed/tx.csv'), 'utf8');
    expect(copy).toBe(await maskedAlone(csv));
    expect(copy.split('\n')[0]).toBe(`${HEADER},note`);
    expect(copy).toContain(`card ${p3.slice(0, 6)}******${p3.slice(-4)} in a note`);
    expect(copy).toContain('"m, ""2"""');
    expect(copy).toContain(',card:');
    for (const pan of [p1, p2, p3]) expect(copy.replaceAll(/[ -]/g, '').includes(pan)).toBe(false);
    expect(readdirSync(join(dir, 'processing'))).toEqual([]);
  });

  it('after a crash mid-file, the masked copy still holds every row once, rows before the checkpoint included', async () => {
    // Prepare: a crash after three committed batches
    const f = scenarioFile(1000, 3);
    const file = await drop('tx.csv', f.csv);
    const partial = { ...deps, batchSize: 100 };
    await crashAfter(file, partial, 3);
    // Nothing half-written is left where finalize would take the copy from.
    expect(await deps.objects.exists(maskedCopyKey(file))).toBe(false);
    expect(readdirSync(join(dir, 'processing'))).toEqual([file.workKey.slice('processing/'.length)]);

    // Act
    const receipt = await processFile(await state.getFile(file.id) ?? file, partial);

    // Assess
    expect(receipt.counts.rows).toBe(1000);
    const copy = readFileSync(join(dir, 'processed/tx.csv'), 'utf8');
    expect(copy.trimEnd().split('\n')).toHaveLength(1001);
    expect(copy).toBe(await maskedAlone(f.csv));
    for (const pan of f.pans) expect(copy.includes(pan)).toBe(false);
  });

  it('renders the masked copy from the raw file again when a crash came after it was moved into processed/', async () => {
    // Prepare: ingest done and the copy moved, then a crash before the receipt
    const f = scenarioFile(300, 1);
    const file = await drop('tx.csv', f.csv);
    const objects = deps.objects;
    const crashing: FileProcessorDeps['objects'] = {
      read: (key) => objects.read(key),
      write: (key, body) => objects.write(key, body),
      delete: (key) => objects.delete(key),
      exists: (key) => objects.exists(key),
      list: (prefix) => objects.list(prefix),
      move: async (from, to) => {
        await objects.move(from, to);
        if (from === maskedCopyKey(file)) throw new Error('simulated crash');
      },
    };
    await expect(processFile(file, { ...deps, objects: crashing })).rejects.toThrow('simulated crash');
    expect((await state.getFile(file.id))?.status).toBe('finalizing');
    rmSync(join(dir, 'processed/tx.csv'));

    // Act
    const receipt = await processFile(await state.getFile(file.id) ?? file, deps);

    // Assess
    expect(receipt.status).toBe('processed');
    expect(readFileSync(join(dir, 'processed/tx.csv'), 'utf8')).toBe(await maskedAlone(f.csv));
  });

  it('creates no new decision when the same file is dropped again', async () => {
    // Prepare
    const f = scenarioFile(300, 0);
    await processFile(await drop('tx.csv', f.csv), deps);
    const before = await state.stats();

    // Act
    const again = await processFile(await drop('tx.csv', f.csv), deps);

    // Assess
    expect(again.counts.decided).toBe(0);
    expect(again.counts.duplicates).toBe(300);
    expect((await state.stats()).decisions).toBe(before.decisions);
    expect((await state.stats()).alerts).toBe(before.alerts);
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(
      ['tx.2.csv', 'tx.2.receipt.json', 'tx.csv', 'tx.receipt.json'].sort(),
    );
  });

  it('resumes after the last committed batch without deciding a row twice', async () => {
    // Prepare: commit part of the file, as a crash after a few batches would leave it
    const f = scenarioFile(1000, 0);
    const file = await drop('tx.csv', f.csv);
    const partial = { ...deps, batchSize: 100 };
    await crashAfter(file, partial, 3);
    expect((await state.getFile(file.id))?.rowsDone).toBe(300);

    // Act
    const receipt = await processFile(await state.getFile(file.id) ?? file, partial);

    // Assess
    expect(receipt.counts.decided).toBe(1000);
    expect((await state.stats()).decisions).toBe(1000);
  });

  it('fails a file whose header cannot be mapped, with the reason in failed/', async () => {
    // Prepare
    const file = await drop('weird.csv', 'foo,bar\n1,2\n');

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(/no column for timestamp, account_id, amount/);
    const saved = JSON.parse(readFileSync(join(dir, 'failed/weird.receipt.json'), 'utf8'));
    expect(saved.status).toBe('failed');
    expect(readFileSync(join(dir, 'failed/weird.csv'), 'utf8')).toBe('foo,bar\n1,2\n');
    expect((await state.stats()).files.failed).toBe(1);
  });

  it('rejects a row longer than the limit with its row and line, and decides the rest', async () => {
    // Prepare: row 2 (line 3) holds a 1 MiB note
    const rows = [1, 2, 3].map((i) => `L${i},2026-01-01T00:00:0${i}Z,A,,20.00,USD,M,T,US,,,,${i === 2 ? 'n'.repeat(1 << 20) : 'ok'}`);
    const file = await drop('long.csv', `${HEADER},note\n${rows.join('\n')}\n`);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('processed');
    expect(receipt.counts).toMatchObject({ rows: 3, accepted: 2, rejected: 1, decided: 2 });
    expect(receipt.rejections).toEqual([
      { row: 2, line: 3, column: '(row)', reason: 'the row is longer than 65,536 characters, the longest row allowed' },
    ]);
    expect(await state.getTransaction('L2')).toBeUndefined();
    expect(readFileSync(join(dir, 'processed/long.csv'), 'utf8').length).toBeLessThan(100_000);
  });

  it('fails a file whose quoted field is still open at the row limit, with the reason and a cut copy in failed/', async () => {
    // Prepare: one decided row, then a quoted field that never closes, 4 MiB long
    const file = await drop(
      'open.csv',
      `${HEADER},note\nO1,2026-01-01T00:00:00Z,A,,20.00,USD,M,T,US,,,,ok\nO2,2026-01-01T00:00:01Z,A,,20.00,USD,M,T,US,,,,"${'q'.repeat(4 << 20)}`,
    );

    // Act: one row per batch, so the row before the open quote is committed before the file fails
    const receipt = await processFile(file, { ...deps, batchSize: 1 });

    // Assess: what was committed stays counted (a fixed file dropped again decides it once)
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toBe(
      'open.csv: line 3: a quoted field is still open 65,536 characters into its record, the longest record allowed: a closing quote is probably missing',
    );
    expect(receipt.counts).toMatchObject({ rows: 1, accepted: 1, rejected: 0, decided: 1 });
    expect(await state.getTransaction('O1')).toBeDefined();
    const saved = JSON.parse(readFileSync(join(dir, 'failed/open.receipt.json'), 'utf8'));
    expect(saved.error).toBe(receipt.error);
    const copy = readFileSync(join(dir, 'failed/open.csv'), 'utf8');
    expect(copy.length).toBeLessThan(70_000);
    expect(copy).toContain('[… cut: the line is longer than 65,536 characters]');
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
  });

  it('keeps a decision per transaction id across files (explicit ids are idempotent)', async () => {
    // Prepare
    const csv = `${HEADER}\nX1,2026-01-01T00:00:00Z,A,,20000.00,USD,M,T,US,,,\n`;
    await processFile(await drop('a.csv', csv), deps);
    const first = (await state.getTransaction('X1'))?.decision as Decision;

    // Act
    const receipt = await processFile(await drop('b.csv', csv), deps);

    // Assess
    expect(receipt.counts.duplicates).toBe(1);
    expect((await state.getTransaction('X1'))?.decision).toEqual(first);
  });

  describe('with batches committed on a worker thread', () => {
    let commits: SqliteWorkerBatchCommitter;
    beforeEach(() => {
      commits = new SqliteWorkerBatchCommitter({ path: join(dir, 'db.sqlite') });
    });
    afterEach(async () => {
      await commits.close();
    });

    it('stores the same decisions and receipt as committing inline', async () => {
      // Prepare
      const f = scenarioFile(2000, 4);
      const inline = await processFile(await drop('a.csv', f.csv), { ...deps, features: new FeatureWindows() });
      const inlineDecisions = await Promise.all((f.expected.high_value ?? []).map(async (id) => (await state.getTransaction(id))?.decision.reasons));
      const other = new SqliteStateStore({ path: join(dir, 'other.sqlite') });
      const otherCommits = new SqliteWorkerBatchCommitter({ path: join(dir, 'other.sqlite') });
      writeFileSync(join(dir, 'in.tmp'), f.csv);
      await deps.objects.move('in.tmp', 'inbox/b.csv');
      const file = await claimFile('inbox/b.csv', { objects: deps.objects, ledger: other });

      // Act
      const viaWorker = await processFile(file, {
        ...deps,
        decisions: other,
        ledger: other,
        commits: otherCommits,
        maxInFlight: 3,
        features: new FeatureWindows(),
      });
      await otherCommits.close();

      // Assess
      expect({ ...viaWorker.counts }).toEqual({ ...inline.counts });
      expect(viaWorker.rejections).toEqual(inline.rejections);
      expect(await other.stats()).toMatchObject({ decisions: 1996, alerts: inline.counts.alerts });
      expect(await Promise.all((f.expected.high_value ?? []).map(async (id) => (await other.getTransaction(id))?.decision.reasons))).toEqual(inlineDecisions);
      other.close();
    });

    it('counts an id repeated in a batch still being committed as a duplicate', async () => {
      // Prepare: row 300 repeats row 10's id; with 250-row batches, row 10's batch may still be in flight
      const lines = scenarioFile(400, 0).csv.split('\n');
      const id10 = lines[10]?.split(',')[0] as string;
      lines[300] = [id10, ...(lines[300]?.split(',').slice(1) ?? [])].join(',');

      // Act
      const receipt = await processFile(await drop('tx.csv', lines.join('\n')), { ...deps, commits, maxInFlight: 4 });

      // Assess
      expect(receipt.counts).toMatchObject({ rows: 400, decided: 399, duplicates: 1 });
      expect((await state.stats()).decisions).toBe(399);
    });

    it('stops at a batch the worker fails to store, and resumes from the last one stored', async () => {
      // Prepare: the third batch fails in the worker (it repeats a transaction of the first)
      const f = scenarioFile(1000, 0);
      const file = await drop('tx.csv', f.csv);
      let batches = 0;
      let first: DecidedItem | undefined;
      const failing: BatchCommitter = {
        commit: (items, checkpoint) => {
          first ??= items[0];
          return commits.commit(++batches === 3 && first ? [...items, first] : items, checkpoint);
        },
        pending: (id) => commits.pending(id),
        pendingIds: (ids) => commits.pendingIds(ids),
      };
      await expect(processFile(file, { ...deps, batchSize: 100, commits: failing, maxInFlight: 4 })).rejects.toThrow(
        /UNIQUE constraint failed/,
      );
      expect((await state.getFile(file.id))?.rowsDone).toBe(200);
      expect((await state.stats()).decisions).toBe(200);

      // Act: a restart rebuilds the features from what was stored and resumes
      const features = new FeatureWindows();
      for (const tx of state.replay()) features.observe(tx);
      const receipt = await processFile(await state.getFile(file.id) ?? file, { ...deps, batchSize: 100, commits, features });

      // Assess
      expect(receipt.counts).toMatchObject({ rows: 1000, decided: 1000, duplicates: 0 });
      expect((await state.stats()).decisions).toBe(1000);
    });
  });

  describe('a card number in the file name', () => {
    const named = canaries().filter((c) => nameSafe(c.text));
    const pans = named.map((c) => c.pan);

    /** Every name and every byte under the data dir (the inbox is the user's: left out). */
    const artefacts = (): string => {
      const out: string[] = [];
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        const path = join(entry.parentPath, entry.name);
        if (path.startsWith(join(dir, 'inbox'))) continue;
        out.push(path);
        if (entry.isFile()) out.push(readFileSync(path, 'utf8'));
      }
      return out.join('\n');
    };

    it('is masked wherever the name is stored, shown or logged, for processed and failed files', async () => {
      // Prepare
      const lines: string[] = [];
      const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
      const good = `${HEADER}\nN1,2026-01-01T00:00:00Z,A,,20.00,USD,M,T,US,,,\n`;

      for (const [i, c] of named.entries()) {
        // Act
        const file = await drop(`batch_${c.text}.csv`, i % 2 === 0 ? good : 'foo,bar\n1,2\n');
        const receipt = await processFile(file, { ...deps, logger });

        // Assess
        expect(receipt.status, c.shape).toBe(i % 2 === 0 ? 'processed' : 'failed');
        expect(leakedPans(JSON.stringify([file, receipt]), pans), c.shape).toEqual([]);
      }
      state.close();
      expect(leakedPans(artefacts() + lines.join('\n'), pans)).toEqual([]);
      state = new SqliteStateStore({ path: join(dir, 'db.sqlite') });
    });

    it('leaves an ordinary name, and the transaction ids derived from it, as they were', async () => {
      // Act
      const file = await drop('day 1 (copy).csv', `${HEADER}\n,2026-01-01T00:00:00Z,A,,20.00,USD,M,T,US,,,\n`);
      await processFile(file, deps);

      // Assess
      expect(file.name).toBe('day 1 (copy).csv');
      expect(await state.getTransaction(deriveTransactionId('day 1 (copy).csv', 1))).toBeDefined();
    });

    it('finds the raw file in the inbox again when a crash came between registering and moving it', async () => {
      // Prepare: registered under its masked name, still in the inbox under its own
      const c = named[0] as (typeof named)[number];
      const raw = `batch_${c.text}.csv`;
      writeFileSync(join(dir, 'in.tmp'), `${HEADER}\n`);
      await deps.objects.move('in.tmp', `inbox/${raw}`);
      const file = await state.beginFile(maskFileName(raw));

      // Act
      const key = await claimedInboxKey(file, deps.objects);

      // Assess
      expect(key).toBe(`inbox/${raw}`);
      expect(await claimedInboxKey(await state.beginFile('absent.csv'), deps.objects)).toBeUndefined();
    });
  });
});
