import { afterAll } from 'vitest';
import { DynamoDecisionStore } from '../../src/adapters/aws/DynamoDecisionStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { describeDecisionStoreContract } from './decisionStoreContract.js';

const opened: SqliteStateStore[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

describeDecisionStoreContract('in-memory fake', async () => new InMemoryStateStore());

describeDecisionStoreContract('SqliteStateStore', async () => {
  const s = new SqliteStateStore({ path: ':memory:' });
  opened.push(s);
  return s;
});

describeDecisionStoreContract('DynamoDecisionStore on dynalite', async () => {
  const clients = emulatorClients();
  const tables = await createTables(clients.dynamo, uniqueName('contract'));
  return new DynamoDecisionStore({ client: clients.dynamo, decisionsTable: tables.decisions, stateTable: tables.state });
});
