import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, SqliteSchemaError, SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import type { Decision } from '../../src/core/scoring.js';
import type { Transaction } from '../../src/core/transaction.js';
import { transactionView } from '../../src/core/views.js';
import type { DecidedItem } from '../../src/core/records.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/fixtures.js';
import { makeDecision, T0, testTokenizer } from '../helpers/transactions.js';

const tokenize = testTokenizer();

/** Keys with `undefined` values dropped, as a parsed or stored object has them. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const text = fc.string({ minLength: 1, maxLength: 12 });
const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Any transaction as validation could produce it: every optional field present or absent. */
const transaction: fc.Arbitrary<Transaction> = fc
  .record({
    n: fc.nat(),
    timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }),
    accountId: text,
    card: optional(fc.oneof(fc.constantFrom('4111111111111111', '5555555555554444', '378282246310005'), text)),
    amount: fc.integer({ min: 1, max: 1e12 }),
    currency: fc.constantFrom('USD', 'EUR', 'JPY'),
    merchant: optional(text),
    merchantCategory: optional(text),
    terminalId: optional(text),
    country: optional(fc.constantFrom('US', 'GB', 'NG')),
    originCountry: optional(fc.constantFrom('US', 'GB')),
    destinationCountry: optional(fc.constantFrom('US', 'DE')),
    accountBalance: optional(fc.integer({ min: -1e12, max: 1e12 })),
    channel: optional(text),
    deviceId: optional(text),
    ip: optional(text),
    label: optional(fc.constantFrom(0 as const, 1 as const)),
    attributes: fc
      .dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 8 }), { maxKeys: 3 })
      .map((a) => ({ ...a })),
  })
  .map(({ n, card, ...rest }) => defined({ ...rest, transactionId: `T${n}`, card: card === undefined ? undefined : tokenize(card) }));

/** Any decision `decide` could build for it: fired rules with and without actions, with or without a model. */
const decision = (id: string): fc.Arbitrary<Decision> =>
  fc
    .record({
      score: fc.double({ min: 0, max: 100, noNaN: true }),
      outcome: fc.constantFrom('allow' as const, 'review' as const, 'block' as const),
      reasons: fc.array(
        fc.record(
          { rule: text, weight: fc.integer({ min: 0, max: 100 }), detail: fc.string(), action: fc.constantFrom('allow' as const, 'review' as const, 'block' as const) },
          { requiredKeys: ['rule', 'weight', 'detail'] },
        ),
        { maxLength: 3 },
      ),
      model: fc.option(
        fc.record({
          score: fc.double({ min: 0, max: 100, noNaN: true }),
          version: text,
          top: fc.array(fc.record({ feature: text, weight: fc.double({ noNaN: true, noDefaultInfinity: true }), value: fc.double({ noNaN: true, noDefaultInfinity: true }) }), { maxLength: 3 }),
        }),
        { nil: undefined },
      ),
      rulesScore: fc.double({ min: 0, max: 100, noNaN: true }),
      rulesVersion: text,
      decidedAt: fc.integer({ min: 0, max: 4_102_444_800_000 }).map((t) => new Date(t).toISOString()),
    })
    .map((r) => {
      // Keys in the order `decide` builds them.
      const d: Decision = {
        transaction_id: id,
        score: r.score,
        outcome: r.outcome,
        reasons: r.reasons,
        model_score: r.model ? r.model.score : null,
        model_version: r.model ? r.model.version : null,
        rules_score: r.rulesScore,
        rules_version: r.rulesVersion,
        decided_at: r.decidedAt,
      };
      if (r.model && r.model.top.length > 0) d.model_features = r.model.top;
      return d;
    });

const item: fc.Arbitrary<DecidedItem> = transaction.chain((tx) =>
  decision(tx.transactionId).map((d) => ({ transaction: tx, decision: d })),
);

describe('SqliteStateStore schema', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('reads back every stored transaction and decision as committed, keys in the same order, through every reader', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(item, { selector: (i) => i.transaction.transactionId, maxLength: 20 }), async (items) => {
        // Prepare
        const store = new SqliteStateStore({ path: ':memory:' });

        // Act
        await store.commit(items);
        for (const i of items) await store.putLabel(i.transaction.transactionId, 1, i.transaction.timestamp + 1);

        // Assess
        const found = await store.findDecisions(items.map((i) => i.transaction.transactionId));
        for (const { transaction: tx, decision: d } of items) {
          const stored = await store.getTransaction(tx.transactionId);
          expect(JSON.stringify(stored?.decision)).toBe(JSON.stringify(d));
          expect(JSON.stringify(stored?.transaction)).toBe(JSON.stringify(transactionView(tx)));
          expect(store.getTransactionRecord(tx.transactionId)).toStrictEqual(tx);
          expect(JSON.stringify(found.get(tx.transactionId))).toBe(JSON.stringify(d));
        }
        expect([...store.replay()]).toStrictEqual(items.map((i) => i.transaction));
        expect([...store.reportedLabels()].map((l) => l.transaction)).toStrictEqual(items.map((i) => i.transaction));
        store.close();
      }),
      { numRuns: 200 },
    );
  });

  it('stores no ten card digits in a row: BIN and last 4 live only in the masked form', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'state.db');
    const store = new SqliteStateStore({ path });
    const card = tokenize('4242424242424242');
    const tx: Transaction = { transactionId: 't', timestamp: T0, accountId: 'a', amount: 1, currency: 'USD', attributes: {}, card };
    const d = makeDecision({ transaction_id: 't', rules_version: 'v' });

    // Act
    await store.commit([{ transaction: tx, decision: d }]);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.close();

    // Assess
    expect(readFileSync(path).toString('latin1')).not.toContain('4242424242');
    const again = new SqliteStateStore({ path });
    expect(again.getTransactionRecord('t')?.card).toEqual({ token: card.token, bin: '424242', last4: '4242', masked: '424242******4242' });
    again.close();
  });

  it(`creates version ${SCHEMA_VERSION} in a new database and opens it again`, async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'state.db');
    new SqliteStateStore({ path }).close();

    // Act
    const again = new SqliteStateStore({ path });

    // Assess
    expect(again.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect((await again.stats()).transactions).toBe(0);
    again.close();
  });

  it.each([
    ['an earlier fraudmini (version 1, no user_version)', 0, 1, 'an earlier'],
    ['a later fraudmini', SCHEMA_VERSION + 1, SCHEMA_VERSION + 1, 'a later'],
  ])('refuses a database made by %s, saying which and what to do', (_what, userVersion, reported, word) => {
    // Prepare: the version 1 tables, as that version created them
    const t = tempDir();
    cleanup = t.cleanup;
    const path = join(t.dir, 'state.db');
    const old = new Database(path);
    old.exec('CREATE TABLE transactions (seq INTEGER PRIMARY KEY, transaction_id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)');
    old.exec('CREATE TABLE decisions (transaction_id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID');
    old.pragma(`user_version = ${userVersion}`);
    old.close();

    // Act
    const open = () => new SqliteStateStore({ path });

    // Assess
    expect(open).toThrow(SqliteSchemaError);
    expect(open).toThrow(`database ${path} has schema version ${reported}, made by ${word} fraudmini`);
    expect(open).toThrow('move the database (and its -wal and -shm files) aside');
  });

  it('makes fraudmini start stop with that message, not a stack trace', async () => {
    // Prepare
    const t = tempDir();
    cleanup = t.cleanup;
    mkdirSync(join(t.dir, 'data'));
    const old = new Database(join(t.dir, 'data', 'fraudmini.db'));
    old.exec('CREATE TABLE decisions (transaction_id TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID');
    old.close();

    // Act
    const run = await runCli(['start', '--data-dir', join(t.dir, 'data'), '--port', '0'], t.dir);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('has schema version 1, made by an earlier fraudmini');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
