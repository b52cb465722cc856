import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INSERT_CHUNK, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { SqliteCommitError, SqliteWorkerBatchCommitter } from '../../src/adapters/local/SqliteWorkerBatchCommitter.js';
import type { Decision, Outcome } from '../../src/core/scoring.js';
import type { DecidedItem } from '../../src/core/records.js';
import { tempDir } from '../helpers/fixtures.js';
import { makeTx, T0, testTokenizer } from '../helpers/transactions.js';

const tokenize = testTokenizer();

/** A decided item; every fourth blocks (and so raises an alert), every fifth has a card, the rest are plain. */
function decided(n: number): DecidedItem {
  const transactionId = `T${String(n).padStart(6, '0')}`;
  const outcome: Outcome = n % 4 === 0 ? 'block' : 'allow';
  const transaction = makeTx({
    transactionId,
    timestamp: T0 + n * 1000,
    accountId: `A${n % 7}`,
    merchant: n % 3 === 0 ? `Shop "${n}"` : undefined,
    card: n % 5 === 0 ? tokenize('4111111111111111') : undefined,
    attributes: n % 6 === 0 ? { note: `row ${n}` } : {},
  });
  const decision: Decision = {
    transaction_id: transactionId,
    score: outcome === 'block' ? 90 : 0,
    outcome,
    reasons: outcome === 'block' ? [{ rule: 'high_value', weight: 90, detail: 'amount above 10000' }] : [],
    model_score: null,
    model_version: null,
    rules_score: outcome === 'block' ? 90 : 0,
    rules_version: 'test-1',
    decided_at: new Date(T0 + n * 1000).toISOString(),
  };
  return { transaction, decision };
}

function range(from: number, count: number): DecidedItem[] {
  return Array.from({ length: count }, (_, i) => decided(from + i));
}

describe('SqliteStateStore.commit (multi-row inserts)', () => {
  it.each([0, 1, INSERT_CHUNK - 1, INSERT_CHUNK, INSERT_CHUNK + 1, 2 * INSERT_CHUNK + 37])(
    'stores every row of a batch of %i, each readable as it was committed',
    async (size) => {
      // Prepare
      const store = new SqliteStateStore({ path: ':memory:' });
      const items = range(1, size);

      // Act
      const alerts = await store.commit(items);

      // Assess
      expect(await store.stats()).toMatchObject({ transactions: size, decisions: size, alerts: alerts.length });
      for (const item of items) {
        expect(store.getTransactionRecord(item.transaction.transactionId)).toEqual(item.transaction);
        expect((await store.getTransaction(item.transaction.transactionId))?.decision).toEqual(item.decision);
      }
      expect(alerts.map((a) => a.transaction_id)).toEqual(
        items.filter((i) => i.decision.outcome !== 'allow').map((i) => i.transaction.transactionId),
      );
      expect(await store.listAlerts({ afterId: 0, limit: 1000 })).toEqual(alerts);
      expect([...store.replay()].map((t) => t.transactionId)).toEqual(items.map((i) => i.transaction.transactionId));
      store.close();
    },
  );

  it('stores every field of a row as it was given: text in any script, model fields, zeros and absent numbers', async () => {
    // Prepare: rows with every optional field, between rows with none, across an INSERT's rows
    const store = new SqliteStateStore({ path: ':memory:' });
    const items = range(1, INSERT_CHUNK + 3).map((item, i): DecidedItem => {
      if (i % 2 === 1) return item;
      const transaction = {
        ...item.transaction,
        merchant: `Caf\u00e9 \u{1F600} ${i}`,
        merchantCategory: '\u98df\u54c1',
        terminalId: `T-${i}`,
        country: 'FR',
        originCountry: 'DE',
        destinationCountry: 'FR',
        accountBalance: i === 0 ? 0 : -1250,
        channel: 'web',
        deviceId: 'd\u00f8',
        ip: '::1',
        label: (i % 4 === 0 ? 1 : 0) as 0 | 1,
        attributes: { note: 'x,"y"', '\u00fc': '' },
      };
      const decision = {
        ...item.decision,
        model_score: i === 0 ? 0 : 0.125 + i,
        model_version: 'gbdt-\u00e9',
        model_features: [{ feature: 'amount', weight: -0.25, value: 1.5 }],
      };
      return { transaction, decision, source: { file: 'f.csv', row: i + 1, line: i + 2 } };
    });

    // Act
    await store.commit(items);

    // Assess
    for (const item of items) {
      expect(store.getTransactionRecord(item.transaction.transactionId)).toEqual(item.transaction);
      expect((await store.getTransaction(item.transaction.transactionId))?.decision).toEqual(item.decision);
    }
    const rows = store.db.prepare('SELECT row, typeof(account_balance) AS balance FROM transactions ORDER BY seq').all();
    expect(rows.slice(0, 2)).toEqual([
      { row: 1, balance: 'integer' },
      { row: null, balance: 'null' },
    ]);
    store.close();
  });

  it('stores nothing of a batch that holds an id already stored', async () => {
    // Prepare
    const store = new SqliteStateStore({ path: ':memory:' });
    await store.commit(range(1, 10));

    // Act
    const commit = store.commit(range(5, INSERT_CHUNK + 10));

    // Assess
    await expect(commit).rejects.toThrow(/UNIQUE/);
    expect((await store.stats()).decisions).toBe(10);
    store.close();
  });
});

describe('SqliteWorkerBatchCommitter', () => {
  let cleanup = () => {};
  let commits: SqliteWorkerBatchCommitter | undefined;
  afterEach(async () => {
    await commits?.close();
    cleanup();
  });

  const open = () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'state.db');
    const store = new SqliteStateStore({ path });
    commits = new SqliteWorkerBatchCommitter({ path });
    return { store, commits };
  };

  it('commits batches in order with their checkpoints, and shows queued decisions as pending', async () => {
    // Prepare
    const { store, commits } = open();
    const file = await store.beginFile('f.csv');
    const first = range(1, 250);
    const second = range(251, 250);

    // Act
    const a = commits.commit(first, { fileId: file.id, rowsDone: 250, rejections: [], duplicates: 0 });
    const b = commits.commit(second, { fileId: file.id, rowsDone: 501, rejections: [{ row: 501, line: 502, column: 'amount', reason: 'not a number' }], duplicates: 0 });
    const pendingBefore = commits.pending('T000300');
    const [alertsA, alertsB] = await Promise.all([a, b]);

    // Assess
    expect((await pendingBefore)?.transaction_id).toBe('T000300');
    expect(commits.pending('T000300')).toBeUndefined();
    expect(await store.getFile(file.id)).toMatchObject({ rowsDone: 501, counts: { decided: 500, rejected: 1, rows: 501 } });
    expect([...alertsA, ...alertsB]).toEqual(await store.listAlerts({ afterId: 0, limit: 1000 }));
    expect((await store.getTransaction('T000500'))?.decision).toEqual(second.at(-1)?.decision);
    store.close();
  });

  it('names the queued ids among those asked for, in batches whose ids interleave with theirs', async () => {
    // Prepare: a batch whose ids are not in order, and one holding a single id
    const { store, commits } = open();
    const odd = range(1, 40).filter((_, i) => i % 2 === 0).reverse();
    const a = commits.commit(odd);
    const b = commits.commit(range(200, 1));

    // Act
    const queued = commits.pendingIds(['T000002', 'T000039', 'T000004', 'T000200', 'T000001', 'T000199', 'T000900']);
    const outside = commits.pendingIds(['T000041', 'T000100', 'T000000']);
    await Promise.all([a, b]);
    const afterCommit = commits.pendingIds(['T000001', 'T000200']);

    // Assess
    expect([...queued].sort()).toEqual(['T000001', 'T000039', 'T000200']);
    expect(outside.size).toBe(0);
    expect(afterCommit.size).toBe(0);
    expect(commits.pending('T000002')).toBeUndefined();
    store.close();
  });

  it('counts each batch into the statistics: outcomes, rejections and duplicates', async () => {
    // Prepare
    const { store, commits } = open();
    const file = await store.beginFile('f.csv');
    const items = range(1, 40);
    const rejections = [
      { row: 41, line: 42, column: 'amount', reason: 'not a number' },
      { row: 42, line: 43, column: 'timestamp', reason: 'is required' },
    ];

    // Act
    await commits.commit(items.slice(0, 25), { fileId: file.id, rowsDone: 25, rejections: [], duplicates: 1 });
    await commits.commit(items.slice(25), { fileId: file.id, rowsDone: 45, rejections, duplicates: 3 });

    // Assess
    const outcome = (o: Outcome) => items.filter((i) => i.decision.outcome === o).length;
    expect(outcome('block')).toBeGreaterThan(0);
    expect(await store.stats()).toMatchObject({
      transactions: 40,
      rejected: 2,
      duplicates: 4,
      outcomes: { allow: outcome('allow'), review: outcome('review'), block: outcome('block') },
    });
    store.close();
  });

  it('surfaces a failed batch as an error and refuses the batches queued behind it', async () => {
    // Prepare: the second batch repeats an id of the first, so its insert fails in the worker
    const { store, commits } = open();
    const file = await store.beginFile('f.csv');

    // Act
    const ok = commits.commit(range(1, 10), { fileId: file.id, rowsDone: 10, rejections: [], duplicates: 0 });
    const bad = commits.commit(range(5, 10), { fileId: file.id, rowsDone: 20, rejections: [], duplicates: 0 });
    const behind = commits.commit(range(100, 10), { fileId: file.id, rowsDone: 30, rejections: [], duplicates: 0 });

    // Assess
    await expect(ok).resolves.toBeDefined();
    await expect(bad).rejects.toThrow(SqliteCommitError);
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await expect(behind).rejects.toThrow(/earlier batch/);
    expect(commits.pending('T000100')).toBeUndefined();
    expect((await store.getFile(file.id))?.rowsDone).toBe(10);
    expect((await store.stats()).decisions).toBe(10);

    // Act: the next batch, after the caller has seen the failure, commits again
    await commits.commit(range(100, 10), { fileId: file.id, rowsDone: 30, rejections: [], duplicates: 0 });

    // Assess
    expect((await store.getFile(file.id))?.rowsDone).toBe(30);
    expect((await store.stats()).decisions).toBe(20);
    store.close();
  });

  it('moves alert delivery cursors in order with the batches', async () => {
    // Prepare
    const { store, commits } = open();
    const alerts = commits.commit(range(1, 20));

    // Act
    await commits.setDeliveryCursor('jsonl', 8);

    // Assess: the batch queued before the cursor is committed, and the cursor reads back
    await expect(alerts).resolves.toHaveLength(5);
    expect(await store.deliveryCursor('jsonl')).toBe(8);
    store.close();
  });

  it('fails what is pending when the worker dies, and starts a new worker for the next batch', async () => {
    // Prepare
    const { store, commits } = open();
    // The worker is private: reach it to kill it, as a crash of the thread would.
    const worker = (commits as unknown as { running(): { terminate(): Promise<number> } }).running();

    // Act
    const lost = commits.commit(range(1, 2000));
    await worker.terminate();

    // Assess
    await expect(lost).rejects.toThrow(SqliteCommitError);
    expect(commits.pending('T000001')).toBeUndefined();
    await commits.commit(range(5000, 3));
    expect(await store.getTransaction('T005000')).toBeDefined();
    store.close();
  });
});

describe('SqliteStateStore.findDecisions', () => {
  /** A decided item with this id (the rest as `decided(1)`). */
  function withId(id: string): DecidedItem {
    const item = decided(1);
    return { transaction: { ...item.transaction, transactionId: id }, decision: { ...item.decision, transaction_id: id } };
  }

  it('finds a stored id among ids whose range also holds ids that are not stored', async () => {
    // Prepare
    const store = new SqliteStateStore({ path: ':memory:' });
    await store.commit([withId('T000050'), withId('T000010')]);

    // Act
    const found = await store.findDecisions(['T000099', 'T000050', 'T000001', 'T000070']);
    const bounds = await store.findDecisions(['T000010', 'T000011', 'T000009']);
    const outside = await store.findDecisions(['T000051', 'T000060', 'T000011']);

    // Assess
    expect([...found.keys()]).toEqual(['T000050']);
    expect([...bounds.keys()]).toEqual(['T000010']);
    expect(outside.size).toBe(0);
    store.close();
  });

  it('finds stored ids whose order in UTF-8 differs from their order in JavaScript', async () => {
    // Prepare: U+1F600 sorts before U+FFFF in UTF-16 code units, after it in UTF-8 bytes
    const store = new SqliteStateStore({ path: ':memory:' });
    await store.commit([withId('\u{1F600}b')]);

    // Act
    const found = await store.findDecisions(['\uffff', '\u{1F600}a', '\u{1F600}b', '\u{1F600}c']);

    // Assess
    expect([...found.keys()]).toEqual(['\u{1F600}b']);
    store.close();
  });
});
