import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { claimFile, type FileProcessorDeps, processFile } from '../../src/app/processFile.js';
import { silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

/** A one-row file whose transaction id says which file it is. */
const csvOf = (id: string): string => `transaction_id,timestamp,account_id,amount\n${id},2026-01-01T00:00:00Z,A1,10.00\n`;

describe('processFile output names', () => {
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
      logger: silentLogger,
    };
  });

  afterEach(() => {
    state.close();
    cleanup();
  });

  const runFile = async (name: string, csv: string) => {
    writeFileSync(join(dir, 'in.tmp'), csv);
    await deps.objects.move('in.tmp', `inbox/${name}`);
    const file = await claimFile(`inbox/${name}`, deps);
    await processFile(file, deps);
    return file;
  };

  /** Every receipt in `folder`: which file id it belongs to, and the copy that sits beside it. */
  const results = (folder: string): { fileId: number; copy: string }[] =>
    readdirSync(join(dir, folder))
      .filter((n) => n.endsWith('.receipt.json'))
      .map((n) => {
        const receipt = JSON.parse(readFileSync(join(dir, folder, n), 'utf8')) as { file_id: number };
        const copy = readFileSync(join(dir, folder, n.replace(/\.receipt\.json$/, '.csv')), 'utf8');
        return { fileId: receipt.file_id, copy };
      });

  it('never overwrites a result: coll.csv, then coll.<next id>.csv, then coll.csv again', async () => {
    // Prepare: the second file is named as the third one's suffixed output would be
    const first = await runFile('coll.csv', csvOf('FIRST'));
    const thirdId = first.id + 2;

    // Act
    const second = await runFile(`coll.${thirdId}.csv`, csvOf('SECOND'));
    const third = await runFile('coll.csv', csvOf('THIRD'));

    // Assess: three receipts, each beside the copy of its own file
    expect(third.id).toBe(thirdId);
    const found = results('processed').sort((a, b) => a.fileId - b.fileId);
    expect(found.map((r) => r.fileId)).toEqual([first.id, second.id, third.id]);
    expect(found.map((r) => r.copy.split('\n')[1]?.split(',')[0])).toEqual(['FIRST', 'SECOND', 'THIRD']);
    expect(readdirSync(join(dir, 'processed'))).toHaveLength(6);
  });

  it('never overwrites a failed file’s result either', async () => {
    // Prepare: files whose header cannot be mapped go to failed/
    const bad = (tag: string) => `nothing,useful\n${tag},1\n`;
    const first = await runFile('bad.csv', bad('FIRST'));
    const thirdId = first.id + 2;

    // Act
    await runFile(`bad.${thirdId}.csv`, bad('SECOND'));
    await runFile('bad.csv', bad('THIRD'));

    // Assess
    const copies = results('failed').map((r) => r.copy.split('\n')[1]?.split(',')[0]);
    expect(copies.sort()).toEqual(['FIRST', 'SECOND', 'THIRD']);
  });

  it('keeps the names it chose when finishing is run again after a crash', async () => {
    // Prepare: a file finished, then marked unfinished again as a crash before the ledger update leaves it
    const first = await runFile('again.csv', csvOf('ONE'));
    const second = await runFile('again.csv', csvOf('TWO'));
    const before = readdirSync(join(dir, 'processed')).sort();
    await state.setStatus(second.id, 'finalizing');

    // Act
    await processFile(await state.getFile(second.id) ?? second, deps);

    // Assess
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(before);
    expect(results('processed').map((r) => r.fileId).sort()).toEqual([first.id, second.id]);
  });

  it('treats a receipt name held by something it will not read (a link) as taken', async () => {
    // Prepare
    mkdirSync(join(dir, 'processed'));
    writeFileSync(join(dir, 'elsewhere.json'), '{"file_id": 1}');
    symlinkSync('../elsewhere.json', join(dir, 'processed', 'linked.receipt.json'));

    // Act
    const file = await runFile('linked.csv', csvOf('ONE'));

    // Assess
    expect(readdirSync(join(dir, 'processed')).sort()).toEqual(
      [`linked.${file.id}.csv`, `linked.${file.id}.receipt.json`, 'linked.receipt.json'].sort(),
    );
    expect(readlinkSync(join(dir, 'processed', 'linked.receipt.json'))).toBe('../elsewhere.json');
  });
});
