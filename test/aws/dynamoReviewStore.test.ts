import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { DynamoReviewStore } from '../../src/adapters/aws/DynamoReviewStore.js';
import { describeReviewStoreContract } from '../contracts/reviewStoreContract.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

// The same suite as SQLite's (test/contracts/reviewStore.test.ts); decisions and labels are
// stored by the adapters scoring and the label path use on AWS.
const clients = emulatorClients();

describeReviewStoreContract('DynamoReviewStore on dynalite', async () => {
  const tables = await createTables(clients.dynamo, uniqueName('reviews'));
  const decisions = new DynamoDecisionStore({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state });
  const labels = new DynamoLabelStore({ client: clients.dynamo, stateTable: tables.state });
  return {
    reviews: new DynamoReviewStore({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state }),
    store: async (items) => (await decisions.storeDecisions(items)).alerts,
    label: async (id, label, knownAt) => {
      await labels.putLabel(id, label, knownAt);
    },
  };
});
