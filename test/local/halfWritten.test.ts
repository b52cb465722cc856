import { closeSync, existsSync, ftruncateSync, openSync, readdirSync, readFileSync, renameSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { loadConfig } from '../../src/config.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES, createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { claimFile, type FileProcessorDeps, processFile } from '../../src/app/processFile.js';
import type { Receipt } from '../../src/core/receipt.js';
import type { FileRecord } from '../../src/ports/FileLedger.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

const HEAD = 'transaction_id,timestamp,account_id,amount\n';
const row = (i: number, amount = '10.00'): string => `T${i},2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z,A${i},${amount}\n`;
const rows = (from: number, to: number): string => Array.from({ length: to - from + 1 }, (_, k) => row(from + k)).join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The names in a folder; none when it was never created. */
const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

/**
 * A folder store that runs `beforeCheck` once, when the raw file's version is first asked for
 * (before any result is written), and `before` once, just before the masked copy is moved into
 * `processed/` (after the receipt was written, before the raw file is removed).
 */
class FinishHookStore extends FolderObjectStore {
  before: (() => void) | undefined;
  beforeCheck: (() => void) | undefined;
  override async version(key: string) {
    const hook = this.beforeCheck;
    this.beforeCheck = undefined;
    hook?.();
    return super.version(key);
  }
  override async move(from: string, to: string): Promise<void> {
    if (from.endsWith('.masked') && this.before) {
      const hook = this.before;
      this.before = undefined;
      hook();
    }
    return super.move(from, to);
  }
}

describe('half-written and changing inbox files', async () => {
  let cleanup = () => {};
  let state: SqliteStateStore | undefined;
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    state?.close();
    state = undefined;
    cleanup();
  });

  function setup(settleMs = 2000): { dir: string; deps: FileProcessorDeps & { objects: FinishHookStore } } {
    const t = tempDir();
    cleanup = t.cleanup;
    state = new SqliteStateStore({ path: join(t.dir, 'db.sqlite') });
    const rules = new FileRulesSource(BUNDLED_RULES, silentLogger);
    return {
      dir: t.dir,
      deps: {
        objects: new FinishHookStore({ root: t.dir }),
        decisions: state,
        ledger: state,
        commits: state,
        features: new FeatureWindows(),
        rules: () => rules.current(),
        tokenizer: createPanTokenizer('test-key-0123456789abcdef'),
        batchSize: 2,
        settleMs,
        logger: silentLogger,
      },
    };
  }

  /** Puts `csv` in the inbox and claims it; returns the file and the path of its raw copy. */
  async function claimed(dir: string, deps: FileProcessorDeps, csv: string): Promise<{ file: FileRecord; raw: string }> {
    writeFileSync(join(dir, 'in.tmp'), csv);
    await deps.objects.move('in.tmp', 'inbox/tx.csv');
    const file = await claimFile('inbox/tx.csv', deps);
    return { file, raw: join(dir, ...file.workKey.split('/')) };
  }

  /** Appends to a file through a descriptor of its own, as a writer that keeps the file open does. */
  function append(path: string, text: string): void {
    const fd = openSync(path, 'a');
    writeSync(fd, text);
    closeSync(fd);
  }

  const amountOf = async (id: string): Promise<number | undefined> => (await state?.getTransaction(id))?.transaction.amount;

  it('inbox: a writer that pauses mid-line gets its whole line and every row after it stored', async () => {
    // Prepare: a runtime polling every 20 ms, and a writer that keeps its file open
    const t = tempDir();
    cleanup = t.cleanup;
    let received!: (r: Receipt) => void;
    const receipt = new Promise<Receipt>((r) => (received = r));
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0, pollMs: 20 }), {
      logger: silentLogger,
      onReceipt: (r) => received(r),
    });
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });
    const fd = openSync(join(t.dir, 'inbox', 'slow.csv'), 'w');

    // Act: the amount 12500.00 is cut after "12", the writer pauses, then finishes the file
    writeSync(fd, `${HEAD}${rows(1, 3)}T4,2026-01-01T00:00:04Z,A4,12`);
    await sleep(400);
    writeSync(fd, `500.00\n${rows(5, 6)}`);
    closeSync(fd);
    const r = await receipt;

    // Assess
    expect(r.status).toBe('processed');
    expect(r.counts.rows).toBe(6);
    state = new SqliteStateStore({ path: join(t.dir, 'fraudmini.db') });
    expect(await amountOf('T4')).toBe(12500);
    expect(await amountOf('T6')).toBe(10);
  });

  it('read: an unterminated last line is not a row until the file has held still', async () => {
    // Prepare
    const { dir, deps } = setup(2000);
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 3)}T4,2026-01-01T00:00:04Z,A4,12`);

    // Act: the rest of the line comes while the file is read
    const done = processFile(file, deps);
    await sleep(150);
    append(raw, `500.00\n${row(5)}`);
    const receipt = await done;

    // Assess
    expect(receipt.status).toBe('processed');
    expect(receipt.counts.rows).toBe(5);
    expect(await amountOf('T4')).toBe(12500);
    expect(await amountOf('T5')).toBe(10);
  });

  it('read: rows appended while the file is read are read too', async () => {
    // Prepare: batches of two rows; rows are appended once the first batch is stored
    const { dir, deps } = setup();
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 4)}`);
    let appended = false;

    // Act
    const receipt = await processFile(file, {
      ...deps,
      onProgress: () => {
        if (appended) return;
        appended = true;
        append(raw, rows(5, 9));
      },
    });

    // Assess
    expect(receipt.status).toBe('processed');
    expect(receipt.counts.rows).toBe(9);
    expect(receipt.counts.decided).toBe(9);
    for (let i = 1; i <= 9; i++) expect(await amountOf(`T${i}`), `T${i}`).toBe(10);
  });

  it('finish: rows appended after the read, before the raw file is removed, are processed and in the copy', async () => {
    // Prepare
    const { dir, deps } = setup();
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 4)}`);
    deps.objects.before = () => append(raw, rows(5, 7));

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('processed');
    expect(receipt.counts.rows).toBe(7);
    for (let i = 1; i <= 7; i++) expect(await amountOf(`T${i}`), `T${i}`).toBe(10);
    const copy = readFileSync(join(dir, 'processed', 'tx.csv'), 'utf8');
    expect(copy.trimEnd().split('\n')).toHaveLength(8);
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(['tx.csv', 'tx.receipt.json']);
  });

  it.each(['beforeCheck', 'before'] as const)('finish (%s): a file that grew after its unterminated last line was taken as a row fails, saying which row', async (when) => {
    // Prepare: the file held still for longer than the settle period, so its last line was a row
    const { dir, deps } = setup(50);
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 3)}T4,2026-01-01T00:00:04Z,A4,12`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(raw, old, old);
    deps.objects[when] = () => append(raw, `500.00\n${row(5)}`);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(/grew .*row 4/);
    expect(receipt.counts.rows).toBe(4);
    expect(list(join(dir, 'processed'))).toEqual([]);
    expect(list(join(dir, 'processing'))).toEqual([]);
    const failed = readFileSync(join(dir, 'failed', 'tx.csv'), 'utf8');
    expect(failed).toContain('T5');
  });

  it('read: a file cut short while it is read fails with a receipt that says so', async () => {
    // Prepare
    const { dir, deps } = setup();
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 20)}`);
    let cut = false;

    // Act
    const receipt = await processFile(file, {
      ...deps,
      objects: deps.objects,
      onProgress: () => {
        if (cut) return;
        cut = true;
        const fd = openSync(raw, 'r+');
        ftruncateSync(fd, HEAD.length);
        closeSync(fd);
      },
    });

    // Assess
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(/shrank|cut short/);
  });

  it('finish: a raw file replaced by another before it is removed fails with a receipt that says so', async () => {
    // Prepare
    const { dir, deps } = setup();
    const { file, raw } = await claimed(dir, deps, `${HEAD}${rows(1, 4)}`);
    deps.objects.before = () => {
      writeFileSync(join(dir, 'other.tmp'), `${HEAD}${rows(11, 19)}`);
      renameSync(join(dir, 'other.tmp'), raw);
    };

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(/replaced/);
    expect(list(join(dir, 'processed'))).toEqual([]);
    expect(list(join(dir, 'processing'))).toEqual([]);
  });
});
