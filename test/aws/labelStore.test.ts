import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

describe('DynamoLabelStore on dynalite', () => {
  const c = emulatorClients();
  let store: DynamoLabelStore;

  beforeAll(async () => {
    const tables = await createTables(c.dynamoBase, uniqueName('labels'));
    store = new DynamoLabelStore({ client: c.dynamo, stateTable: tables.state });
  });

  it('records the first label, keeps it, and reports a different one as a conflict', async () => {
    expect(await store.putLabel('tx-1', 1, 1000)).toEqual({ status: 'recorded', label: 1, knownAt: 1000 });
    expect(await store.putLabel('tx-1', 1, 2000)).toEqual({ status: 'unchanged', label: 1, knownAt: 1000 });
    expect(await store.putLabel('tx-1', 0, 3000)).toEqual({ status: 'conflict', label: 1, knownAt: 1000 });
    expect(await store.putLabel('tx-2', 0, 4000)).toEqual({ status: 'recorded', label: 0, knownAt: 4000 });
  });

  it('lets exactly one of concurrent writers record', async () => {
    const results = await Promise.all([1, 0, 1, 0, 1].map((l, i) => store.putLabel('tx-race', l as 0 | 1, i)));
    expect(results.filter((r) => r.status === 'recorded')).toHaveLength(1);
    const winner = results.find((r) => r.status === 'recorded');
    for (const r of results) expect(r.label).toBe(winner?.label);
  });
});
