import { DynamoCaseStore } from '../../src/adapters/aws/DynamoCaseStore.js';
import { describeCaseStoreContract } from '../contracts/caseStoreContract.js';
import { emulatorClients, uniqueName } from './clients.js';
import { createTables } from './dynamoTables.js';

// Each store gets tables of its own: case ids start at 1 in each, as on a new deployment.
const clients = emulatorClients();

describeCaseStoreContract('DynamoCaseStore on dynalite', async () => {
  const tables = await createTables(clients.dynamo, uniqueName('cases'));
  return new DynamoCaseStore({ client: clients.dynamo, stateTable: tables.state });
});
