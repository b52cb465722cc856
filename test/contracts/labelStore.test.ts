import { afterAll } from 'vitest';
import { DynamoLabelStore } from '../../src/adapters/aws/DynamoLabelStore.js';
import { SqliteStateStore } from '../../src/adapters/local/SqliteStateStore.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';
import { InMemoryStateStore } from '../fakes/InMemoryStateStore.js';
import { describeLabelStoreContract } from './labelStoreContract.js';

const opened: SqliteStateStore[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

describeLabelStoreContract('in-memory fake', async () => new InMemoryStateStore());

describeLabelStoreContract('SqliteStateStore', async () => {
  const s = new SqliteStateStore({ path: ':memory:' });
  opened.push(s);
  return s;
});

describeLabelStoreContract('DynamoLabelStore on dynalite', async () => {
  const clients = emulatorClients();
  const tables = await createTables(clients.dynamo, uniqueName('contract'));
  return new DynamoLabelStore({ client: clients.dynamo, stateTable: tables.state });
});
