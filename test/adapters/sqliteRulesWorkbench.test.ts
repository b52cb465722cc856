import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteRulesWorkbench } from '../../src/adapters/local/SqliteRulesWorkbench.js';
import { SCHEMA_VERSION, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import type { LabelledTransaction } from '../../src/ports/LabelledHistory.js';
import { tempDir } from '../helpers/fixtures.js';
import { makeDecision, makeTx, T0 } from '../helpers/transactions.js';

const entry = (version: string, digest: string) => ({ version, digest, savedAt: new Date(T0).toISOString(), document: { version, rules: [] } });

async function collect(it: AsyncIterable<LabelledTransaction>): Promise<LabelledTransaction[]> {
  const out: LabelledTransaction[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('SqliteRulesWorkbench (real SQLite)', () => {
  let dir: string;
  let cleanup: () => void;
  let path: string;
  let state: SqliteStateStore;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    path = join(dir, 'fraudmini.db');
    state = new SqliteStateStore({ path });
  });
  afterEach(() => {
    state.close();
    cleanup();
  });

  it('keeps each document once by digest, lists the newest first and gives one back whole', async () => {
    // Prepare
    const bench = new SqliteRulesWorkbench({ db: state.db });

    // Act
    const a = await bench.remember(entry('v1', 'aaa'));
    const b = await bench.remember(entry('v2', 'bbb'));
    const again = await bench.remember(entry('v1 renamed', 'aaa'));

    // Assess
    expect(again).toBe(a);
    expect((await bench.versions(10)).map((v) => [v.id, v.version])).toEqual([[b, 'v2'], [a, 'v1']]);
    expect(await bench.find(a)).toMatchObject({ version: 'v1', digest: 'aaa', document: { version: 'v1', rules: [] } });
    expect(await bench.find(b + 1)).toBeUndefined();
  });

  it('replays the newest stored transactions in store order with the label in force, arrived or reported', async () => {
    // Prepare: tx-1 arrived labelled fraud, tx-2 is reported legit later, tx-3 has no label
    await state.commit([
      { transaction: makeTx({ transactionId: 'tx-1', label: 1 }), decision: makeDecision({ transaction_id: 'tx-1' }) },
      { transaction: makeTx({ transactionId: 'tx-2', timestamp: T0 + 1000 }), decision: makeDecision({ transaction_id: 'tx-2' }) },
      { transaction: makeTx({ transactionId: 'tx-3', timestamp: T0 + 2000 }), decision: makeDecision({ transaction_id: 'tx-3' }) },
    ]);
    await state.putLabel('tx-2', 0, T0 + 5000);
    const bench = new SqliteRulesWorkbench({ db: state.db });

    // Act
    const all = await collect(bench.labelledHistory(10));
    const newest = await collect(bench.labelledHistory(2));

    // Assess
    expect(all.map((x) => [x.transaction.transactionId, x.label])).toEqual([['tx-1', 1], ['tx-2', 0], ['tx-3', undefined]]);
    expect(newest.map((x) => x.transaction.transactionId)).toEqual(['tx-2', 'tx-3']);
  });

  it(`upgrades a version 4 database to ${SCHEMA_VERSION}: adds the rules history and keeps the data`, async () => {
    // Prepare: a current database with the history table removed and the version put back to 4
    await state.setDeliveryCursor('webhook', 7);
    state.close();
    const old = new Database(path);
    old.exec('DROP TABLE rules_versions');
    old.pragma('user_version = 4');
    old.close();

    // Act
    state = new SqliteStateStore({ path });
    const id = await new SqliteRulesWorkbench({ db: state.db }).remember(entry('v1', 'aaa'));

    // Assess
    expect(state.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(await state.deliveryCursor('webhook')).toBe(7);
    expect(id).toBe(1);
  });
});
