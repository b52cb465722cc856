import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { loadConfig } from '../../src/config.js';
import { createLocalRuntime, type LocalWiring } from '../../src/local/wiring.js';
import type { Logger } from '../../src/ports/Logger.js';
import type { Receipt } from '../../src/core/receipt.js';
import { tempDir } from '../helpers/fixtures.js';

const csvOf = (id: string): string => `transaction_id,timestamp,account_id,amount\n${id},2026-01-01T00:00:00Z,A1,10.00\n`;

/** Resolves once `check` holds, polling; rejects after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Registering a file can fail (a full disk, a locked database). The file must not stay in the
// inbox until the next restart: it is tried again, and a new file of the same name is taken too.
describe('local runtime: a file whose registration fails', () => {
  let cleanup = () => {};
  let wiring: LocalWiring | undefined;

  afterEach(async () => {
    await wiring?.runtime.stop();
    wiring = undefined;
    cleanup();
  });

  /** A runtime whose ledger refuses to register `stuck.csv` (a real SQLite failure) until `allow()`. */
  async function setup(): Promise<{ dir: string; lines: string[]; receipts: Receipt[]; allow: () => void }> {
    const t = tempDir();
    cleanup = t.cleanup;
    const lines: string[] = [];
    const keep = (m: string) => lines.push(m);
    const logger: Logger = { info: keep, warn: keep, error: keep };
    const receipts: Receipt[] = [];
    wiring = createLocalRuntime(loadConfig({}, { dataDir: t.dir, port: 0, pollMs: 20 }), {
      logger,
      onReceipt: (r) => receipts.push(r),
    });
    const db = new Database(join(t.dir, 'fraudmini.db'));
    db.exec(`CREATE TRIGGER refuse BEFORE INSERT ON files WHEN NEW.name = 'stuck.csv'
             BEGIN SELECT RAISE(ABORT, 'database or disk is full (staged)'); END`);
    db.close();
    await wiring.runtime.start({ host: '127.0.0.1', port: 0 });
    const allow = () => {
      const again = new Database(join(t.dir, 'fraudmini.db'));
      again.exec('DROP TRIGGER refuse');
      again.close();
    };
    return { dir: t.dir, lines, receipts, allow };
  }

  const stored = async (dir: string, id: string): Promise<boolean> => {
    const state = new SqliteStateStore({ path: join(dir, 'fraudmini.db') });
    try {
      return (await state.getTransaction(id)) !== undefined;
    } finally {
      state.close();
    }
  };

  it('is tried again after the failure, and processed once registering works', async () => {
    // Prepare
    const { dir, lines, receipts, allow } = await setup();

    // Act: the first attempt fails; then the database accepts it again
    writeFileSync(join(dir, 'inbox', 'stuck.csv'), csvOf('STUCK1'));
    await eventually(() => lines.some((l) => l.includes('disk is full')), 'the failure');
    allow();
    await eventually(() => receipts.length > 0, 'the receipt');

    // Assess
    expect(receipts.map((r) => [r.file, r.status])).toEqual([['stuck.csv', 'processed']]);
    expect(await stored(dir, 'STUCK1')).toBe(true);
  });

  it('picks up a fresh file of the same name put in place of the one that failed', async () => {
    // Prepare
    const { dir, lines, receipts, allow } = await setup();
    writeFileSync(join(dir, 'inbox', 'stuck.csv'), csvOf('OLD1'));
    await eventually(() => lines.some((l) => l.includes('disk is full')), 'the failure');

    // Act: the user replaces the file, then the database recovers
    rmSync(join(dir, 'inbox', 'stuck.csv'));
    writeFileSync(join(dir, 'inbox', 'stuck.csv'), csvOf('FRESH1'));
    allow();
    await eventually(() => receipts.length > 0, 'the receipt');

    // Assess
    expect(receipts.map((r) => r.file)).toEqual(['stuck.csv']);
    expect(await stored(dir, 'FRESH1')).toBe(true);
    expect(await stored(dir, 'OLD1')).toBe(false);
  });

  it('does not hold up the files behind it', async () => {
    // Prepare
    const { dir, lines, receipts, allow } = await setup();
    writeFileSync(join(dir, 'inbox', 'stuck.csv'), csvOf('STUCK1'));
    await eventually(() => lines.some((l) => l.includes('disk is full')), 'the failure');

    // Act
    writeFileSync(join(dir, 'inbox', 'other.csv'), csvOf('OTHER1'));
    await eventually(() => receipts.length > 0, 'a receipt');
    const first = receipts.map((r) => r.file);
    allow();
    await eventually(() => receipts.length > 1, 'the second receipt');

    // Assess
    expect(first).toEqual(['other.csv']);
    expect(receipts.map((r) => r.file)).toEqual(['other.csv', 'stuck.csv']);
  });
});
