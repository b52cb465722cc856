import { describe, expect, it } from 'vitest';
import type { DecidedItem } from '../../src/core/records.js';
import type { Label } from '../../src/core/transaction.js';
import type { LabelledHistory, LabelledTransaction } from '../../src/ports/LabelledHistory.js';
import type { RulesHistory } from '../../src/ports/RulesHistory.js';
import { makeDecision, makeTx, money, T0 } from '../helpers/transactions.js';

/** A labelled history over fresh, empty state, and how the test fills that state. */
export interface LabelledHistoryUnderTest {
  labelled: LabelledHistory;
  /** Stores decided transactions as scoring does, one batch. */
  store: (items: DecidedItem[]) => Promise<void>;
  /** Reports a label, as the label path does. */
  label: (transactionId: string, label: Label, knownAt: number) => Promise<void>;
}

const doc = (version: string, extra: Record<string, unknown> = {}) => ({
  version,
  rules: [{ id: 'high_value', when: 'amount > 10000', weight: 60 }],
  ...extra,
});
const entry = (version: string, digest: string, document: unknown = doc(version)) => ({
  version,
  digest,
  savedAt: new Date(T0).toISOString(),
  document,
});

async function collect(it: AsyncIterable<LabelledTransaction>): Promise<LabelledTransaction[]> {
  const out: LabelledTransaction[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * The behaviour every {@link RulesHistory} promises: a document kept once by its digest, whatever
 * its version says; ids that grow; the newest first; a kept document given back exactly. `make`
 * returns a new, empty history on each call.
 *
 * @example
 * describeRulesHistoryContract('SQLite', async () => new SqliteRulesWorkbench({ db }));
 */
export function describeRulesHistoryContract(name: string, make: () => Promise<RulesHistory>): void {
  describe(`RulesHistory contract: ${name}`, () => {
    it('keeps each document once by digest, lists the newest first and gives one back whole', async () => {
      // Prepare
      const history = await make();
      const odd = doc('v2', { lists: { blocked: ['', 'a"b', 'ü'] }, deep: { a: { b: { c: [1.5, -0.001, 1e21] } } } });

      // Act
      const a = await history.remember(entry('v1', 'aaa'));
      const b = await history.remember(entry('v2', 'bbb', odd));
      const again = await history.remember(entry('v1 renamed', 'aaa'));
      const listed = await history.versions(10);

      // Assess
      expect(again).toBe(a);
      expect(b).toBeGreaterThan(a);
      expect(listed.map((v) => [v.id, v.version, v.digest])).toEqual([
        [b, 'v2', 'bbb'],
        [a, 'v1', 'aaa'],
      ]);
      expect(listed[0]?.savedAt).toBe(new Date(T0).toISOString());
      expect(await history.find(b)).toEqual({ id: b, version: 'v2', digest: 'bbb', savedAt: new Date(T0).toISOString(), document: odd });
      expect(await history.find(b + 1000)).toBeUndefined();
    });

    it('lists only the newest `limit` documents', async () => {
      // Prepare
      const history = await make();
      const ids: number[] = [];
      for (const v of ['v1', 'v2', 'v3', 'v4']) ids.push(await history.remember(entry(v, `digest-${v}`)));

      // Act
      const two = await history.versions(2);

      // Assess
      expect(two.map((v) => v.id)).toEqual([ids[3], ids[2]]);
    });

    it('gives one id to the same document kept by concurrent callers', async () => {
      // Prepare
      const history = await make();

      // Act
      const ids = await Promise.all(Array.from({ length: 5 }, () => history.remember(entry('v1', 'same'))));

      // Assess
      expect(new Set(ids).size).toBe(1);
      expect((await history.versions(10)).map((v) => v.id)).toEqual([ids[0]]);
    });
  });
}

/**
 * The behaviour every {@link LabelledHistory} promises: the newest `limit` stored transactions,
 * oldest first, each with the label in force (arrived, or reported since), every field the
 * features and rules read kept. `make` returns a new, empty store on each call.
 *
 * @example
 * describeLabelledHistoryContract('SQLite', async () => ({ labelled, store, label }));
 */
export function describeLabelledHistoryContract(name: string, make: () => Promise<LabelledHistoryUnderTest>): void {
  describe(`LabelledHistory contract: ${name}`, () => {
    /** tx-1 arrives labelled fraud, tx-2 is reported legit later, tx-3 has no label; stored one after another. */
    const filled = async () => {
      const t = await make();
      for (const [i, label] of [[1, 1], [2, undefined], [3, undefined]] as const) {
        await t.store([
          {
            transaction: makeTx({ transactionId: `tx-${i}`, timestamp: T0 + i * 1000, ...(label !== undefined ? { label } : {}) }),
            decision: makeDecision({ transaction_id: `tx-${i}`, decided_at: new Date(T0 + i * 60_000).toISOString() }),
          },
        ]);
      }
      await t.label('tx-2', 0, T0 + 5000);
      return t;
    };

    it('replays the newest stored transactions in store order with the label in force, arrived or reported', async () => {
      // Prepare
      const { labelled } = await filled();

      // Act
      const all = await collect(labelled.labelledHistory(10));
      const newest = await collect(labelled.labelledHistory(2));

      // Assess
      expect(all.map((x) => [x.transaction.transactionId, x.label])).toEqual([
        ['tx-1', 1],
        ['tx-2', 0],
        ['tx-3', undefined],
      ]);
      expect(newest.map((x) => x.transaction.transactionId)).toEqual(['tx-2', 'tx-3']);
    });

    it('keeps what the features and rules read: entities, money, places and the card token, never a card number', async () => {
      // Prepare
      const t = await make();
      const tx = makeTx({
        transactionId: 'tx-full',
        accountId: 'acc-9',
        card: { token: 'tok-9', masked: '411111******1111', bin: '411111', last4: '1111' },
        amount: money('15000.25'),
        currency: 'EUR',
        merchant: 'M-1',
        merchantCategory: '5411',
        terminalId: 'T-1',
        country: 'FR',
        originCountry: 'FR',
        destinationCountry: 'DE',
        accountBalance: money('100.5'),
        channel: 'web',
        deviceId: 'dev-1',
        ip: '198.51.100.7',
        attributes: { campaign: 'x' },
      });
      await t.store([{ transaction: tx, decision: makeDecision({ transaction_id: 'tx-full' }) }]);

      // Act
      const [got] = await collect(t.labelled.labelledHistory(10));

      // Assess
      expect(got?.transaction).toEqual(tx);
      expect(got?.label).toBeUndefined();
    });

    it('replays nothing from an empty store', async () => {
      // Prepare
      const { labelled } = await make();

      // Act
      const none = await collect(labelled.labelledHistory(10));

      // Assess
      expect(none).toEqual([]);
    });
  });
}
