import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import type { DecidedItem } from '../../src/core/records.js';
import { tempDir } from '../helpers/fixtures.js';
import { makeDecision, makeTx, T0 } from '../helpers/transactions.js';

/** One decided transaction, as one API request commits it. */
function decided(n: number): DecidedItem {
  const transactionId = `C${String(n).padStart(6, '0')}`;
  const decision = makeDecision({ transaction_id: transactionId, decided_at: new Date(T0 + n * 1000).toISOString() });
  return { transaction: makeTx({ transactionId, timestamp: T0 + n * 1000, accountId: `A${n % 13}` }), decision };
}

/** Frames in the WAL file's longest use so far (the file is reused from the top, never shrunk). */
function walFrames(path: string): number {
  const size = statSync(`${path}-wal`).size;
  return Math.max(0, (size - 32) / (4096 + 24));
}

describe('SqliteStateStore with a checkpoint thread', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  const open = (checkpointThread: ConstructorParameters<typeof SqliteStateStore>[0]['checkpointThread']) => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const path = join(t.dir, 'state.db');
    return { path, store: new SqliteStateStore({ path, checkpointThread }) };
  };

  it('keeps the WAL bounded while the writer never checkpoints inside a commit', async () => {
    // Prepare: passes every 10 commits, the WAL started over past 200 frames
    const { path, store } = open({ commitsPerPass: 10, restartFrames: 200 });
    const thread = store.checkpointThread;
    expect(thread).toBeDefined();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // Act: 1,500 single-request commits (about 5 frames each: 7,500 frames with no checkpoint at all)
    for (let n = 0; n < 1500; n++) {
      await store.commit([decided(n)]);
      // Paced so that each pass covers 10 commits, however slow this machine's fsync is.
      await thread?.idle();
    }

    // Assess: passes ran and the file stayed near its bound
    expect(thread?.passes).toBeGreaterThanOrEqual(140);
    expect(walFrames(path)).toBeLessThan(200 + 200);
    expect((await store.stats()).decisions).toBe(1500);
    await store.stopCheckpoints();
    store.close();
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare('SELECT count(*) FROM decisions').pluck().get()).toBe(1500);
    reopened.close();
  });

  it('starts the WAL over from the writer once it has outgrown the bound', async () => {
    // Prepare: a reader pins an old snapshot, so no pass can copy every frame and the WAL grows
    const { path, store } = open({ commitsPerPass: 10, restartFrames: 200 });
    const thread = store.checkpointThread;
    await store.commit([decided(0)]);
    const reader = new Database(path, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM decisions').pluck().get();
    for (let n = 1; n < 200; n++) {
      await store.commit([decided(n)]);
      await thread?.idle();
    }
    const grown = thread?.lastPass?.log ?? 0;
    expect(grown).toBeGreaterThan(400);

    // Act: the reader lets go; commits go on
    reader.exec('COMMIT');
    reader.close();
    for (let n = 200; n < 400; n++) {
      await store.commit([decided(n)]);
      await thread?.idle();
    }

    // Assess: the writer's own checkpoint let the WAL start over from the top
    expect(thread?.restarts).toBeGreaterThan(0);
    expect(thread?.lastPass?.log).toBeLessThan(200);
    expect((await store.stats()).decisions).toBe(400);
    await store.stopCheckpoints();
    store.close();
  });

  it('turns SQLite automatic checkpoints back on when the thread fails', async () => {
    // Prepare: a thread whose module throws as it loads
    let failed: (e: Error) => void = () => {};
    const fellBack = new Promise<Error>((resolve) => {
      failed = resolve;
    });
    const { store } = open({
      entry: new URL('data:text/javascript,throw new Error("no checkpoints today")'),
      onFallback: (e) => failed(e),
    });

    // Act
    const error = await fellBack;

    // Assess: the writer checkpoints itself again (SQLite's default threshold), and still commits
    expect(error.message).toContain('no checkpoints today');
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await store.commit([decided(1)]);
    expect((await store.stats()).decisions).toBe(1);
    await store.stopCheckpoints();
    store.close();
  });

  it('has no thread for an in-memory database or without the option', () => {
    // Prepare / Act
    const memory = new SqliteStateStore({ path: ':memory:', checkpointThread: {} });
    const { store } = open(undefined);

    // Assess
    expect(memory.checkpointThread).toBeUndefined();
    expect(store.checkpointThread).toBeUndefined();
    expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    memory.close();
    store.close();
  });
});
