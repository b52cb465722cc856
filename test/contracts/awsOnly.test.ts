import { DynamoFeatureHistory } from '../../src/adapters/aws/DynamoFeatureHistory.js';
import { DynamoIngestCheckpoints } from '../../src/adapters/aws/DynamoIngestCheckpoints.js';
import { DynamoTransactionLog } from '../../src/adapters/aws/DynamoTransactionLog.js';
import { emulatorClients, uniqueName } from '../aws/clients.js';
import { createTables, type TableNames } from '../aws/dynamoTables.js';
import { InMemoryFeatureHistory } from '../fakes/InMemoryFeatureHistory.js';
import { InMemoryIngestCheckpoints } from '../fakes/InMemoryIngestCheckpoints.js';
import { InMemoryTransactionLog } from '../fakes/InMemoryTransactionLog.js';
import { describeFeatureHistoryContract } from './featureHistoryContract.js';
import { describeIngestCheckpointsContract } from './ingestCheckpointsContract.js';
import { describeTransactionLogContract } from './transactionLogContract.js';

// The ports only the AWS runtime has: the local runtime keeps feature windows in memory (rebuilt
// from SQLite), scores a file in one run and stores a transaction with its decision.

const clients = emulatorClients();
let tables: Promise<TableNames> | undefined;
// One set of tables for these suites: each test uses its own ids.
const shared = (): Promise<TableNames> => (tables ??= createTables(clients.dynamo, uniqueName('contract')));

describeFeatureHistoryContract('in-memory fake', async () => new InMemoryFeatureHistory());
describeFeatureHistoryContract('DynamoFeatureHistory on dynalite', async () => {
  return new DynamoFeatureHistory({ client: clients.dynamo, featuresTable: (await shared()).features, pageSize: 2 });
});

describeIngestCheckpointsContract('in-memory fake', async () => new InMemoryIngestCheckpoints());
describeIngestCheckpointsContract('DynamoIngestCheckpoints on dynalite', async () => {
  return new DynamoIngestCheckpoints({ client: clients.dynamo, stateTable: (await shared()).state, chunkBytes: 512 });
});

describeTransactionLogContract('in-memory fake', async () => new InMemoryTransactionLog());
describeTransactionLogContract('DynamoTransactionLog on dynalite', async () => {
  return new DynamoTransactionLog({ client: clients.dynamo, transactionsTable: (await shared()).transactions });
});
