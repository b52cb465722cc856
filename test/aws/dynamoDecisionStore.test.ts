import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import type { Decision, Outcome } from '../../src/core/scoring.js';
import type { DecidedItem } from '../../src/core/records.js';
import { makeTx } from '../helpers/transactions.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables, type TableNames } from './dynamoTables.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2024, 2, 10, 12, 0, 0);
const PAN = '4111111111111111';

/** A decided transaction: outcome `o`, decided at `decidedAt` (ms). */
function decided(id: string, o: Outcome, decidedAt = NOW): DecidedItem {
  const transaction = makeTx({
    transactionId: id,
    timestamp: decidedAt - 60_000,
    card: { token: `tok-${id}`, masked: '411111******1111', bin: '411111', last4: '1111' },
  });
  const decision: Decision = {
    transaction_id: id,
    score: o === 'allow' ? 5 : o === 'review' ? 55.5 : 91,
    outcome: o,
    reasons: o === 'allow' ? [] : [{ rule: 'high_value', weight: 50, detail: 'amount 12,000.00 > 10,000' }],
    model_score: null,
    model_version: null,
    rules_score: 5,
    rules_version: 'v1',
    decided_at: new Date(decidedAt).toISOString(),
  };
  return { transaction, decision, source: { file: 'inbox/a.csv', row: 1, line: 2 } };
}

/** Outcomes cycling allow, review, block, allow… */
function batch(prefix: string, n: number, decidedAt = NOW): DecidedItem[] {
  const outcomes: Outcome[] = ['allow', 'review', 'block', 'allow'];
  return Array.from({ length: n }, (_, i) => decided(`${prefix}-${String(i).padStart(4, '0')}`, outcomes[i % 4] as Outcome, decidedAt));
}

describe('DynamoDecisionStore', () => {
  const clients = emulatorClients();
  let tables: TableNames;
  const store = (): DynamoDecisionStore =>
    new DynamoDecisionStore({
      client: clients.dynamo,
      decisionsTable: tables.decisions,
      stateTable: tables.state,
      now: () => NOW,
    });

  beforeAll(async () => {
    tables = await createTables(clients.dynamo, uniqueName('dec'));
  });

  it('stores decisions once, numbers alerts in increasing order and reads them back masked', async () => {
    // Prepare
    const s = store();
    const items = batch('a', 8);
    // Act
    const first = await s.storeDecisions(items);
    const again = await s.storeDecisions(items);
    // Assess
    expect(first.stored).toHaveLength(8);
    expect(first.duplicates).toEqual([]);
    expect(first.alerts.map((a) => a.transaction_id)).toEqual(['a-0001', 'a-0002', 'a-0005', 'a-0006']);
    const ids = first.alerts.map((a) => a.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(new Set(ids).size).toBe(4);
    expect(again.stored).toEqual([]);
    expect(again.duplicates.sort()).toEqual(items.map((i) => i.decision.transaction_id).sort());
    expect(again.alerts).toEqual([]);
    const got = await s.getTransaction('a-0002');
    expect(got?.decision).toEqual(items[2]?.decision);
    expect(got?.transaction.transaction_id).toBe('a-0002');
    expect(got?.transaction.card?.masked).toBe('411111******1111');
    expect(JSON.stringify(got)).not.toContain(PAN);
    expect(await s.getTransaction('nope')).toBeUndefined();
    const resent = await s.findAlerts(['a-0006', 'a-0000', 'a-0001', 'a-0001', 'nope']);
    expect(resent).toEqual(first.alerts.filter((a) => ['a-0001', 'a-0006'].includes(a.transaction_id)));
  });

  it('keeps the counters unchanged when a batch is re-delivered, and they add up', async () => {
    // Prepare
    const s = store();
    const before = await s.stats();
    const items = batch('c', 10);
    // Act
    await s.storeDecisions(items);
    const after = await s.stats();
    await s.storeDecisions(items);
    await s.count({ rejected: 3, duplicates: 10, filesProcessed: 1 });
    const end = await s.stats();
    // Assess
    expect(after.decisions - before.decisions).toBe(10);
    expect(after.transactions - before.transactions).toBe(10);
    expect(after.alerts - before.alerts).toBe(5);
    expect(after.outcomes.allow - before.outcomes.allow).toBe(5);
    expect(after.outcomes.review - before.outcomes.review).toBe(3);
    expect(after.outcomes.block - before.outcomes.block).toBe(2);
    expect(end.decisions).toBe(after.decisions);
    expect(end.alerts).toBe(after.alerts);
    expect(end.outcomes).toEqual(after.outcomes);
    expect(end.rejected - after.rejected).toBe(3);
    expect(end.duplicates - after.duplicates).toBe(10);
    expect(end.files.processed - after.files.processed).toBe(1);
    expect(end.outcomes.allow + end.outcomes.review + end.outcomes.block).toBe(end.decisions);
  });

  it('stores exactly one decision per id when overlapping batches race', async () => {
    // Prepare: four scorers (separate store instances) get overlapping slices of 120 ids
    const all = batch('r', 120);
    const slices = [all.slice(0, 60), all.slice(30, 90), all.slice(60, 120), all.slice(0, 120)];
    // Act
    const results = await Promise.all(slices.map((slice) => store().storeDecisions(slice)));
    // Assess
    const storedIds = results.flatMap((r) => r.stored.map((i) => i.decision.transaction_id));
    expect(storedIds).toHaveLength(120);
    expect(new Set(storedIds).size).toBe(120);
    const alerts = results.flatMap((r) => r.alerts);
    expect(alerts).toHaveLength(all.filter((i) => i.decision.outcome !== 'allow').length);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
    for (const [k, r] of results.entries()) {
      expect(r.stored.length + r.duplicates.length).toBe((slices[k] as DecidedItem[]).length);
    }
  });

  it('finds decisions in more than one BatchGetItem call (over 100 keys, repeats allowed)', async () => {
    // Prepare
    const s = store();
    const items = batch('g', 230);
    await s.storeDecisions(items);
    const ids = [...items.map((i) => i.decision.transaction_id), 'g-0000', 'missing-1', 'missing-2'];
    // Act
    const found = await s.findDecisions(ids);
    // Assess
    expect(found.size).toBe(230);
    expect(found.get('g-0229')).toEqual(items[229]?.decision);
    expect(found.has('missing-1')).toBe(false);
    expect(await s.findDecisions([])).toEqual(new Map());
  });

  describe('listAlerts', () => {
    const clientsL = emulatorClients();
    let t: TableNames;
    const s = (): DynamoDecisionStore =>
      new DynamoDecisionStore({ client: clientsL.dynamo, decisionsTable: t.decisions, stateTable: t.state, now: () => NOW });
    // 3 days (two days back, yesterday, today), 12 decisions each: 6 alerts a day, 18 in all
    const days = [NOW - 2 * DAY, NOW - DAY, NOW];

    beforeAll(async () => {
      t = await createTables(clientsL.dynamo, uniqueName('alerts'));
      for (const [k, d] of days.entries()) await s().storeDecisions(batch(`d${k}`, 12, d));
    });

    it('pages through every alert in id order by afterId, across days', async () => {
      // Act
      const seen: number[] = [];
      const txs: string[] = [];
      let after = 0;
      for (;;) {
        const page = await s().listAlerts({ afterId: after, limit: 5 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(5);
        seen.push(...page.map((a) => a.id));
        txs.push(...page.map((a) => a.transaction_id));
        after = page[page.length - 1]?.id as number;
      }
      // Assess
      expect(seen).toHaveLength(18);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(new Set(txs).size).toBe(18);
      expect(txs.slice(0, 6).every((id) => id.startsWith('d0-'))).toBe(true);
      expect(txs.slice(12).every((id) => id.startsWith('d2-'))).toBe(true);
    });

    it('lists alerts created at or after `since`, oldest id first', async () => {
      // Act
      const sinceYesterday = await s().listAlerts({ since: new Date(NOW - DAY - 1).toISOString(), limit: 100 });
      const limited = await s().listAlerts({ since: new Date(NOW - DAY).toISOString(), limit: 4 });
      const future = await s().listAlerts({ since: new Date(NOW + 1).toISOString(), limit: 100 });
      // Assess
      expect(sinceYesterday.map((a) => a.transaction_id.slice(0, 2)).sort()).toEqual([
        ...Array<string>(6).fill('d1'),
        ...Array<string>(6).fill('d2'),
      ]);
      expect(sinceYesterday.map((a) => a.id)).toEqual([...sinceYesterday.map((a) => a.id)].sort((a, b) => a - b));
      expect(limited).toEqual(sinceYesterday.slice(0, 4));
      expect(future).toEqual([]);
      const a = sinceYesterday[0];
      expect(a?.reasons[0]?.rule).toBe('high_value');
      expect(a?.card).toBe('411111******1111');
      expect(JSON.stringify(sinceYesterday)).not.toContain(PAN);
    });

    it('does not read alerts older than the lookback window', async () => {
      // Prepare: a store whose clock is 10 days later, looking back 7 days
      const later = new DynamoDecisionStore({
        client: clientsL.dynamo,
        decisionsTable: t.decisions,
        stateTable: t.state,
        now: () => NOW + 10 * DAY,
      });
      // Act / Assess
      expect(await later.listAlerts({ afterId: 0, limit: 100 })).toEqual([]);
      expect(await s().listAlerts({ afterId: 0, limit: 100 })).toHaveLength(18);
    });

    it('refuses a since that is not a time', async () => {
      await expect(s().listAlerts({ since: 'yesterday', limit: 1 })).rejects.toThrow(RangeError);
    });
  });
});
