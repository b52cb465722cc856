import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { type Logger, silentLogger } from '../../src/ports/Logger.js';
import { tempDir } from '../helpers/fixtures.js';

/** A valid file outside the inbox: if it were ever read, SECRET would be stored as a transaction. */
const SECRET_CSV = 'transaction_id,timestamp,account_id,amount\nSECRET1,2026-01-01T00:00:00Z,A1,10.00\n';
const GOOD_CSV = 'transaction_id,timestamp,account_id,amount\nGOOD1,2026-01-01T00:00:00Z,A1,10.00\n';

/** Every file under `dir` (recursively) that mentions `needle`. */
function filesMentioning(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (readFileSync(path).includes(needle)) hits.push(path);
  }
  return hits;
}

describe('inbox safety: only regular files of the inbox are read', () => {
  let cleanup = () => {};
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    cleanup();
  });

  it('skips symlinks, hard links and FIFOs, says so once each, and reads none of them', async () => {
    // Prepare: links to a secret CSV, to the token key and to a system file, a FIFO, and a good file
    const t = tempDir();
    cleanup = t.cleanup;
    const lines: string[] = [];
    const keep = (m: string) => lines.push(m);
    const logger: Logger = { info: keep, warn: keep, error: keep };
    let received!: () => void;
    const good = new Promise<void>((r) => (received = r));
    const receipts: string[] = [];
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0, pollMs: 20 }), {
      logger,
      onReceipt: (r) => {
        receipts.push(r.file);
        if (r.file === 'zz-good.csv') received();
      },
    });
    const inbox = join(t.dir, 'inbox');
    writeFileSync(join(t.dir, 'secret.csv'), SECRET_CSV);
    symlinkSync('../secret.csv', join(inbox, 'evil.csv'));
    symlinkSync('../token.key', join(inbox, 'key.csv'));
    symlinkSync('/etc/hostname', join(inbox, 'host.csv'));
    linkSync(join(t.dir, 'secret.csv'), join(inbox, 'hard.csv'));
    execFileSync('mkfifo', [join(inbox, 'fifo.csv')]);
    const token = readFileSync(join(t.dir, 'token.key'), 'utf8').trim();

    // Act: the good file sorts last, so the others were all seen first
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });
    writeFileSync(join(inbox, 'zz-good.csv'), GOOD_CSV);
    await good;
    await new Promise((r) => setTimeout(r, 200));

    // Assess: nothing but the good file was processed, nothing secret is anywhere
    expect(receipts).toEqual(['zz-good.csv']);
    const db = new SqliteStateStore({ path: join(t.dir, 'fraudmini.db') });
    expect(await db.getTransaction('SECRET1')).toBeUndefined();
    expect(await db.getTransaction('GOOD1')).toBeDefined();
    db.close();
    for (const folder of ['processed', 'failed', 'processing']) {
      expect(filesMentioning(join(t.dir, folder), 'SECRET')).toEqual([]);
      expect(filesMentioning(join(t.dir, folder), token)).toEqual([]);
    }
    expect(lines.join('\n')).not.toContain(token);
    for (const [name, why] of [
      ['evil.csv', 'a symbolic link'],
      ['key.csv', 'a symbolic link'],
      ['host.csv', 'a symbolic link'],
      ['hard.csv', 'hard links'],
      ['fifo.csv', 'a FIFO'],
    ] as const) {
      const about = lines.filter((l) => l.includes(name));
      expect(about, name).toHaveLength(1);
      expect(about[0], name).toContain(why);
      expect(existsSync(join(inbox, name)), name).toBe(true);
    }
  });
});

describe('processFile: a raw file swapped after it was claimed', () => {
  let cleanup = () => {};
  let state: SqliteStateStore | undefined;
  afterEach(() => {
    state?.close();
    cleanup();
  });

  function setup(): { dir: string; deps: FileProcessorDeps } {
    const t = tempDir();
    cleanup = t.cleanup;
    state = new SqliteStateStore({ path: join(t.dir, 'db.sqlite') });
    const rules = new FileRulesSource(BUNDLED_RULES, silentLogger);
    writeFileSync(join(t.dir, 'secret.csv'), SECRET_CSV);
    return {
      dir: t.dir,
      deps: {
        objects: new FolderObjectStore({ root: t.dir }),
        decisions: state,
        ledger: state,
        commits: state,
        features: new FeatureWindows(),
        rules: () => rules.current(),
        tokenizer: createPanTokenizer('test-key-0123456789abcdef'),
        logger: silentLogger,
      },
    };
  }

  it.each([
    ['a symlink', (secret: string, at: string) => symlinkSync(secret, at), /symbolic link/],
    ['a hard link', (secret: string, at: string) => linkSync(secret, at), /hard links/],
  ])('fails the file when the raw file became %s, without reading it', async (_what, swap, reason) => {
    // Prepare: the check on the path passed; the raw file is replaced before it is opened
    const { dir, deps } = setup();
    writeFileSync(join(dir, 'in.tmp'), GOOD_CSV);
    await deps.objects.move('in.tmp', 'inbox/swap.csv');
    const file = await claimFile('inbox/swap.csv', deps);
    const raw = join(dir, ...file.workKey.split('/'));
    renameSync(raw, join(dir, 'aside.tmp'));
    swap(join(dir, 'secret.csv'), raw);

    // Act
    const receipt = await processFile(file, deps);

    // Assess
    expect(receipt.status).toBe('failed');
    expect(receipt.error).toMatch(reason);
    expect(await state?.getTransaction('SECRET1')).toBeUndefined();
    expect(filesMentioning(join(dir, 'failed'), 'SECRET')).toEqual([]);
    expect(readFileSync(join(dir, 'secret.csv'), 'utf8')).toBe(SECRET_CSV);
    expect(existsSync(raw)).toBe(false);
  });
});
