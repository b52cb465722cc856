import { Readable } from 'node:stream';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRulesFile } from '../../src/adapters/local/FileRulesSource.js';
import { SCHEMA_VERSION, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteStoredHistory } from '../../src/adapters/local/SqliteStoredHistory.js';
import { scoreBatches } from '../../src/app/scoreBatches.js';
import { FeatureWindows } from '../../src/core/features.js';
import { BUNDLED_RULES } from '../../src/local/wiring.js';
import { ingestCsv } from '../../src/pipeline/ingest.js';
import { trainModel, trainModelFromStore } from '../../src/pipeline/train.js';
import { tempDir } from '../helpers/fixtures.js';
import { chunked, labelledCsv, labelledHistory } from '../helpers/labelledHistory.js';
import { T0, testTokenizer } from '../helpers/transactions.js';

const DAY = 86_400_000;
const RULES = loadRulesFile(BUNDLED_RULES);

describe('SqliteStoredHistory and train --from-db', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  /** A database filled as the inbox fills it, from `csv`; returns its path. */
  async function stored(csv: string): Promise<string> {
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'fraudmini.db');
    const state = new SqliteStateStore({ path });
    try {
      const file = await state.beginFile('h.csv');
      await scoreBatches(file, ingestCsv(Readable.from([csv]), { fileKey: 'h.csv', tokenizer: testTokenizer(), batchSize: 500 }), {
        decided: (ids) => state.findDecisions(ids),
        commits: state,
        features: new FeatureWindows(),
        rules: () => RULES,
      });
    } finally {
      state.close();
    }
    return path;
  }

  it('learns from the stored history the very model it learns from the file it came from', async () => {
    // Prepare
    const history = labelledHistory({ days: 30, perDay: 60 });
    const csv = labelledCsv(history.rows);
    const path = await stored(csv);
    const options = { labelDelayMs: DAY, to: history.start + 25 * DAY, gbdt: { trees: 15 }, now: () => new Date(T0) };

    // Act
    const fromFile = await trainModel(chunked(csv), { ...options, fileKey: 'h.csv', tokenizer: testTokenizer(), rules: RULES });
    const db = SqliteStoredHistory.open(path);
    const fromDb = await trainModelFromStore(db.byTime(), options).finally(() => db.close());

    // Assess: same rows, same features, same trees
    expect(fromDb.training.rows).toBe(fromFile.training.rows);
    expect(fromDb.training.positives).toBe(fromFile.training.positives);
    expect(fromDb.version).toBe(fromFile.version);
  });

  it('replays by event time, with a label reported later as the label in force', async () => {
    // Prepare: stored out of time order, one row reported fraud through the labels table
    const history = labelledHistory({ days: 2, perDay: 20, unlabelledEvery: 2 });
    const rows = [...history.rows.slice(20), ...history.rows.slice(0, 20)];
    const path = await stored(labelledCsv(rows));
    const unlabelled = history.rows.find((r) => r.label === undefined);
    const w = new Database(path);
    w.prepare('INSERT INTO labels (transaction_id, label, known_at, created_at) VALUES (?, 1, ?, ?)').run(unlabelled?.id, T0, new Date(T0).toISOString());
    w.close();

    // Act
    const db = SqliteStoredHistory.open(path);
    const read: { id: string; ts: number; label: number | undefined }[] = [];
    try {
      for await (const { transaction, label } of db.byTime()) read.push({ id: transaction.transactionId, ts: transaction.timestamp, label });
    } finally {
      db.close();
    }

    // Assess
    expect(read.map((r) => r.ts)).toEqual([...read.map((r) => r.ts)].sort((a, b) => a - b));
    expect(new Set(read.map((r) => r.id))).toEqual(new Set(history.rows.map((r) => r.id)));
    const byId = new Map(read.map((r) => [r.id, r.label]));
    expect(byId.get(unlabelled?.id ?? '')).toBe(1);
    for (const r of history.rows) if (r.id !== unlabelled?.id) expect(byId.get(r.id)).toBe(r.label);
  });

  it(`upgrades a version 5 database to ${SCHEMA_VERSION}: adds the shadow table and keeps the data`, async () => {
    // Prepare: a database as version 5 left it
    const history = labelledHistory({ days: 1, perDay: 10 });
    const path = await stored(labelledCsv(history.rows));
    const old = new Database(path);
    old.exec('DROP TABLE shadow_decisions');
    old.pragma('user_version = 5');
    old.close();

    // Act
    const state = new SqliteStateStore({ path });
    const tables = state.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all();
    const kept = state.db.prepare('SELECT count(*) FROM transactions').pluck().get();
    const version = state.db.pragma('user_version', { simple: true });
    state.close();

    // Assess
    expect(tables).toContain('shadow_decisions');
    expect(kept).toBe(history.rows.length);
    expect(version).toBe(SCHEMA_VERSION);
  });
});
