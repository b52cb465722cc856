import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import { DynamoLabelledHistory } from '../../src/adapters/aws/DynamoLabelledHistory.js';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { DynamoRulesHistory } from '../../src/adapters/aws/DynamoRulesHistory.js';
import { describeLabelledHistoryContract, describeRulesHistoryContract } from '../contracts/rulesWorkbenchContract.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

// The same suites as SQLite's (test/contracts/rulesWorkbench.test.ts); decisions and labels are
// stored by the adapters scoring and the label path use on AWS.
const clients = emulatorClients();

describeRulesHistoryContract('DynamoRulesHistory on dynalite', async () => {
  const tables = await createTables(clients.dynamo, uniqueName('history'));
  return new DynamoRulesHistory({ client: clients.dynamo, stateTable: tables.state });
});

describeLabelledHistoryContract('DynamoLabelledHistory on dynalite', async () => {
  const tables = await createTables(clients.dynamo, uniqueName('labelled'));
  const decisions = new DynamoDecisionStore({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state });
  const labels = new DynamoLabelStore({ client: clients.dynamo, stateTable: tables.state });
  return {
    // Three segments, so a small table is read by several parallel Scans as a large one is.
    labelled: new DynamoLabelledHistory({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state, segments: 3 }),
    store: async (items) => {
      await decisions.storeDecisions(items);
    },
    label: async (id, label, knownAt) => {
      await labels.putLabel(id, label, knownAt);
    },
  };
});

describe('DynamoRulesHistory on dynalite', () => {
  it('lists again a kept document whose list item a stopped writer never added', async () => {
    // Prepare: a document kept, then its list item removed (as if the writer stopped between its two puts)
    const tables = await createTables(clients.dynamo, uniqueName('history-repair'));
    const history = new DynamoRulesHistory({ client: clients.dynamo, stateTable: tables.state });
    const document = { version: 'v1', rules: [] };
    const id = await history.remember({ version: 'v1', digest: 'abc', savedAt: new Date(0).toISOString(), document });
    await clients.dynamo.send(new DeleteCommand({ TableName: tables.state, Key: { pk: 'rules-history', sk: `h#${String(id).padStart(15, '0')}` } }));
    const hidden = await history.versions(10);

    // Act
    const again = await history.remember({ version: 'v1', digest: 'abc', savedAt: new Date(1).toISOString(), document });

    // Assess
    expect(hidden).toEqual([]);
    expect(again).toBe(id);
    expect(await history.versions(10)).toEqual([{ id, version: 'v1', digest: 'abc', savedAt: new Date(0).toISOString() }]);
    expect((await history.find(id))?.document).toEqual(document);
  });
});
