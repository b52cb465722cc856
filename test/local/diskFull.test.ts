import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRulesSource } from '../../src/adapters/local/FileRulesSource.js';
import { FolderObjectStore } from '../../src/adapters/local/FolderObjectStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { loadConfig } from '../../src/config.js';
import { FeatureWindows } from '../../src/core/features.js';
import { createPanTokenizer } from '../../src/core/pan.js';
import { BUNDLED_RULES, createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import { claimFile, processFile } from '../../src/app/processFile.js';
import { type Logger, silentLogger } from '../../src/ports/Logger.js';
import type { Receipt } from '../../src/core/receipt.js';
import { tempDir } from '../helpers/fixtures.js';

/**
 * A data dir whose free space the test takes away and gives back. On Linux as root it is a small
 * tmpfs filled to the last page, so every writer (SQLite, the object store, the alert log) meets
 * a real ENOSPC; elsewhere the object store fails its writes with ENOSPC and SQLite refuses every
 * write the runtime makes, as a full disk would.
 */
interface Disk {
  kind: 'tmpfs' | 'injected';
  dir: string;
  /** The object store to run on (the injected disk's fails while the disk is full). */
  objects: FolderObjectStore;
  fill(): void;
  free(): void;
  close(): void;
}

function tmpfsDisk(): Disk | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  const t = tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', t.dir], { stdio: 'ignore' });
  } catch {
    t.cleanup();
    return undefined;
  }
  const filler = join(t.dir, 'filler');
  return {
    kind: 'tmpfs',
    dir: t.dir,
    objects: new FolderObjectStore({ root: t.dir }),
    fill() {
      const fd = openSync(filler, 'a');
      try {
        for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
          const chunk = Buffer.alloc(size);
          try {
            for (;;) writeSync(fd, chunk);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free: () => rmSync(filler, { force: true }),
    close() {
      execFileSync('umount', ['-l', t.dir], { stdio: 'ignore' });
      t.cleanup();
    },
  };
}

/** An object store whose writes fail with ENOSPC while `full`. */
class FullableObjectStore extends FolderObjectStore {
  full = false;
  override async write(key: string, body: string | AsyncIterable<string | Uint8Array>): Promise<void> {
    if (this.full) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${key}'`), { code: 'ENOSPC' });
    }
    return super.write(key, body);
  }
}

function injectedDisk(): Disk {
  const t = tempDir();
  const objects = new FullableObjectStore({ root: t.dir });
  const db = (sql: string) => {
    const conn = new Database(join(t.dir, 'fraudmini.db'));
    try {
      conn.exec(sql);
    } finally {
      conn.close();
    }
  };
  const refused = ['INSERT ON files', 'UPDATE ON files', 'INSERT ON transactions', 'INSERT ON rejections'];
  return {
    kind: 'injected',
    dir: t.dir,
    objects,
    fill() {
      objects.full = true;
      db(
        refused
          .map((on, i) => `CREATE TRIGGER full${i} BEFORE ${on} BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`)
          .join('\n'),
      );
    },
    free() {
      db(refused.map((_, i) => `DROP TRIGGER IF EXISTS full${i};`).join('\n'));
      objects.full = false;
    },
    close: t.cleanup,
  };
}

/**
 * The disk this machine can give: a real full tmpfs where it may mount one (the injected disk
 * otherwise, or with FRAUDMINI_TEST_DISK=injected).
 */
function makeDisk(): Disk {
  return (process.env.FRAUDMINI_TEST_DISK === 'injected' ? undefined : tmpfsDisk()) ?? injectedDisk();
}
const probe = makeDisk();
const KIND = probe.kind;
probe.close();

/** A file of `rows` rows, every 17th invalid; transaction ids are `<prefix><row>`. */
function inputFile(prefix: string, rows: number): string {
  const lines = ['transaction_id,timestamp,account_id,amount'];
  for (let r = 1; r <= rows; r++) {
    const ts = new Date(Date.UTC(2026, 0, 1) + r * 7000).toISOString();
    lines.push(`${prefix}${r},${ts},A${r % 7},${r % 17 === 0 ? 'abc' : `${(r % 90) + 1}.25`}`);
  }
  return `${lines.join('\n')}\n`;
}

async function eventually(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(`disk full (${KIND})`, () => {
  let disk: Disk | undefined;
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    disk?.free();
    await wiring?.runtime.stop().catch(() => undefined);
    wiring = undefined;
    disk?.close();
    disk = undefined;
  });

  it('loses no row while writes fail with ENOSPC, and the inbox resumes once space returns', async () => {
    // Prepare: a runtime on the disk; the input files wait in the inbox under ignored dot-names
    disk = makeDisk();
    const { dir } = disk;
    const lines: string[] = [];
    const keep = (m: string) => lines.push(m);
    const logger: Logger = { info: keep, warn: keep, error: keep };
    const receipts: Receipt[] = [];
    wiring = createLocalRuntime(loadConfig({}, { dataDir: dir, port: 0, pollMs: 20, batchSize: 40 }), {
      logger,
      objects: disk.objects,
      alertOut: { write: () => true } as unknown as NodeJS.WritableStream,
      onReceipt: (r) => receipts.push(r),
    });
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });
    const prefixes: Record<string, string> = { 'big.csv': 'G', 'a.csv': 'A', 'b.csv': 'B' };
    const files = { 'big.csv': inputFile('G', 20_000), 'a.csv': inputFile('A', 400), 'b.csv': inputFile('B', 250) };
    for (const [name, csv] of Object.entries(files)) writeFileSync(join(dir, 'inbox', `.${name}`), csv);
    writeFileSync(join(dir, 'inbox', '.bad.csv'), 'no,header,we,know\n1,2,3,4\n');
    const arrive = (name: string) => renameSync(join(dir, 'inbox', `.${name}`), join(dir, 'inbox', name));
    // Failures of the file work (a retry that fails again counts twice), not of API requests.
    const failures = () => lines.filter((l) => /(stopped|could not take).*(ENOSPC|disk is full)/i.test(l)).length;
    const post = (id: string) =>
      wiring?.server.inject({
        method: 'POST',
        url: '/transactions',
        payload: { transaction_id: id, timestamp: '2026-02-01T00:00:00Z', account_id: 'A1', amount: '5.00' },
      });

    // Act: the disk fills while the runtime is idle, and files arrive (a rename needs no space):
    // taking them fails. Space returns; while the big file is processed the disk fills again.
    disk.fill();
    for (const name of ['a.csv', 'b.csv', 'bad.csv', 'big.csv']) arrive(name);
    const duringFull = await post('POST-FULL');
    await eventually(() => lines.filter((l) => l.startsWith('inbox: could not take a.csv')).length >= 2, 'a failed retry');
    const whileIdle = failures();
    disk.free();
    await eventually(() => lines.some((l) => l.startsWith('big.csv: processing')), 'the big file to start');
    disk.fill();
    await eventually(() => failures() > whileIdle || receipts.length === 4, 'a failure in the big file');
    disk.free();
    await eventually(() => receipts.length === 4, 'the four receipts');
    const retried = await post('POST-FULL');
    const after = await post('POST-AFTER');
    await wiring.runtime.stop();
    wiring = undefined;

    // Assess: every row of each file is one decision or one rejection, each file has one result
    expect([201, 500]).toContain(duringFull?.statusCode);
    expect(retried?.statusCode).toBe(duringFull?.statusCode === 201 ? 200 : 201);
    expect(after?.statusCode).toBe(201);
    const db = new Database(join(dir, 'fraudmini.db'), { readonly: true });
    try {
      for (const [name, csv] of Object.entries(files)) {
        const rows = csv.trimEnd().split('\n').length - 1;
        const file = db.prepare(`SELECT id, status FROM files WHERE name = ?`).all(name) as { id: number; status: string }[];
        expect(file.map((f) => f.status), name).toEqual(['processed']);
        const rejected = new Set(
          (db.prepare('SELECT row FROM rejections WHERE file_id = ?').pluck().all(file[0]?.id) as number[]),
        );
        const prefix = prefixes[name] ?? '';
        const decided = new Set(
          db.prepare('SELECT transaction_id FROM transactions WHERE transaction_id LIKE ?').pluck().all(`${prefix}%`) as string[],
        );
        for (let r = 1; r <= rows; r++) {
          expect(decided.has(`${prefix}${r}`) !== rejected.has(r), `${name} row ${r}`).toBe(true);
        }
        expect(decided.size + rejected.size).toBe(rows);
        const receipt = receipts.find((x) => x.file === name);
        expect(receipt?.counts.rows).toBe(rows);
        expect(receipt?.counts.accepted).toBe(decided.size);
        expect(receipt?.counts.rejected).toBe(rejected.size);
      }
      expect(db.prepare(`SELECT status FROM files WHERE name = 'bad.csv'`).pluck().all()).toEqual(['failed']);
    } finally {
      db.close();
    }
    expect(JSON.parse(readFileSync(join(dir, 'failed', 'bad.receipt.json'), 'utf8')).status).toBe('failed');
    for (const name of Object.keys(files)) {
      expect(existsSync(join(dir, 'processed', name.replace(/\.csv$/, '.receipt.json'))), name).toBe(true);
    }
    expect(readdirSync(join(dir, 'inbox'))).toEqual([]);
    expect(readdirSync(join(dir, 'processing'))).toEqual([]);
    for (const folder of ['processed', 'failed']) {
      expect(readdirSync(join(dir, folder)).filter((n) => n.startsWith('.')), folder).toEqual([]);
    }
  });

  it('finishes a failed file once its receipt can be written: it is not marked failed before', async () => {
    // Prepare: a file whose header cannot be mapped, and no space for its results
    const t = tempDir();
    const state = new SqliteStateStore({ path: join(t.dir, 'db.sqlite') });
    const objects = new FullableObjectStore({ root: t.dir });
    const rules = new FileRulesSource(BUNDLED_RULES, silentLogger);
    const deps = {
      objects,
      decisions: state,
      ledger: state,
      commits: state,
      features: new FeatureWindows(),
      rules: () => rules.current(),
      tokenizer: createPanTokenizer('test-key-0123456789abcdef'),
      logger: silentLogger,
    };
    try {
      writeFileSync(join(t.dir, 'in.tmp'), 'no,header,we,know\n1,2,3,4\n');
      await objects.move('in.tmp', 'inbox/bad.csv');
      const file = await claimFile('inbox/bad.csv', deps);
      objects.full = true;

      // Act: the first attempt cannot write; the runtime's next pass resumes the unfinished files
      const first = await processFile(file, deps).then(
        () => 'finished',
        (e: unknown) => (e as NodeJS.ErrnoException).code,
      );
      objects.full = false;
      const resumed = await state.unfinishedFiles();
      const receipt = resumed[0] ? await processFile(resumed[0], deps) : undefined;

      // Assess
      expect(first).toBe('ENOSPC');
      expect(resumed.map((f) => f.id)).toEqual([file.id]);
      expect(receipt?.status).toBe('failed');
      expect(receipt?.error).toMatch(/header has no column/);
      expect(JSON.parse(readFileSync(join(t.dir, 'failed', 'bad.receipt.json'), 'utf8')).status).toBe('failed');
      expect(readdirSync(join(t.dir, 'processing'))).toEqual([]);
      expect((await state.getFile(file.id))?.status).toBe('failed');
    } finally {
      state.close();
      t.cleanup();
    }
  });
});
