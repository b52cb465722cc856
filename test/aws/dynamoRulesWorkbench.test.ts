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
