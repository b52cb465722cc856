import { DynamoSessionStore } from '../../src/adapters/aws/DynamoSessionStore.js';
import { DynamoUserStore } from '../../src/adapters/aws/DynamoUserStore.js';
import { describeConsoleStoresContract } from '../contracts/consoleStoresContract.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

// The same suite as the SQLite and in-memory stores (test/contracts/consoleStores.test.ts).
const clients = emulatorClients();

describeConsoleStoresContract('DynamoUserStore and DynamoSessionStore on dynalite', async () => {
  const tables = await createTables(clients.dynamo, uniqueName('console'));
  const users = new DynamoUserStore({ client: clients.dynamo, stateTable: tables.state });
  return { users, sessions: new DynamoSessionStore({ client: clients.dynamo, stateTable: tables.state, users }) };
});
