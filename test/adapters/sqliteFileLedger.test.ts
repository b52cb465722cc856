import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { tempDir } from '../helpers/fixtures.js';

describe('SqliteStateStore file ledger', () => {
  it('registers a file whole or not at all when it dies between its two writes', async () => {
    // Prepare: a database whose work-key write fails, as a process killed after the insert would leave it
    const t = tempDir();
    const path = join(t.dir, 'fraudmini.db');
    new SqliteStateStore({ path }).close();
    const db = new Database(path);
    db.exec(`CREATE TRIGGER die_before_work_key BEFORE UPDATE OF work_key ON files BEGIN SELECT RAISE(ABORT, 'killed'); END`);
    db.close();
    const store = new SqliteStateStore({ path });
    try {
      // Act
      await expect(store.beginFile('tx.csv')).rejects.toThrow('killed');

      // Assess: no entry without a work key (a restart would take the data dir itself for the file)
      expect(await store.unfinishedFiles()).toEqual([]);
    } finally {
      store.close();
      t.cleanup();
    }
  });

  it('gives each registered file its own work key under processing/', async () => {
    // Prepare
    const t = tempDir();
    const store = new SqliteStateStore({ path: join(t.dir, 'fraudmini.db') });
    try {
      // Act
      const a = await store.beginFile('tx.csv');
      const b = await store.beginFile('tx.csv');

      // Assess
      expect(a.workKey).toBe(`processing/${a.id}-tx.csv`);
      expect(b.workKey).toBe(`processing/${b.id}-tx.csv`);
      expect((await store.unfinishedFiles()).map((f) => f.workKey)).toEqual([a.workKey, b.workKey]);
    } finally {
      store.close();
      t.cleanup();
    }
  });
});
