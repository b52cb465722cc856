import { DynamoEventClock } from '../../src/adapters/aws/DynamoEventClock.js';
import { FeatureWindowsClock } from '../../src/adapters/local/FeatureWindowsClock.js';
import { FeatureWindows } from '../../src/core/features.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables } from '../aws/dynamoTables.js';
import { InMemoryEventClock } from '../fakes/InMemoryEventClock.js';
import { describeEventClockContract } from './eventClockContract.js';

describeEventClockContract('in-memory fake', async () => new InMemoryEventClock());

describeEventClockContract('FeatureWindowsClock', async () => new FeatureWindowsClock(new FeatureWindows()));

describeEventClockContract('DynamoEventClock on dynalite', async () => {
  const clients = emulatorClients();
  const tables = await createTables(clients.dynamo, uniqueName('clock'));
  return new DynamoEventClock({ client: clients.dynamo, stateTable: tables.state });
});
