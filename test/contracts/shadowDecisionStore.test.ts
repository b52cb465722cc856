import { afterAll } from 'vitest';
import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { DynamoShadowStore } from '../../src/adapters/aws/DynamoShadowStore.js';
import { SqliteShadowStore } from '../../src/adapters/local/SqliteShadowStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';
import { InMemoryShadowStore } from '../fakes/InMemoryShadowStore.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { describeShadowDecisionStoreContract } from './shadowDecisionStoreContract.js';

const opened: SqliteStateStore[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

describeShadowDecisionStoreContract('in-memory fake', async () => {
  const state = new InMemoryStateStore();
  return { state, shadow: new InMemoryShadowStore(state) };
});

describeShadowDecisionStoreContract('SqliteShadowStore', async () => {
  const state = new SqliteStateStore({ path: ':memory:' });
  opened.push(state);
  return { state, shadow: new SqliteShadowStore({ db: state.db }) };
});

describeShadowDecisionStoreContract('DynamoShadowStore on dynalite', async () => {
  const clients = emulatorClients();
  const tables = await createTables(clients.dynamo, uniqueName('shadow'));
  const decisions = new DynamoDecisionStore({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state });
  const labels = new DynamoLabelStore({ client: clients.dynamo, stateTable: tables.state });
  // The decisions in force and the labels, on the same tables the shadow store joins with.
  const state = Object.assign(Object.create(decisions) as DynamoDecisionStore, {
    putLabel: labels.putLabel.bind(labels),
    getLabel: labels.getLabel.bind(labels),
  });
  return { state, shadow: new DynamoShadowStore({ client: clients.dynamo, stateTable: tables.state, decisionsTable: tables.decisions }) };
});
